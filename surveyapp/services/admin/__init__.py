"""admin services."""
