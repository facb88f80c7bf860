"""questionnaires services."""
