"""organisation services."""
