"""Times in server logs: one place that reads the formats they come in, and writes sfai's own.

Several tools ask "when was this line written?": ``get_logs`` keeps the lines after
``since``, ``get_memory_status`` dates OOM kills from the kernel log. They meet the same
handful of formats, and each reader kept its own copy of the parsing; a format learnt by
one was missed by the other. This module is that parsing, once: ISO 8601 (journal
``short-iso``, ``dmesg --time-format iso``, docker, rsyslog, ``[2026-11-24 14:03:01]`` app
logs), syslog's ``Nov 24 14:03:01``, nginx's error log ``2026/11/24 14:03:01``, the
common/combined access log ``[24/Nov/2026:14:03:01 +0000]``, and plain ``dmesg``'s seconds
since boot. Every time comes out as an aware UTC ``datetime``; :func:`iso_utc` writes one
the way every tool result does (ISO 8601 UTC, to the second, ``Z``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from sfai_agent.tools.base import ToolError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_RELATIVE = re.compile(r"(\d{1,7})\s*([smhdw])", re.IGNORECASE)
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_ISO = re.compile(
    r"\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?\s?(Z|[+-]\d{2}:?\d{2})?"
)
_SYSLOG = re.compile(r"([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})\b")
_NGINX_ERROR = re.compile(r"(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})")
_COMMON_LOG = re.compile(r"\[(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\]")
_DMESG_UPTIME = re.compile(r"^\[\s*(\d+)\.(\d+)\]\s*")


def _zone(text: str | None) -> timezone:
    if not text or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def line_time(line: str, now: datetime, boot_time: datetime | None = None) -> datetime | None:
    """The time a log line starts with, in UTC, or None.

    Knows ISO 8601 (journal short-iso, dmesg iso, docker, rsyslog's modern format,
    ``[2026-11-24 14:03:01]`` app logs), syslog's ``Nov 24 14:03:01`` (year taken from
    ``now``, or the previous one when that would be in the future), nginx error's
    ``2026/11/24 14:03:01`` and the common/combined access format ``[24/Nov/2026:14:03:01
    +0000]``. Times without a zone are taken as UTC. With ``boot_time``, plain ``dmesg``'s
    ``[12345.678901]`` (seconds since boot) counts too, approximate if the host was
    suspended since.
    """
    stamp = _wall_clock_time(line, now)
    if stamp is None and boot_time is not None and (m := _DMESG_UPTIME.match(line)):
        stamp = boot_time + timedelta(seconds=int(m[1]))
    return stamp


def _wall_clock_time(line: str, now: datetime) -> datetime | None:
    try:
        if m := _ISO.match(line):
            y, mo, d, h, mi, s = (int(v) for v in m.groups()[:6])
            return datetime(y, mo, d, h, mi, s, tzinfo=_zone(m[7])).astimezone(UTC)
        if m := _NGINX_ERROR.match(line):
            y, mo, d, h, mi, s = (int(v) for v in m.groups())
            return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
        if (m := _SYSLOG.match(line)) and m[1] in _MONTHS:
            h, mi, s = int(m[3]), int(m[4]), int(m[5])
            stamp = datetime(now.year, _MONTHS[m[1]], int(m[2]), h, mi, s, tzinfo=UTC)
            return stamp.replace(year=now.year - 1) if stamp > now + timedelta(days=1) else stamp
        if (m := _COMMON_LOG.search(line, 0, 200)) and m[2] in _MONTHS:
            d, y, h, mi, s = int(m[1]), int(m[3]), int(m[4]), int(m[5]), int(m[6])
            return datetime(y, _MONTHS[m[2]], d, h, mi, s, tzinfo=_zone(m[7])).astimezone(UTC)
    except ValueError:  # 31 Feb and friends
        return None
    return None


def parse_since(value: str, now: datetime) -> datetime:
    """``1h``/``30m``/``2d``/``1w`` before ``now``, or an ISO 8601 date or time (UTC if no zone)."""
    text = value.strip()
    if m := _RELATIVE.fullmatch(text):
        return now - timedelta(seconds=int(m[1]) * _UNITS[m[2].lower()])
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise ToolError(
            "invalid_argument",
            f"since {value[:40]!r} is neither a relative time nor an ISO 8601 date/time",
            "use e.g. 30m, 2h, 1d, 2026-11-24 or 2026-11-24T14:00:00Z",
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def filter_since(lines: list[str], since: datetime, now: datetime) -> tuple[list[str], bool, bool]:
    """Lines at or after ``since``; a line without a time follows the verdict of the line
    before it (a stack trace follows its header). Returns ``(kept, older_seen, any_time)``:
    whether a line older than ``since`` was met (nothing earlier can match) and whether
    any line had a recognisable time at all."""
    kept: list[str] = []
    verdict = older_seen = any_time = False
    for line in lines:
        stamp = line_time(line, now)
        if stamp is not None:
            any_time = True
            verdict = stamp >= since
            older_seen = older_seen or not verdict
        if verdict:
            kept.append(line)
    return kept, older_seen, any_time


def iso_utc(moment: datetime | float) -> str:
    """An aware ``datetime`` or a Unix time as tool results write times: ``2026-11-24T14:03:01Z``."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
