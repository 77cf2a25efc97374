"""Tools of the apps family (being written)."""
