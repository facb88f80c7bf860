"""Use cases grouped by domain: plain arguments in, the database inside."""
