"""What detectors report: ``(start, end, kind, priority)`` spans of text to mask."""

from __future__ import annotations

Span = tuple[int, int, str, int]
"""``text[start:end]`` is a secret of ``kind``; when spans overlap they are merged and the
higher ``priority`` names the kind (a provider token beats a generic ``password``)."""
