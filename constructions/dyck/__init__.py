"""dyck constructions."""
