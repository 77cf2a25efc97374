"""The one path every tool call takes: look up, validate, run bounded, report."""

from __future__ import annotations

import asyncio
import difflib
from functools import cache
from typing import TYPE_CHECKING, Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools.base import JSON, Tool, ToolContext, ToolError
from sfai_agent.tools.bounds import bound_result
from sfai_agent.tools.catalog import load_catalog

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from sfai_agent.policy.rules import Policy


@cache
def _validator(tool_name: str) -> Validator:
    from jsonschema import Draft202012Validator

    tool = load_catalog()[tool_name]
    return Draft202012Validator(tool.spec.input_schema)


def _short(text: str, limit: int = 240) -> str:
    """Quote at most ``limit`` characters of a model's value back to it, keeping the end
    of the message (jsonschema puts the verdict last: "... is too long")."""
    if len(text) <= limit:
        return text
    head, tail = text[: limit - 80], text[-60:]
    return f"{head}… [{len(text) - len(head) - len(tail)} characters cut] …{tail}"


def _describe_schema_error(error: Any) -> str:
    where = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        return str(error.message).replace(
            "Additional properties are not allowed", "unknown argument(s)"
        )
    if error.validator == "required":
        return f"missing required argument: {error.message.split(' ')[0]}"
    prefix = f"argument '{where}': " if where else ""
    return prefix + str(error.message)


def validate_arguments(tool: Tool, arguments: object) -> JSON:
    if not isinstance(arguments, dict):
        raise ToolError("invalid_argument", "tool arguments must be a JSON object")
    if "_invalid_json" in arguments:
        # A provider could not parse the model's arguments (weak local models do this).
        raw = str(arguments["_invalid_json"])[:200]
        raise ToolError(
            "invalid_argument",
            f"{tool.name}: the arguments were not valid JSON: {raw!r}",
            "send the arguments again as one JSON object matching the tool's schema",
        )
    errors = sorted(_validator(tool.name).iter_errors(arguments), key=lambda e: list(e.path))
    if errors:
        raise ToolError(
            "invalid_argument",
            f"{tool.name}: " + "; ".join(_short(_describe_schema_error(e)) for e in errors[:3]),
            f"see the input schema: sfai tools list --json (tool {tool.name})",
        )
    return arguments


def find_tool(name: object) -> Tool:
    catalog = load_catalog()
    if isinstance(name, str) and name in catalog:
        return catalog[name]
    close = difflib.get_close_matches(str(name), list(catalog), n=3)
    hint = f"did you mean {', '.join(close)}?" if close else "list them with: sfai tools list"
    raise ToolError("unknown_tool", f"there is no tool named {str(name)[:80]!r}", hint)


def _policy(context: ToolContext) -> Policy:
    if context.policy is None:
        context.policy = default_policy()
    policy: Policy = context.policy
    return policy


def default_policy(
    rules: list[dict[str, Any]] | None = None, *, actions_allowed: bool = True
) -> Policy:
    """Built-in judges (run_command's allowlist) plus the given user rules."""
    from sfai_agent.policy.rules import Policy

    policy = Policy.from_rules(rules or [], actions_allowed=actions_allowed)
    try:
        from sfai_agent.policy.commands import judge_command
    except ImportError:  # run_command not installed in this build
        return policy
    policy.judges["run_command"] = judge_command
    return policy


def is_dry_run(tool: Tool, arguments: JSON) -> bool:
    """A dry-run changes nothing, so it needs no approval. Tools default to dry_run=true."""
    if not tool.spec.has_dry_run:
        return False
    default = tool.spec.input_schema["properties"]["dry_run"].get("default", True)
    return bool(arguments.get("dry_run", default))


def check_policy(tool: Tool, arguments: JSON, context: ToolContext, *, approved: bool) -> None:
    """Raise the refusal the model and the user will read, or return to let the call run."""
    from sfai_agent.policy.rules import Decision

    verdict = _policy(context).evaluate(tool.spec, arguments)
    if verdict.decision is Decision.DENY:
        raise ToolError(
            "refused_by_policy",
            f"{tool.name}: {verdict.reason}",
            "this is not allowed on this host",
        )
    if verdict.decision is Decision.ASK and not approved and not is_dry_run(tool, arguments):
        raise ToolError(
            "approval_required",
            f"{tool.name} needs the person's approval: {verdict.reason}",
            "sfai asks for approval in act mode; a dry-run (dry_run=true) needs none",
        )


def _bounded_error(exc: ToolError, context: ToolContext) -> JSON:
    """Errors quote arguments the model sent: mask them and keep them short too."""
    return bound_result(
        _mask(exc.as_result(), context), min(4_000, context.settings.max_result_chars)
    )


def _mask(result: JSON, context: ToolContext) -> JSON:
    if context.redactor is None:
        from sfai_agent.redact import Redactor

        context.redactor = Redactor()
    masked: JSON = context.redactor.redact(result)
    return masked


async def call_tool(
    name: str, arguments: object, context: ToolContext, *, approved: bool = False
) -> JSON:
    """Run a tool by name. Never raises: failures are ``{"ok": false, "error": ...}`` results.

    ``approved``: the operator's approval flow granted this exact call. Secrets in the
    result are masked here, before anything leaves the host.
    """
    timeout_s = context.settings.tool_timeout_s
    try:
        tool = find_tool(name)
        checked = validate_arguments(tool, arguments)
        check_policy(tool, checked, context, approved=approved)
        timeout_s = float(getattr(context.settings, tool.spec.timeout_setting))
        result = await asyncio.wait_for(tool.implementation(context, checked), timeout_s)
    except ToolError as exc:
        return _bounded_error(exc, context)
    except ExecutorError as exc:
        return _bounded_error(ToolError.from_executor(exc), context)
    except TimeoutError:
        return ToolError(
            "timeout",
            f"{name} did not finish within {timeout_s:g}s",
            "try a narrower request (a smaller path, fewer lines)",
        ).as_result()
    except Exception as exc:  # a bug in a tool must not take the session down
        return _mask(
            ToolError("internal", f"{name} failed: {type(exc).__name__}: {exc}").as_result(),
            context,
        )
    result.setdefault("ok", True)
    result = {"ok": result.pop("ok"), "summary": result.pop("summary", ""), **result}
    return bound_result(_mask(result, context), context.settings.max_result_chars)
