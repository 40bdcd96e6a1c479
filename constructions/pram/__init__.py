"""pram constructions."""
