"""One tool call under the safety model: modes, approval with a dry-run first, audit.

Read-only calls go straight to the host. For anything the host's policy says needs
approval, the flow is: audit the proposal; in ``diagnose`` mode refuse; in ``suggest``
mode run the dry-run only; in ``act`` mode compute the dry-run, ask the Approver, audit
the answer, write the execution to the audit log *before* running (no audit, no action),
run it approved, audit the result. Every policy refusal is audited too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sfai.core.approval import Answer, ApprovalRequest, Approver, Choice
from sfai.core.events import ApprovalEvent, Event
from sfai.core.host import Host
from sfai.core.providers.base import ToolUse
from sfai.core.store import Store
from sfai_agent.tools.base import ToolSpec
from sfai_agent.tools.render import render_result

JSON = dict[str, Any]


class AuditSink(Protocol):
    def append(
        self,
        kind: str,
        *,
        actor: str,
        host: str,
        tool: str = "",
        arguments: JSON | None = None,
        detail: JSON | None = None,
        conversation_id: str | None = None,
    ) -> Any: ...


_REFUSALS = {"refused_by_policy", "invalid_argument", "unknown_tool"}
"""Error codes that mean "not allowed", audited as refusals whatever the mode."""


def approval_scope(tool: str, arguments: JSON) -> str:
    """What "always" covers: the tool on this host, except run_command, where approving one
    program must not approve every other one — there it is the program (argv[0])."""
    if tool == "run_command":
        argv = arguments.get("argv")
        program = argv[0] if isinstance(argv, list) and argv and isinstance(argv[0], str) else "?"
        return f"run_command:{program}"
    return tool


def _error(code: str, message: str, hint: str = "") -> JSON:
    return {"ok": False, "error": {"code": code, "message": message, "hint": hint}}


def _code(result: JSON) -> str:
    error = result.get("error")
    return str(error.get("code", "")) if isinstance(error, dict) else ""


@dataclass
class ToolCaller:
    host: Host
    store: Store
    mode: str
    approver: Approver
    audit: AuditSink | None
    specs: dict[str, ToolSpec]
    """What the model was offered in this mode."""
    actor: str = "model"
    conversation_id: Callable[[], str | None] = lambda: None
    always: set[str] = field(default_factory=set)
    """Scopes (see approval_scope) the person approved "always" for this host, this session."""
    pending: list[ApprovalRequest] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    """Events produced by the last call (approvals), for the engine to emit."""

    def _audit(
        self,
        kind: str,
        *,
        actor: str,
        tool: str,
        arguments: JSON | None = None,
        detail: JSON | None = None,
    ) -> bool:
        """Write an audit record; False when it could not be written."""
        if self.audit is None:
            return True
        try:
            self.audit.append(
                kind,
                actor=actor,
                host=self._where(arguments),
                tool=tool,
                arguments=arguments,
                detail=detail,
                conversation_id=self.conversation_id(),
            )
        except Exception as exc:  # the audit log's own error type, or an OS error
            self._event("ai.audit.failed", {"kind": kind, "tool": tool, "error": str(exc)})
            return False
        return True

    def _where(self, arguments: JSON | None) -> str:
        """The host a call runs on: a multi-host session (sfai.core.multihost) routes each
        call by its ``host`` argument, so approvals and the audit name that host."""
        route = getattr(self.host, "route_name", None)
        return str(route(arguments)) if route is not None else self.host.name

    def _event(self, name: str, data: JSON) -> None:
        self.store.record_event(name, self.conversation_id(), data)

    async def call(self, use: ToolUse) -> JSON:
        """The result the model will see. Approval events are left in ``self.events``."""
        self.events = []
        spec = self.specs.get(use.name)
        if spec is None and use.name in {s.name for s in self.host.catalog()}:
            result = _error(
                "refused_by_policy",
                f"{use.name} is not available in {self.mode} mode",
                "describe the fix instead; the person can switch modes with --mode",
            )
            self._audit(
                "refusal",
                actor=self.actor,
                tool=use.name,
                arguments=use.input,
                detail=result["error"],
            )
            return result
        arguments = dict(use.input)
        if spec is not None and spec.has_dry_run and self.mode != "act":
            arguments["dry_run"] = True  # suggest mode: previews only, never changes
        result = await self.host.call_tool(use.name, arguments)
        code = _code(result)
        if code in _REFUSALS:
            self._audit(
                "refusal",
                actor=self.actor,
                tool=use.name,
                arguments=arguments,
                detail=result["error"],
            )
        if spec is not None and spec.risk.value != "read_only":
            self._event(
                "ai.action.suggested", {"tool": use.name, "arguments": arguments, "mode": self.mode}
            )
            if code != "approval_required":
                self._audit(
                    "proposal",
                    actor=self.actor,
                    tool=use.name,
                    arguments=arguments,
                    detail={"dry_run": arguments.get("dry_run")},
                )
        if code != "approval_required":
            return result
        return await self._approval_flow(use, spec, arguments, result)

    async def _approval_flow(
        self, use: ToolUse, spec: ToolSpec | None, arguments: JSON, refusal: JSON
    ) -> JSON:
        self._audit(
            "proposal",
            actor=self.actor,
            tool=use.name,
            arguments=arguments,
            detail=refusal["error"],
        )
        if self.mode != "act":
            return _error(
                "approval_required",
                f"{use.name} was not run: in {self.mode} mode nothing that changes the server runs",
                "explain what it would do; the person can re-run with --mode act to approve it",
            )
        preview: JSON | None = None
        if spec is not None and spec.has_dry_run:
            preview = await self.host.call_tool(use.name, {**arguments, "dry_run": True})
            if not preview.get("ok"):
                # The dry-run itself was refused or failed: nothing to approve.
                if _code(preview) in _REFUSALS:
                    self._audit(
                        "refusal",
                        actor=self.actor,
                        tool=use.name,
                        arguments=arguments,
                        detail=preview["error"],
                    )
                return preview
        request = ApprovalRequest(
            id=use.id,
            tool=use.name,
            arguments=arguments,
            risk=spec.risk.value if spec else "unknown",
            host=self._where(arguments),
            reason=str(refusal["error"].get("message", "")),
            preview=preview,
            preview_text=render_result(use.name, preview) if preview else "",
        )
        scope = f"{request.host}/{approval_scope(use.name, arguments)}"
        answer = (
            Answer(Choice.ONCE, "session")
            if scope in self.always
            else await self.approver.approve(request)
        )
        self.events.append(ApprovalEvent(id=use.id, decision=answer.choice.value, by=answer.by))
        if not answer.approved:
            return self._declined(use, arguments, answer, request)
        if answer.choice is Choice.ALWAYS:
            self.always.add(scope)
        self._audit(
            "approval",
            actor=answer.by,
            tool=use.name,
            arguments=arguments,
            detail={"choice": answer.choice.value},
        )
        self._event(
            "ai.action.approved", {"tool": use.name, "by": answer.by, "choice": answer.choice.value}
        )
        return await self._execute(use, arguments)

    def _declined(
        self, use: ToolUse, arguments: JSON, answer: Answer, request: ApprovalRequest
    ) -> JSON:
        self._audit(
            "denial",
            actor=answer.by,
            tool=use.name,
            arguments=arguments,
            detail={"choice": answer.choice.value, "reason": answer.reason},
        )
        if answer.choice is Choice.PENDING:
            self.pending.append(request)
            return _error(
                "approval_pending",
                f"{use.name} was not run: {answer.reason}",
                "tell the person what it would do and that it waits for approval",
            )
        reason = answer.reason or "no reason given"
        return _error(
            "denied_by_user",
            f"the person declined {use.name}: {reason}",
            "adapt: propose something else or explain",
        )

    async def _execute(self, use: ToolUse, arguments: JSON) -> JSON:
        final = {**arguments}
        if "dry_run" in final or (self.specs.get(use.name) and self.specs[use.name].has_dry_run):
            final["dry_run"] = False
        if not self._audit("execution", actor="sfai", tool=use.name, arguments=final):
            return _error(
                "refused_by_policy",
                f"{use.name} was not run: the audit log cannot be written",
                "fix the audit log (sfai audit --verify) and try again",
            )
        started = time.monotonic()
        result = await self.host.call_tool(use.name, final, approved=True)
        succeeded = bool(result.get("ok")) and result.get("verified", True) is not False
        self._event(
            "ai.action.executed",
            {"tool": use.name, "duration_s": round(time.monotonic() - started, 3)},
        )
        self._event(
            "ai.action.success" if succeeded else "ai.action.failed",
            {
                "tool": use.name,
                "summary": result.get("summary", ""),
                "verified": result.get("verified"),
                "rolled_back": result.get("rolled_back"),
            },
        )
        self._audit(
            "result",
            actor="sfai",
            tool=use.name,
            arguments=final,
            detail={
                "ok": result.get("ok"),
                "summary": result.get("summary", ""),
                "error": result.get("error"),
            },
        )
        return result
