"""Secret masking, applied to every tool result before it leaves the host, and again before
anything is sent to a model, stored, audited or shown.

``Redactor().redact(value)`` masks strings, dict values and lists recursively;
``Redactor().redact_text(text)`` masks one text; ``mask_text(text)`` is the one-off form.
Placeholders look like ``[SECRET:aws-key:1]`` and are stable per Redactor instance.
See docs/security.md (Masking) for what is covered, what is not, and the measured figures.
"""

from __future__ import annotations

from sfai_agent.redact.redactor import PLACEHOLDER_RE, Redactor, mask_text

__all__ = ["PLACEHOLDER_RE", "Redactor", "mask_text"]
