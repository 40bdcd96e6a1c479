"""masked_arm constructions."""
