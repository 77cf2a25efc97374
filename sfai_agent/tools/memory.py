"""Tools of the memory family (being written)."""
