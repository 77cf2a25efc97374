"""systemd, when it is PID 1: ``systemctl list-units`` for the list, one batched
``systemctl show`` for pids, timestamps, restart counters and exit statuses.

Timestamps are read with ``TZ=UTC`` so they parse without timezone guessing; uptimes use
the monotonic stamps against ``/proc/uptime``, so the host's clock is the only clock used.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools import managers
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.logtime import iso_utc
from sfai_agent.tools.managers import ManagerProbe, ServiceRecord

NAME = "systemd"
SHOW_BATCH = 200
PROPERTIES = (
    "Id",
    "Description",
    "LoadState",
    "ActiveState",
    "SubState",
    "Result",
    "MainPID",
    "NRestarts",
    "ExecMainCode",
    "ExecMainStatus",
    "ActiveEnterTimestamp",
    "ActiveEnterTimestampMonotonic",
    "StateChangeTimestamp",
    "WorkingDirectory",
    "FragmentPath",
)
_UTC_ENV = {"TZ": "UTC"}
_CLD_EXITED = "1"


def parse_list_units(output: str) -> list[tuple[str, str, str, str, str]]:
    """``UNIT LOAD ACTIVE SUB DESCRIPTION`` rows (``--plain --no-legend``); a leading ``●``
    marks failed units on some versions and is dropped."""
    rows: list[tuple[str, str, str, str, str]] = []
    for line in output.splitlines():
        parts = line.replace("\u25cf", " ").split(None, 4)
        if len(parts) >= 4 and parts[0].endswith(".service"):
            rows.append(
                (parts[0], parts[1], parts[2], parts[3], parts[4] if len(parts) > 4 else "")
            )
    return rows


def parse_show(output: str) -> list[dict[str, str]]:
    """``systemctl show`` output: one ``Key=Value`` block per unit, blank-line separated."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in [*output.splitlines(), ""]:
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, _, value = line.partition("=")
        current[key] = value
    return blocks


def _timestamp(value: str) -> str | None:
    """``Tue 2024-01-02 03:04:05 UTC`` (or ``@1704164645``) → ISO 8601 UTC."""
    value = value.strip()
    if not value or value == "n/a":
        return None
    if value.startswith("@") and value[1:].isdigit():
        return iso_utc(int(value[1:]))
    parts = value.split()
    if len(parts) >= 3:
        try:
            parsed = datetime.strptime(f"{parts[1]} {parts[2]}", "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
        return iso_utc(parsed.replace(tzinfo=UTC))
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "", "[not set]") else None
    except ValueError:
        return None


def _state(active: str, sub: str, result: str) -> str:
    if active == "failed":
        return "failed"
    if active in ("active", "reloading", "refreshing"):
        return "running"
    if active == "activating":
        # Waiting to be restarted after a crash: a crash loop, not a start.
        return "failed" if sub == "auto-restart" and result not in ("", "success") else "starting"
    if active in ("inactive", "deactivating", "maintenance"):
        return "stopped"
    return "unknown"


def _record(
    unit: str, row: tuple[str, ...], props: dict[str, str], boot_s: float | None
) -> ServiceRecord:
    active = props.get("ActiveState") or row[2]
    sub = props.get("SubState") or row[3]
    result = props.get("Result", "")
    state = _state(active, sub, result)
    record = ServiceRecord(
        name=unit.removesuffix(".service"),
        manager=NAME,
        state=state,
        raw_state=f"{active} ({sub})",
        description=props.get("Description") or row[4],
        restarts=_int(props.get("NRestarts")),
        details={"unit": unit},
        aliases=(unit,),
    )
    for key, detail in (
        ("WorkingDirectory", "cwd"),
        ("FragmentPath", "unit_file"),
        ("Result", "result"),
    ):
        if props.get(key):
            record.details[detail] = props[key]
    pid = _int(props.get("MainPID"))
    record.pid = pid if pid else None
    if state in ("running", "starting"):
        record.since = _timestamp(props.get("ActiveEnterTimestamp", ""))
        entered = _int(props.get("ActiveEnterTimestampMonotonic"))
        if state == "running" and entered and boot_s is not None:
            record.uptime_s = max(int(boot_s - entered / 1_000_000), 0)
    else:
        record.since = _timestamp(props.get("StateChangeTimestamp", ""))
        status = _int(props.get("ExecMainStatus"))
        code = props.get("ExecMainCode", "")
        if status is not None and code and code != "0":
            record.exit_code = status if code == _CLD_EXITED else 128 + status
    return record


async def _boot_seconds(ctx: ToolContext) -> float | None:
    try:
        text = (await ctx.executor.read_file("/proc/uptime", max_bytes=128)).decode()
        return float(text.split()[0])
    except (ExecutorError, ValueError, IndexError):
        return None


async def probe(ctx: ToolContext) -> ManagerProbe:
    try:
        comm = (await ctx.executor.read_file("/proc/1/comm", max_bytes=64)).decode().strip()
    except ExecutorError as exc:
        return managers.unavailable(NAME, f"cannot tell what PID 1 is ({exc.message})")
    if comm != "systemd":
        return managers.unavailable(NAME, f"PID 1 is {comm or 'unknown'!r}, not systemd")
    if await ctx.executor.which("systemctl") is None:
        return managers.unavailable(NAME, "systemctl is not on PATH")
    listing = await managers.run(
        ctx,
        [
            "systemctl",
            "list-units",
            "--type=service",
            "--all",
            "--no-pager",
            "--plain",
            "--no-legend",
        ],
    )
    rows = [row for row in parse_list_units(listing.stdout) if row[1] != "not-found"]
    if not listing.ok and not rows:
        return managers.unavailable(
            NAME, f"systemctl failed: {managers.first_line(listing.stderr, listing.stdout)}"
        )
    props_by_unit: dict[str, dict[str, str]] = {}
    for start in range(0, len(rows), SHOW_BATCH):
        batch = [row[0] for row in rows[start : start + SHOW_BATCH]]
        shown = await managers.run(
            ctx,
            ["systemctl", "show", "--no-pager", "-p", ",".join(PROPERTIES), "--", *batch],
            env=_UTC_ENV,
        )
        # One block per unit, in argument order (``Id`` may differ for an alias).
        for unit, block in zip(batch, parse_show(shown.stdout), strict=False):
            props_by_unit[unit] = block
    boot_s = await _boot_seconds(ctx)
    records = [_record(row[0], row, props_by_unit.get(row[0], {}), boot_s) for row in rows]
    return ManagerProbe(name=NAME, available=True, records=records)


async def recent_logs(ctx: ToolContext, record: ServiceRecord, lines: int) -> list[str]:
    """The unit's last journal lines (UTC timestamps)."""
    unit = record.details.get("unit", f"{record.name}.service")
    result = await managers.run(
        ctx,
        [
            "journalctl",
            f"--unit={unit}",
            "-n",
            str(lines),
            "--no-pager",
            "--quiet",
            "--utc",
            "-o",
            "short-iso",
        ],
    )
    return [line for line in result.stdout.splitlines() if line.strip()][-lines:]
