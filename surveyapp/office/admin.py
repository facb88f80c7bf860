"""Office pages for admin (filled in by its issue)."""
