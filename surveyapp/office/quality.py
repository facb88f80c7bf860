"""Office pages for quality (filled in by its issue)."""
