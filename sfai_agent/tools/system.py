"""Tools of the system family (being written)."""
