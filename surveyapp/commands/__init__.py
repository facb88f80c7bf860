"""CLI command groups, one module per capability."""
