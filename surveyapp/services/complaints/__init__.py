"""complaints services."""
