"""serial constructions."""
