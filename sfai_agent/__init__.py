"""sfai_agent — "the hands": everything that runs on a managed host.

This package must never import :mod:`sfai` (a test enforces it): the same code
runs in-process for the local host, inside the ``sfai-agent`` daemon and over SSH.
"""

__version__ = "0.1.0"
