"""quality services."""
