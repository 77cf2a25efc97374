"""Tools of the disk family (being written)."""
