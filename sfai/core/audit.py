"""The operator's audit trail: ``audit.db`` under SFAI_HOME, masked before it is written.

The chained log itself is :mod:`sfai_agent.audit` (the agent daemon keeps its own with
the same code). This module adds what the operator's side needs: where the file lives,
masking secrets in ``arguments`` and ``detail`` before they are written, who the local
actor is, and a one-line outcome for listings.

The contract for callers (the engine, ``sfai tools run``): record the proposal, the
answer (``approval`` / ``denial``), ``execution`` just before an action runs, then its
``result``, and policy ``refusal`` s. **When :meth:`AuditTrail.append` raises
:class:`AuditError`, do not run the action**: refuse it, tell the model and the person
why ("the audit log cannot be written: ..."), and carry on without it.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any, Protocol

from sfai_agent.audit import AuditError, AuditLog, AuditRecord, Kind, VerifyResult

__all__ = [
    "AUDIT_FILE",
    "AuditError",
    "AuditLog",
    "AuditRecord",
    "AuditTrail",
    "Kind",
    "Redacting",
    "VerifyResult",
    "audit_path",
    "local_actor",
    "open_audit",
    "open_audit_or_unavailable",
    "outcome",
]

AUDIT_FILE = "audit.db"


class Redacting(Protocol):
    """What masking needs of a redactor (``sfai_agent.redact.Redactor`` fits)."""

    def redact(self, value: Any) -> Any: ...


def audit_path() -> Path:
    """``$SFAI_HOME/audit.db`` (or in the platform's data directory)."""
    from sfai.core.paths import sfai_paths

    return sfai_paths().data_dir / AUDIT_FILE


def local_actor() -> str:
    """The person running sfai on this machine, as the audit names them: ``user:alice``."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers with a bare uid)
        name = f"uid{os.getuid()}"
    return f"user:{name}"


class AuditTrail:
    """An :class:`AuditLog` that masks secrets before anything is written; same
    ``append`` as the log, so the engine takes either (``sfai.core.action_flow.AuditSink``)."""

    def __init__(self, log: AuditLog, redactor: Redacting | None = None) -> None:
        self.log = log
        self.redactor = redactor

    def append(
        self,
        kind: Kind | str,
        *,
        actor: str,
        host: str,
        tool: str = "",
        arguments: Any = None,
        detail: Any = None,
        conversation_id: str | None = None,
    ) -> AuditRecord:
        """Mask, then append; :class:`AuditError` means: refuse the action."""
        if self.redactor is not None:
            try:
                arguments = self.redactor.redact(arguments)
                detail = self.redactor.redact(detail)
            except Exception as exc:
                # Writing unmasked text is worse than not writing: refuse instead.
                raise AuditError(f"cannot mask the audit record: {exc}") from exc
        return self.log.append(
            kind,
            actor=actor,
            host=host,
            tool=tool,
            arguments=arguments,
            detail=detail,
            conversation_id=conversation_id,
        )

    def close(self) -> None:
        self.log.close()

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_audit(
    path: Path | None = None, *, redactor: Redacting | None = None, timeout: float = 10.0
) -> AuditTrail:
    """Open (creating if needed) the operator's audit log; :class:`AuditError` if it
    cannot be opened."""
    return AuditTrail(AuditLog(path or audit_path(), timeout=timeout), redactor)


class UnavailableAudit:
    """Stands in when the audit log cannot be opened: every append fails, so every action
    is refused (reads go on; they are not audited events)."""

    def __init__(self, error: AuditError) -> None:
        self.error = error

    def append(self, kind: str, **_: Any) -> AuditRecord:
        raise self.error


def open_audit_or_unavailable(redactor: Redacting | None = None) -> AuditTrail | UnavailableAudit:
    try:
        return open_audit(redactor=redactor)
    except AuditError as exc:
        return UnavailableAudit(exc)


_OUTCOME_KEYS = ("outcome", "summary", "reason", "message", "error")


def outcome(record: AuditRecord) -> str:
    """One line saying how it went, from the record's ``detail``: its ``outcome``,
    ``summary``, ``reason``, ``message`` or ``error`` (first found), prefixed by
    ``ok`` / ``failed`` when the detail has an ``ok`` flag, and ``by ...`` for answers."""
    detail = record.detail
    if detail is None:
        return ""
    if not isinstance(detail, dict):
        return _one_line(detail)
    parts: list[str] = []
    if isinstance(detail.get("ok"), bool):
        parts.append("ok" if detail["ok"] else "failed")
    for key in _OUTCOME_KEYS:
        value = detail.get(key)
        if value:
            if isinstance(value, dict):  # {"code", "message"} error objects
                value = ": ".join(str(value[k]) for k in ("code", "message") if value.get(k))
            parts.append(_one_line(value))
            break
    if detail.get("by"):
        parts.append(f"by {_one_line(detail['by'])}")
    return " · ".join(parts)


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())
