"""Tools of the services family (being written)."""
