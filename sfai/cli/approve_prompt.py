"""Asking the person on the terminal: the exact call, its risk, the dry-run, then a choice.

There is no default answer: Enter alone asks again, so a stray keypress approves nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys

from sfai.cli import output
from sfai.core.approval import Answer, ApprovalRequest, Choice
from sfai.core.audit import local_actor

CHOICES = {
    "o": Choice.ONCE,
    "once": Choice.ONCE,
    "a": Choice.ALWAYS,
    "always": Choice.ALWAYS,
    "n": Choice.NO,
    "no": Choice.NO,
}


def describe(request: ApprovalRequest) -> str:
    arguments = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in request.arguments.items()
    )
    lines = [
        "",
        f"sfai wants to run {request.tool}({arguments}) on {request.host}",
        f"  risk: {request.risk} — {request.reason}",
    ]
    if request.preview_text:
        preview = request.preview_text.splitlines()
        lines.append("  dry-run:")
        lines += [f"    {line}" for line in preview[:60]]
        if len(preview) > 60:
            lines.append(
                f"    … {len(preview) - 60} more lines (sfai tools run {request.tool} shows them all)"
            )
    return "\n".join(lines)


class TerminalApprover:
    async def approve(self, request: ApprovalRequest) -> Answer:
        output.info(describe(request))
        while True:
            raw = await asyncio.to_thread(_ask, "Approve? [o]nce / [a]lways this session / [n]o: ")
            if raw is None:
                return Answer(Choice.NO, local_actor(), "no answer (end of input)")
            choice = CHOICES.get(raw.strip().lower())
            if choice is None:
                continue
            if choice is Choice.NO:
                reason = await asyncio.to_thread(_ask, "Why not? (told to the model, optional): ")
                return Answer(Choice.NO, local_actor(), (reason or "").strip())
            return Answer(choice, local_actor())


def _ask(prompt: str) -> str | None:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    return line if line else None
