"""Shared fixtures. Every test runs under its own SFAI_HOME; real parts come from
``tests/fixtures/`` plugins (nginx, supervisord...)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import JSON, ToolContext
from sfai_agent.tools.runner import call_tool

pytest_plugins = [
    "tests.fixtures.processes",
    "tests.fixtures.nginx",
    "tests.fixtures.nginx_sites",
    "tests.fixtures.supervisor",
    "tests.fixtures.pebble",
    "tests.fixtures.git_app",
    "tests.fixtures.fake_claude",
    "tests.fixtures.agent",
    "tests.fixtures.agent_hosts",
    "tests.fixtures.sshd",
]


@pytest.fixture(autouse=True)
def sfai_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """An empty SFAI_HOME per test, and no API key leaking in from the environment."""
    home = tmp_path_factory.mktemp("sfai-home")
    monkeypatch.setenv("SFAI_HOME", str(home))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    for key in [k for k in __import__("os").environ if k.startswith("SFAI_") and k != "SFAI_HOME"]:
        monkeypatch.delenv(key, raising=False)
    yield home


@pytest.fixture
def settings() -> AgentSettings:
    return AgentSettings()


@pytest.fixture
def make_context(settings: AgentSettings):  # type: ignore[no-untyped-def]
    def factory(**overrides: object) -> ToolContext:
        base = settings
        if overrides:
            from dataclasses import replace

            base = replace(settings, **overrides)  # type: ignore[arg-type]
        return ToolContext(executor=LocalExecutor(), settings=base)

    return factory


@pytest.fixture
def run_tool(make_context):  # type: ignore[no-untyped-def]
    """Call a tool through the real runner on the local host: ``await run_tool(name, args, **settings)``."""

    async def runner(name: str, arguments: object = None, **overrides: object) -> JSON:
        return await call_tool(
            name, {} if arguments is None else arguments, make_context(**overrides)
        )

    return runner
