"""compiled constructions."""
