"""Office pages for indices (filled in by its issue)."""
