"""Rate limit, daily quota and per-conversation budget, checked before each model request.

Counts come from the store's ``usage`` table (one row per model request, written by the
engine), so every ``sfai`` process on this machine and SFAI_HOME shares them: ten
``sfai ask`` run in a loop by a script hit the same limit as one long conversation.
The offline provider costs nothing and is never limited.

The engine calls :meth:`Limits.check_before_request` before each provider request and
turns :class:`LimitExceeded` into exit code 4 (``ExitCode.RATE_LIMITED``). The check runs
before a request, so a conversation may overshoot its budget by the cost of one request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sfai.core.config import LimitSettings
    from sfai.core.store import Store

LimitKind = Literal["rate", "quota", "budget"]
UNLIMITED_PROVIDERS = frozenset({"offline"})
WINDOW_S = 60.0
DAY_S = 86_400.0


class LimitExceeded(Exception):
    """A limit would be passed by the next model request; ``message`` says by how much
    and when it frees up, ``hint`` how to change it."""

    def __init__(
        self, kind: LimitKind, message: str, hint: str, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.retry_after_s = retry_after_s
        """Seconds until a request is allowed again; None when waiting does not help."""


@dataclass(frozen=True)
class LimitStatus:
    """Requests counted against the limits right now (for `sfai usage` and the TUI)."""

    last_minute: int
    today: int


def _duration(seconds: float) -> str:
    """``23 s``, ``4 min``, ``5 h 12 min``: rounded up, so waiting that long is enough."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _requests(count: int) -> str:
    return f"{count} request{'s' * (count != 1)}"


class Limits:
    """``Limits(store, config.limits).check_before_request(provider, cost_so_far)``.

    ``now`` returns the epoch time (injected by tests). ``max_budget_usd`` overrides the
    config's budget (``--max-budget-usd``); 0 turns it off."""

    def __init__(
        self,
        store: Store,
        settings: LimitSettings,
        now: Callable[[], float] = time.time,
        *,
        max_budget_usd: float | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.now = now
        self.max_budget_usd = settings.max_budget_usd if max_budget_usd is None else max_budget_usd

    def check_before_request(self, provider: str, conversation_cost_usd: float) -> None:
        """Raise :class:`LimitExceeded` if one more request to ``provider`` would pass a
        limit: the budget first, then the daily quota (waiting a minute would not help),
        then the per-minute rate."""
        if provider in UNLIMITED_PROVIDERS:
            return
        budget = self.max_budget_usd
        if budget > 0 and conversation_cost_usd >= budget:
            raise LimitExceeded(
                "budget",
                f"this conversation has cost ${conversation_cost_usd:.4f}, its budget is "
                f"${budget:.4f}: start a new conversation or raise the budget",
                "--max-budget-usd sets it for one run, [limits] max_budget_usd for all "
                "(0: no budget)",
            )
        now = self.now()
        self._check_quota(now)
        self._check_rate(now)

    def status(self) -> LimitStatus:
        now = self.now()
        return LimitStatus(
            last_minute=self._count_since(now - WINDOW_S, now),
            today=self._count_since(_day_start(now), now, inclusive=True),
        )

    def _check_quota(self, now: float) -> None:
        limit = self.settings.requests_per_day
        if limit <= 0:
            return
        day_start = _day_start(now)
        count = self._count_since(day_start, now, inclusive=True)
        if count < limit:
            return
        reset = day_start + DAY_S - now
        raise LimitExceeded(
            "quota",
            f"{_requests(count)} today (limit {limit}, counted since 00:00 UTC): the quota "
            f"resets in {_duration(reset)} or raise [limits] requests_per_day",
            "set it in config.toml (`sfai config path`) or SFAI_LIMITS__REQUESTS_PER_DAY; "
            "the offline provider (--provider offline) is not limited",
            retry_after_s=reset,
        )

    def _check_rate(self, now: float) -> None:
        limit = self.settings.requests_per_minute
        if limit <= 0:
            return
        times = self._times_in_window(now)
        if len(times) < limit:
            return
        # One more is allowed once enough of the oldest have left the window.
        wait = times[len(times) - limit] + WINDOW_S - now
        raise LimitExceeded(
            "rate",
            f"{_requests(len(times))} in the last minute (limit {limit}): wait "
            f"{_duration(wait)} or raise [limits] requests_per_minute",
            "set it in config.toml (`sfai config path`) or SFAI_LIMITS__REQUESTS_PER_MINUTE; "
            "it guards against runaway loops and scripts",
            retry_after_s=max(wait, 0.0),
        )

    # -- counting -----------------------------------------------------------
    # A request recorded exactly 60 s ago has left the window; one at 00:00 UTC counts today.
    _COUNTED = "provider NOT IN ({}) AND recorded_at {{}} ? AND recorded_at <= ?".format(
        ", ".join(f"'{name}'" for name in sorted(UNLIMITED_PROVIDERS))
    )

    def _count_since(self, start: float, now: float, *, inclusive: bool = False) -> int:
        where = self._COUNTED.format(">=" if inclusive else ">")
        row = self.store.db.execute(
            f"SELECT COALESCE(SUM(requests), 0) FROM usage WHERE {where}",  # noqa: S608
            [start, now],
        ).fetchone()
        return int(row[0])

    def _times_in_window(self, now: float) -> list[float]:
        """One entry per request in the last 60 s, oldest first."""
        where = self._COUNTED.format(">")
        rows = self.store.db.execute(
            f"SELECT recorded_at, requests FROM usage WHERE {where} ORDER BY recorded_at",  # noqa: S608
            [now - WINDOW_S, now],
        ).fetchall()
        return [float(at) for at, requests in rows for _ in range(max(int(requests), 0))]


def _day_start(now: float) -> float:
    """00:00 UTC of the day ``now`` falls in."""
    return now - (now % DAY_S)
