"""Tools of the nginx family (being written)."""
