"""Office pages for projects (filled in by its issue)."""
