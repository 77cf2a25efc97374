"""Config: defaults, the TOML file, SFAI_* overrides, clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sfai.core.config import DEFAULTS, ConfigError, config_template, load_config
from sfai.core.paths import SfaiPaths, sfai_paths


def paths_in(tmp_path: Path) -> SfaiPaths:
    return SfaiPaths(config_dir=tmp_path, data_dir=tmp_path)


def test_sfai_home_holds_config_and_database(sfai_home: Path) -> None:
    paths = sfai_paths()
    assert paths.config_file == sfai_home / "config.toml"
    assert paths.database == sfai_home / "sfai.db"


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(paths_in(tmp_path), environ={})
    assert config.source is None
    assert config.tools.log_roots == ("/var/log",)
    assert config.check.disk_warning_percent == 85.0


def test_template_parses_and_equals_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(config_template())
    assert tomllib.loads(config_template())["tools"]["log_roots"] == ["/var/log"]
    from_file = load_config(paths_in(tmp_path), environ={})
    assert from_file.as_dict() == load_config(paths_in(tmp_path / "none"), environ={}).as_dict()
    assert set(tomllib.loads(config_template())) == set(DEFAULTS)


def test_file_values_and_environment_overrides(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'model = "claude-x"\n[tools]\nlog_roots = ["/srv/logs", "/var/log"]\n[check]\ndisk_warning_percent = 70\n'
    )
    environ = {
        "SFAI_CHECK__DISK_CRITICAL_PERCENT": "80",
        "SFAI_PROVIDER": "offline",
        "SFAI_MODEL": "42",
        "SFAI_AGENT_HOME": "/etc/sfai-agent",  # the agent's variable: not a config key
    }
    config = load_config(paths_in(tmp_path), environ=environ)
    assert config.warnings == ()
    assert config.tools.log_roots == ("/srv/logs", "/var/log")
    assert config.check.disk_warning_percent == 70.0
    assert config.check.disk_critical_percent == 80.0
    assert config.provider == "offline"
    assert config.model == "42"


def test_wrong_types_name_the_key(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[check]\ndisk_warning_percent = "high"\n')
    with pytest.raises(ConfigError, match=r"check\.disk_warning_percent: expected float"):
        load_config(paths_in(tmp_path), environ={})


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[check\n")
    with pytest.raises(ConfigError, match=r"config\.toml"):
        load_config(paths_in(tmp_path), environ={})


def test_unknown_keys_are_warnings_not_errors(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("colour = 1\n[check]\ndisk_warn = 3\n")
    config = load_config(paths_in(tmp_path), environ={})
    assert "unknown config key colour (ignored)" in config.warnings
    assert "unknown config key check.disk_warn (ignored)" in config.warnings


def test_unknown_provider_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="provider"):
        load_config(paths_in(tmp_path), environ={"SFAI_PROVIDER": "gpt"})


def test_apps_tables_are_validated_and_reach_the_tools(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[apps.shop]\npath = "/srv/shop"\nbuild = [["npm", "ci"]]\nservice = "supervisor:shop"\n'
        'health_url = "http://127.0.0.1:8001/health"\n[apps.blog]\npath = "/srv/blog"\n'
    )
    environ = {"SFAI_APPS__BLOG__BRANCH": "prod"}
    config = load_config(paths_in(tmp_path), environ=environ)
    assert set(config.tools.apps) == {"shop", "blog"}
    shop = config.tools.apps["shop"]
    assert shop["build"] == [["npm", "ci"]] and shop["branch"] == "main"
    assert shop["service"] == "supervisor:shop" and shop["health_timeout_s"] == 30.0
    assert config.tools.apps["blog"]["branch"] == "prod"
    assert config.as_dict()["apps"] == config.tools.apps
    assert not config.warnings
    assert "apps" not in load_config(paths_in(tmp_path / "none"), environ={}).as_dict()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[apps.shop]\nbranch = "main"\n', r"apps\.shop\.path: required"),
        ('[apps.shop]\npath = "relative"\n', r"apps\.shop\.path: expected a normalised absolute"),
        ('[apps.shop]\npath = "/srv/shop"\nbuild = "npm ci"\n', r"apps\.shop\.build: expected"),
        ('[apps.shop]\npath = "/srv/shop"\nhealth = "x"\n', r"apps\.shop: unknown key\(s\) health"),
        ('[apps."bad name"]\npath = "/srv/x"\n', r"app names are letters"),
        ("apps = 3\n", r"apps: expected \[apps\.NAME\] tables"),
    ],
)
def test_a_wrong_app_declaration_is_a_config_error(
    tmp_path: Path, table: str, message: str
) -> None:
    (tmp_path / "config.toml").write_text(table)
    with pytest.raises(ConfigError, match=message):
        load_config(paths_in(tmp_path), environ={})


def test_the_template_apps_example_is_a_valid_declaration(tmp_path: Path) -> None:
    template = config_template()
    example = template[template.index("# [apps.shop]") :]
    (tmp_path / "config.toml").write_text(
        "\n".join(line.removeprefix("# ") for line in example.splitlines()) + "\n"
    )
    app = load_config(paths_in(tmp_path), environ={}).tools.apps["shop"]
    assert app["build"] == [["npm", "ci"], ["npm", "run", "build"]]
    assert app["user"] == "deploy" and app["env"] == {"NODE_ENV": "production"}
