"""Secret masking, applied to every tool result before it leaves the host (being written).

Placeholder implementation of the interface: ``Redactor().redact(value)``.
"""

from __future__ import annotations

from typing import Any


class Redactor:
    def redact(self, value: Any) -> Any:
        return value

    def redact_text(self, text: str) -> str:
        return text
