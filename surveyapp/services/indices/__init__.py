"""indices services."""
