"""One ``tools.call`` on the agent: offered?, audited, run by the runner, guarded.

The order matters for safety: the agent's policy file decides first whether the tool is
offered at all (a client's ``approved: true`` cannot lift that), then the audit records
an action *before* it runs (no record, no action), then ``call_tool`` applies the
agent's rules, validates, runs, masks and bounds, under an outer time guard in case a
tool ignores its own timeout.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sfai_agent.audit import AuditError, Kind
from sfai_agent.server.state import AgentState
from sfai_agent.tools.base import JSON, Tool, ToolContext, ToolError
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.runner import call_tool, check_policy, is_dry_run, validate_arguments

log = logging.getLogger("sfai_agent.server")

REFUSAL_CODES = frozenset({"refused_by_policy", "approval_required", "unknown_tool"})


@dataclass(frozen=True)
class Caller:
    """Who is calling: for the audit log and log lines (never the token)."""

    peer: str
    client: str


def _not_offered(state: AgentState, tool: Tool) -> ToolError:
    policy = state.policy
    where = str(policy.source or state.home.policy_file)
    if tool.spec.risk.value != "read_only" and not policy.actions_allowed:
        return ToolError(
            "refused_by_policy",
            f"{tool.name} changes the server, and this agent's policy allows no actions "
            "(approval on the client side cannot lift this)",
            f"the host's owner can set actions_allowed = true under [agent] in {where}",
        )
    return ToolError(
        "refused_by_policy",
        f"{tool.name} is not offered by this agent's policy",
        f"the host's owner can offer it under [agent] in {where}",
    )


async def _audit(
    state: AgentState,
    kind: Kind,
    caller: Caller,
    tool: str,
    arguments: Any,
    detail: dict[str, Any],
) -> None:
    """Append one record, off the event loop (SQLite waits for the disk). Raises
    :class:`AuditError` when it cannot."""
    audit = state.audit
    if audit is None:
        raise AuditError(state.audit_problem or "the audit log is not open")
    await asyncio.to_thread(
        audit.append,
        kind.value,
        actor=f"{caller.client}@{caller.peer}",
        host=state.facts.hostname,
        tool=tool,
        arguments=arguments,
        detail={"peer": caller.peer, **detail},
    )


async def _audit_quietly(
    state: AgentState, kind: Kind, caller: Caller, tool: str, arguments: Any, detail: dict[str, Any]
) -> None:
    """For records that come after the fact (a refusal, a result): log when they fail."""
    try:
        await _audit(state, kind, caller, tool, arguments, detail)
    except AuditError as exc:
        log.error(
            "cannot record the %s of %s from %s in the audit log: %s", kind, tool, caller.peer, exc
        )


async def audit_refusal(state: AgentState, caller: Caller, what: str, message: str) -> None:
    """Record a refusal that is not a tool call (a wrong token): best effort."""
    await _audit_quietly(
        state,
        Kind.REFUSAL,
        caller,
        what,
        None,
        {"error": {"code": "unauthenticated", "message": message}},
    )


async def _guarded(
    state: AgentState, tool: Tool, arguments: object, context: ToolContext, approved: bool
) -> JSON:
    limit = float(getattr(context.settings, tool.spec.timeout_setting))
    try:
        async with asyncio.timeout(limit + state.policy.limits.timeout_grace_s):
            return await call_tool(tool.name, arguments, context, approved=approved)
    except TimeoutError:
        return ToolError(
            "timeout",
            f"{tool.name} did not finish within {limit:g}s and was stopped by the agent",
            "try a narrower request (a smaller path, fewer lines)",
        ).as_result()


def _executes_a_change(tool: Tool, arguments: object, context: ToolContext, approved: bool) -> bool:
    """Whether this call will run *and* may change the host, so it must be recorded
    before it runs: an action, or a read-only tool whose verdict asks for approval (a
    ``run_command`` the allowlist judges a change, a tool under an ``ask`` rule). A
    refused call is recorded as a refusal instead, after the runner words it."""
    from sfai_agent.policy.rules import Decision

    try:
        checked = validate_arguments(tool, arguments)
        check_policy(tool, checked, context, approved=approved)
    except ToolError:
        return False
    if tool.spec.risk.value != "read_only":
        return True
    return bool(context.policy.evaluate(tool.spec, checked).decision is Decision.ASK)


def _summary(result: JSON) -> dict[str, Any]:
    error = result.get("error") if isinstance(result.get("error"), dict) else None
    detail: dict[str, Any] = {"ok": bool(result.get("ok")), "summary": result.get("summary", "")}
    if error is not None:
        detail["error"] = {"code": error.get("code"), "message": error.get("message")}
    return detail


async def run_call(
    state: AgentState,
    context: ToolContext,
    caller: Caller,
    name: str,
    arguments: object,
    approved: bool,
) -> JSON:
    """The result object of one call, as ``call_tool`` would return it on this host."""
    tool = load_catalog().get(name)
    if tool is None:  # the runner words the refusal (and suggests close names)
        return await call_tool(name, arguments, context, approved=approved)
    masked_args = context.redactor.redact(arguments) if context.redactor else arguments
    if not state.policy.offers(tool.spec):
        refusal = _not_offered(state, tool)
        log.warning(
            "refused %s from %s (%s): %s", name, caller.peer, caller.client, refusal.message
        )
        await _audit_quietly(
            state, Kind.REFUSAL, caller, name, masked_args,
            {"approved": approved, "error": {"code": refusal.code, "message": refusal.message}},
        )  # fmt: skip
        return refusal.as_result()
    executes = _executes_a_change(tool, arguments, context, approved)
    if executes:
        dry_run = isinstance(arguments, dict) and is_dry_run(tool, arguments)
        try:
            await _audit(
                state, Kind.EXECUTION, caller, name, masked_args,
                {"approved": approved, "dry_run": dry_run},
            )  # fmt: skip
        except AuditError as exc:
            log.error(
                "refused %s from %s: the audit log cannot be written: %s", name, caller.peer, exc
            )
            return ToolError(
                "unavailable",
                f"{name} refused: the agent cannot write its audit log ({exc})",
                "free disk space or fix the permissions of audit.db on that host; "
                "no action runs unrecorded",
            ).as_result()
    result = await _guarded(state, tool, arguments, context, approved)
    error = result.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if code in REFUSAL_CODES:
        message = error.get("message", "") if isinstance(error, dict) else ""
        log.warning("refused %s from %s (%s): %s", name, caller.peer, caller.client, message)
    if executes:  # an execution record always gets its result, refused inside or not
        await _audit_quietly(state, Kind.RESULT, caller, name, masked_args, _summary(result))
    elif code in REFUSAL_CODES:
        await _audit_quietly(
            state, Kind.REFUSAL, caller, name, masked_args,
            {"approved": approved, **_summary(result)},
        )  # fmt: skip
    return result
