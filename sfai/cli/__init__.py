"""The ``sfai`` command line (Typer). Heavy imports happen inside commands."""
