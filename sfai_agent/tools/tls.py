"""Tools of the tls family (being written)."""
