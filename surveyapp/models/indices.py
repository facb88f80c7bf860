"""Models for indices (filled in by its issue)."""

__all__: list[str] = []
