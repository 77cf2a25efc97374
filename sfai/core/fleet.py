"""Do the same thing on N hosts at once: bounded parallelism, a time limit per host.

``sfai check --all-hosts``, the multi-host snapshot of ``sfai ask`` and the benchmarks all
need the same three guarantees, so they live here once:

- at most ``parallel`` hosts are worked on at a time (a semaphore, default 16): fifty
  hosts do not open fifty TLS handshakes and fifty process trees on the operator's
  machine at the same instant;
- each host gets ``timeout_s`` for *its* work, counted from when its turn starts (not
  from when the batch started), so the total is about the slowest host, never the sum;
- a host that cannot be reached, refuses us, does not answer in time, or fails in a way
  nobody foresaw is an :class:`HostOutcome` with an ``error``, never an exception that
  takes the other hosts' results down, and never a hang.

An inventory entry that cannot even be opened (a transport this build does not have, a
broken entry) becomes an :class:`UnavailableHost` (``sfai.cli.targets`` does that),
reported like any other unreachable host.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sfai.core.host import Host, HostUnreachable
from sfai_agent.tools.base import JSON, ToolSpec

T = TypeVar("T")

DEFAULT_PARALLEL = 16
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class HostError:
    """Why a host gave nothing: ``code`` is ``unreachable``, ``timeout`` (connected, then
    too slow) or ``error`` (an unexpected failure, reported rather than raised)."""

    code: str
    message: str
    hint: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class HostOutcome(Generic[T]):
    """One host's share of a fleet run: a value, or the error that replaced it."""

    name: str
    value: T | None
    error: HostError | None
    elapsed_s: float
    facts: dict[str, Any]
    """What ``connect`` returned (hostname, transport, latency_ms...); empty when the host
    could not be reached (a ``timeout`` after connecting keeps them)."""

    @property
    def ok(self) -> bool:
        return self.error is None


def unreachable_hint(name: str) -> str:
    return f"check the host and the network, then `sfai hosts test {name}`"


async def reach(host: Host, timeout_s: float) -> dict[str, Any]:
    """``host.connect()`` within ``timeout_s``; any failure becomes ``HostUnreachable``.

    Transports raise ``HostUnreachable`` themselves; anything else (an OSError the
    transport did not wrap, a transport that is not built) is wrapped here so the callers
    have one thing to catch."""
    try:
        return await asyncio.wait_for(host.connect(), timeout_s)
    except HostUnreachable:
        raise
    except TimeoutError:
        raise HostUnreachable(
            host.name,
            f"no answer within {timeout_s:g}s",
            unreachable_hint(host.name),
        ) from None
    except Exception as exc:  # a transport's own error: reported, never raised
        raise HostUnreachable(
            host.name, str(exc) or type(exc).__name__, unreachable_hint(host.name)
        ) from None


async def gather_hosts(
    hosts: Sequence[Host],
    job: Callable[[Host], Awaitable[T]],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    parallel: int = DEFAULT_PARALLEL,
) -> list[HostOutcome[T]]:
    """Connect to each host and run ``job`` on it, ``parallel`` hosts at a time.

    ``timeout_s`` bounds one host's connect plus job. Outcomes come back in the order of
    ``hosts``, whatever order they finished in."""
    slots = asyncio.Semaphore(max(1, parallel))

    async def one(host: Host) -> HostOutcome[T]:
        async with slots:
            started = time.monotonic()
            deadline = started + timeout_s
            facts: dict[str, Any] = {}
            try:
                facts = await reach(host, timeout_s)
                remaining = max(0.001, deadline - time.monotonic())
                value = await asyncio.wait_for(job(host), remaining)
            except HostUnreachable as exc:
                error = HostError(
                    "unreachable", exc.message, exc.hint or unreachable_hint(host.name)
                )
                return HostOutcome(host.name, None, error, time.monotonic() - started, {})
            except TimeoutError:
                error = HostError(
                    "timeout",
                    f"no complete answer within {timeout_s:g}s",
                    f"the host is slow or overloaded; try again, or a longer --timeout "
                    f"(`sfai hosts test {host.name}` shows its latency)",
                )
                # Connected, then too slow: the facts say it was reachable.
                return HostOutcome(host.name, None, error, time.monotonic() - started, facts)
            except Exception as exc:  # a bug or a transport's surprise: this host's, only
                error = HostError(
                    "error",
                    f"{type(exc).__name__}: {exc}",
                    "this is a bug in sfai or its transport: please report it with this message",
                )
                return HostOutcome(host.name, None, error, time.monotonic() - started, facts)
            return HostOutcome(host.name, value, None, time.monotonic() - started, facts)

    return list(await asyncio.gather(*(one(host) for host in hosts)))


async def close_all(hosts: Sequence[Host], timeout_s: float = 5.0) -> None:
    """Close every host, concurrently; a host that fails to close is not our problem now."""

    async def close(host: Host) -> None:
        # Closing on the way out: there is nothing left to report a failure to.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(host.close(), timeout_s)

    await asyncio.gather(*(close(host) for host in hosts))


class UnavailableHost:
    """A host that could not be opened: every use says why, none raises past the caller.

    Used for inventory entries whose transport is missing or broken, so one bad entry
    among fifty is one reported host, not a crashed command."""

    def __init__(self, name: str, message: str, hint: str = "") -> None:
        self.name = name
        self.message = message
        self.hint = hint or unreachable_hint(name)

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        return {
            "ok": False,
            "error": {
                "code": "unavailable",
                "message": f"host {self.name} is unreachable: {self.message}",
                "hint": self.hint,
            },
        }

    def catalog(self) -> list[ToolSpec]:
        from sfai_agent.tools.catalog import load_catalog

        return [tool.spec for tool in load_catalog().values()]

    async def connect(self) -> dict[str, Any]:
        raise HostUnreachable(self.name, self.message, self.hint)

    async def metrics(self) -> dict[str, Any]:
        raise HostUnreachable(self.name, self.message, self.hint)

    async def close(self) -> None:
        return None
