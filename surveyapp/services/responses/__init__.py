"""responses services."""
