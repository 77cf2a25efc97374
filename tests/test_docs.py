"""docs/tools.md is generated from the catalog; a stale copy fails here."""

from __future__ import annotations

from pathlib import Path

from sfai_agent.tools.docs import render_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_tools_doc_is_fresh() -> None:
    current = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    assert current == render_markdown(), "docs/tools.md is stale: run `make docs`"


def test_readme_documents_the_exit_codes() -> None:
    from sfai.core.exit_codes import ExitCode

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {int(code)} |" in readme, f"exit code {code.name} is not in the README table"


def test_configuration_doc_shows_the_current_template() -> None:
    from sfai.core.config import config_template

    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "```toml\n" + config_template() + "```\n" in doc, (
        "docs/configuration.md is stale: run `make docs`"
    )
