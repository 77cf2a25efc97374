"""Dependencies point one way, and the fast paths stay fast: checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def modules_after_import(*modules: str) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


AGENT_MODULES = [
    "sfai_agent.audit",
    "sfai_agent.exec",
    "sfai_agent.tools.catalog",
    "sfai_agent.tools.runner",
    "sfai_agent.policy.paths",
    "sfai_agent.policy.identifiers",
]


def test_sfai_agent_never_imports_sfai() -> None:
    code = "from sfai_agent.tools.catalog import load_catalog; load_catalog()"
    subprocess.run([sys.executable, "-c", code], check=True)
    loaded = top_level(modules_after_import(*AGENT_MODULES))
    assert "sfai" not in loaded


@pytest.mark.parametrize(
    "module",
    [
        "sfai.core.config",
        "sfai.core.checks",
        "sfai.core.store",
        "sfai.core.exit_codes",
        "sfai.hosts.local",
    ],
)
def test_core_never_imports_textual_or_rich(module: str) -> None:
    loaded = top_level(modules_after_import(module))
    assert not loaded & {"textual", "rich"}, f"{module} pulls in {loaded & {'textual', 'rich'}}"


def test_cli_entry_point_does_not_import_textual_or_the_sdk() -> None:
    loaded = top_level(modules_after_import("sfai.cli.main"))
    assert not loaded & {"textual", "anthropic", "asyncssh", "mcp", "jsonschema", "cryptography"}


def test_catalog_import_stays_light() -> None:
    """`sfai tools list` imports every family; none may pull heavy libraries at module level."""
    code = "from sfai_agent.tools.catalog import load_catalog; load_catalog(); import sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = top_level(set(json.loads(out)))
    assert not loaded & {"cryptography", "jsonschema", "psutil", "textual", "rich", "anthropic"}
