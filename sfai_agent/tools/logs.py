"""Tools of the logs family (being written)."""
