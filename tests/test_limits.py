"""Rate limit, daily quota and conversation budget, counted from a real store's usage rows."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfai.core.config import ConfigError, LimitSettings, config_template, load_config
from sfai.core.events import Usage
from sfai.core.limits import LimitExceeded, Limits
from sfai.core.paths import SfaiPaths
from sfai.core.store import Store, open_store

MIDNIGHT = datetime(2026, 11, 24, tzinfo=UTC).timestamp()
NOW = MIDNIGHT + 18 * 3600 + 48 * 60  # 18:48 UTC: the quota resets in 5 h 12 min


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "sfai.db")
    yield opened
    opened.close()


def requests_at(store: Store, *times: float, provider: str = "anthropic") -> str:
    """One model request per time, recorded the way the engine records it, then dated."""
    cid = store.create_conversation(
        host="web1", provider=provider, model="m", mode="diagnose", title="q"
    )
    for at in times:
        store.record_usage(cid, provider, "m", Usage(input_tokens=10, cost_usd=0.01, requests=1))
        store.db.execute(
            "UPDATE usage SET recorded_at = ? WHERE id = (SELECT MAX(id) FROM usage)", [at]
        )
    return cid


def limits(
    store: Store, per_minute: int = 10, per_day: int = 500, budget: float = 0.0, **kwargs: float
) -> Limits:
    settings = LimitSettings(
        requests_per_minute=per_minute, requests_per_day=per_day, max_budget_usd=budget
    )
    return Limits(store, settings, now=lambda: NOW, **kwargs)


def refusal(check: Limits, provider: str = "anthropic", cost: float = 0.0) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as caught:
        check.check_before_request(provider, cost)
    return caught.value


# -- rate -----------------------------------------------------------------------
def test_nine_requests_in_the_last_minute_leave_room_for_a_tenth(store: Store) -> None:
    requests_at(store, *(NOW - 50 + i for i in range(9)))
    limits(store).check_before_request("anthropic", 0.0)


def test_ten_requests_in_the_last_minute_stop_the_eleventh(store: Store) -> None:
    requests_at(store, NOW - 37, *(NOW - 30 + i for i in range(9)))
    error = refusal(limits(store))
    assert error.kind == "rate"
    assert str(error) == (
        "10 requests in the last minute (limit 10): wait 23 s or raise [limits] requests_per_minute"
    )
    assert "SFAI_LIMITS__REQUESTS_PER_MINUTE" in error.hint
    assert error.retry_after_s == pytest.approx(23.0)


def test_the_wait_is_until_enough_requests_leave_the_window(store: Store) -> None:
    """12 in the window with a limit of 10: three must leave, so wait for the third oldest."""
    requests_at(store, NOW - 55, NOW - 50, NOW - 40, *(NOW - 10 + i for i in range(9)))
    error = refusal(limits(store))
    assert "12 requests in the last minute" in error.message
    assert error.retry_after_s == pytest.approx(20.0)


def test_requests_older_than_a_minute_do_not_count(store: Store) -> None:
    requests_at(store, *(NOW - 60 - i for i in range(10)))  # exactly 60 s ago is out
    requests_at(store, *(NOW - 5 + i for i in range(5)))
    limits(store).check_before_request("anthropic", 0.0)


def test_a_request_recorded_just_inside_the_minute_counts(store: Store) -> None:
    requests_at(store, NOW - 59.5, *(NOW - 20 + i for i in range(9)))
    error = refusal(limits(store))
    assert error.message.startswith("10 requests") and "wait 1 s" in error.message


def test_every_non_offline_provider_counts_towards_the_rate(store: Store) -> None:
    requests_at(store, *(NOW - 20 + i for i in range(5)), provider="anthropic")
    requests_at(store, *(NOW - 10 + i for i in range(5)), provider="openai")
    assert refusal(limits(store), provider="openai").kind == "rate"


def test_a_rate_of_zero_means_no_limit(store: Store) -> None:
    requests_at(store, *(NOW - 20 + i for i in range(15)))
    limits(store, per_minute=0).check_before_request("anthropic", 0.0)


# -- offline --------------------------------------------------------------------
def test_offline_requests_are_not_counted(store: Store) -> None:
    requests_at(store, *(NOW - 20 + i for i in range(30)), provider="offline")
    limits(store, per_day=20).check_before_request("anthropic", 0.0)


def test_the_offline_provider_is_never_limited(store: Store) -> None:
    requests_at(store, *(NOW - 20 + i for i in range(30)))
    check = limits(store, per_minute=10, per_day=20, budget=0.01)
    check.check_before_request("offline", 99.0)
    assert refusal(check, cost=0.0).kind == "quota"  # the same state stops anthropic


# -- quota ----------------------------------------------------------------------
def test_quota_stops_at_the_daily_limit_and_not_before(store: Store) -> None:
    requests_at(store, *(MIDNIGHT + 3600 * i for i in range(4)))
    check = limits(store, per_day=5)
    check.check_before_request("anthropic", 0.0)
    requests_at(store, MIDNIGHT + 3600 * 5)
    error = refusal(check)
    assert error.kind == "quota"
    assert str(error) == (
        "5 requests today (limit 5, counted since 00:00 UTC): the quota resets in 5 h 12 min "
        "or raise [limits] requests_per_day"
    )
    assert error.retry_after_s == pytest.approx(5 * 3600 + 12 * 60)
    assert "--provider offline" in error.hint


def test_quota_counts_from_midnight_utc(store: Store) -> None:
    requests_at(store, *(MIDNIGHT - 1 - i for i in range(10)))  # yesterday
    requests_at(store, MIDNIGHT, MIDNIGHT + 1)  # 00:00:00 exactly counts
    check = limits(store, per_day=3)
    check.check_before_request("anthropic", 0.0)
    requests_at(store, MIDNIGHT + 2)
    assert refusal(check).kind == "quota"


def test_the_quota_is_reported_before_the_rate(store: Store) -> None:
    """Waiting a minute would not help: say so."""
    requests_at(store, *(NOW - 30 + i for i in range(10)))
    assert refusal(limits(store, per_day=10)).kind == "quota"


def test_deleted_conversations_still_count_towards_the_quota(store: Store) -> None:
    cid = requests_at(store, *(MIDNIGHT + 60 * i for i in range(3)))
    store.delete_conversation(cid)
    assert refusal(limits(store, per_day=3)).kind == "quota"


def test_usage_rows_in_the_future_are_ignored(store: Store) -> None:
    requests_at(store, *(NOW + 10 + i for i in range(20)))
    limits(store, per_day=5).check_before_request("anthropic", 0.0)


# -- budget ---------------------------------------------------------------------
def test_budget_stops_a_conversation_that_has_spent_it(store: Store) -> None:
    check = limits(store, budget=0.05)
    check.check_before_request("anthropic", 0.0499)
    error = refusal(check, cost=0.05)
    assert error.kind == "budget"
    assert str(error) == (
        "this conversation has cost $0.0500, its budget is $0.0500: start a new conversation "
        "or raise the budget"
    )
    assert "--max-budget-usd" in error.hint
    assert error.retry_after_s is None


def test_a_budget_of_zero_is_off(store: Store) -> None:
    limits(store, budget=0.0).check_before_request("anthropic", 1000.0)


def test_max_budget_usd_option_overrides_the_config(store: Store) -> None:
    limits(store, budget=0.0, max_budget_usd=0.10).check_before_request("anthropic", 0.09)
    assert refusal(limits(store, budget=0.0, max_budget_usd=0.10), cost=0.10).kind == "budget"
    limits(store, budget=0.05, max_budget_usd=0.0).check_before_request("anthropic", 5.0)


def test_the_budget_is_checked_before_counting(store: Store) -> None:
    requests_at(store, *(NOW - 30 + i for i in range(10)))
    assert refusal(limits(store, budget=0.01), cost=0.02).kind == "budget"


def test_status_counts_the_last_minute_and_today(store: Store) -> None:
    requests_at(store, MIDNIGHT - 5, MIDNIGHT + 5, NOW - 90, NOW - 30, NOW - 1)
    requests_at(store, NOW - 2, provider="offline")
    status = limits(store).status()
    assert (status.last_minute, status.today) == (2, 4)


def test_the_real_clock_is_the_default(store: Store) -> None:
    requests_at(store, *(time.time() - i for i in range(3)))
    check = Limits(store, LimitSettings(requests_per_minute=3))
    assert refusal(check).kind == "rate"


# -- config -----------------------------------------------------------------------
def _paths(tmp_path: Path) -> SfaiPaths:
    return SfaiPaths(config_dir=tmp_path, data_dir=tmp_path)


def test_limits_defaults(tmp_path: Path) -> None:
    config = load_config(_paths(tmp_path), environ={})
    assert config.limits == LimitSettings(10, 500, 0.0)
    assert config.as_dict()["limits"] == {
        "requests_per_minute": 10,
        "requests_per_day": 500,
        "max_budget_usd": 0.0,
    }
    assert "[limits]\n" in config_template() and "requests_per_minute = 10\n" in config_template()


def test_limits_from_the_file_and_the_environment(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[limits]\nrequests_per_day = 50\nmax_budget_usd = 1\n")
    config = load_config(_paths(tmp_path), environ={"SFAI_LIMITS__REQUESTS_PER_MINUTE": "3"})
    assert config.limits == LimitSettings(3, 50, 1.0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("requests_per_minute = -1", "limits.requests_per_minute: expected 0 (no limit) or more"),
        ("max_budget_usd = -0.5", "limits.max_budget_usd: expected 0 (no limit) or more"),
        ('requests_per_day = "lots"', "limits.requests_per_day: expected int"),
    ],
)
def test_wrong_limits_are_config_errors(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(f"[limits]\n{line}\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(_paths(tmp_path), environ={})
