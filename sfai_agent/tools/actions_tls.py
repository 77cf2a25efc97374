"""Placeholder: filled in by issue #6 (see docs/architecture.md)."""
