"""tm constructions."""
