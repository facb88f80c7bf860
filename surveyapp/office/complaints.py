"""Office pages for complaints (filled in by its issue)."""
