"""fieldwork services."""
