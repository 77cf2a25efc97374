"""sfai — ServerFlow's AI sysadmin for the terminal: "the brain and the face"."""

__version__ = "0.1.0"
