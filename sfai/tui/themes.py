"""sfai's Textual themes: the built-in ones and the user's own, loaded from TOML files.

Built-in themes are the ``*.toml`` files of the repository's ``themes/`` folder, which the
package reaches as ``sfai/tui/builtin_themes`` (see themes/README.md). User themes are
``$SFAI_HOME/themes/*.toml`` in the same format (docs/themes.md). A broken user file is
skipped with a notice; it never stops the app.

What the app does with this module::

    class SfaiApp(App[None]):
        def get_theme_variable_defaults(self) -> dict[str, str]:
            return theme_variable_defaults(self.current_theme)

        def __init__(self, ...) -> None:
            super().__init__()
            notices = load_themes(self, paths.config_dir)
            notice = choose_theme(self, cli_theme, config.theme)
            # show ``notices`` (and ``notice``) with self.notify(..., severity="warning")

``get_theme_variable_defaults`` lets every ``.tcss`` use sfai's variables
(``$severity-critical``...) whatever the theme, Textual's own included.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from textual.color import Color, ColorParseError
from textual.css.styles import Styles
from textual.theme import Theme

DEFAULT_THEME = "serverflow-dark"
BUILTIN_THEMES = ("serverflow-dark", "serverflow-light", "serverflow-high-contrast")

SFAI_VARIABLES: dict[str, str] = {
    "severity-critical": "error",
    "severity-warning": "warning",
    "severity-info": "primary",
    "risk-high": "error",
    "risk-medium": "warning",
    "risk-low": "success",
    "risk-read-only": "foreground-muted",
    "diff-added": "success",
    "diff-removed": "error",
    "mode-diagnose": "secondary",
    "mode-suggest": "primary",
    "mode-act": "warning",
}
"""sfai's own theme variables, each with the Textual colour it copies when a theme lacks it."""

COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_FLAG_FIELDS = ("dark", "ansi")
_NUMBER_FIELDS = ("luminosity_spread", "text_alpha")
THEME_FIELDS = ("name", *COLOUR_FIELDS, *_FLAG_FIELDS, *_NUMBER_FIELDS, "variables")
"""Every key a theme file may hold; ``primary`` is the only one required."""

_SEMANTIC_FIELDS = ("warning", "error", "success")
"""Taken from ServerFlow dark (or light) when a user theme leaves them out: Textual would
otherwise paint errors, warnings and successes all in the primary colour."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_VARIABLE = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


class ThemeError(ValueError):
    """A theme file that cannot be used; the message says what is wrong with it."""


class _ThemeRegistry(Protocol):
    """What this module needs of a Textual ``App``."""

    theme: str

    @property
    def available_themes(self) -> dict[str, Theme]: ...

    def register_theme(self, theme: Theme) -> None: ...


def theme_variable_defaults(theme: Theme) -> dict[str, str]:
    """sfai's variables for ``theme``, copied from its colours (a theme's ``variables`` win)."""
    generated = theme.to_color_system().generate()
    own = {field: getattr(theme, field) for field in COLOUR_FIELDS if getattr(theme, field)}
    return {
        name: Color.parse(own[source]).hex if source in own else generated[source]
        for name, source in SFAI_VARIABLES.items()
    }


@cache
def _variable_kinds() -> dict[str, str]:
    """Each known variable and a value of the kind Textual (or sfai) puts in it."""
    textual = Theme(name="probe", primary="#000000").to_color_system().generate()
    return {**textual, **dict.fromkeys(SFAI_VARIABLES, "#000000")}


def _check_colour(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ThemeError(f"{field}: expected a colour as a string, got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(
            f"{field}: {value!r} is not a colour (use #RRGGBB, rgb(r, g, b), hsl(...) or a name)"
        ) from None
    return value


def _check_variable(name: Any, value: Any) -> str:
    """A variable's value must be valid CSS where Textual uses it: a style or a colour."""
    if not isinstance(name, str) or not _VARIABLE.match(name):
        raise ThemeError(f"variables: {name!r} is not a variable name (lower-case, digits, -)")
    if not isinstance(value, str) or not value.strip() or any(c in value for c in ";{}$"):
        raise ThemeError(f"variables.{name}: {value!r} is not a CSS value")
    usual = _variable_kinds().get(name, "")
    if name.endswith("style"):
        uses = ["text-style:"]
    elif usual.startswith("#"):  # may be a background or a border colour: no auto, no initial
        uses = ["color:", "background:", "border: solid"]
    elif usual.startswith("auto"):  # a text colour
        uses = ["color:"]
    else:
        uses = ["color:", "background:"]
    for use in uses:
        try:
            Styles.parse(f"{use} {value};", ("theme", name))
        except Exception:
            kind = "a text style (bold, italic...)" if use == "text-style:" else "a colour"
            hint = " (auto is only for text colours)" if "auto" in value else ""
            raise ThemeError(f"variables.{name}: {value!r} is not {kind}{hint}") from None
    return value


def parse_theme(data: dict[str, Any], default_name: str) -> tuple[Theme, list[str]]:
    """A Theme from a theme file's table, and warnings that do not stop it being used.

    Raises ThemeError naming the field when the table is not a valid theme.
    """
    unknown = sorted(set(data) - set(THEME_FIELDS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], THEME_FIELDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ThemeError(
            f"unknown field {unknown[0]!r}{hint}; a theme has: {', '.join(THEME_FIELDS)}"
        )
    name = data.get("name", default_name)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ThemeError(f"name: {name!r} is not a theme name (letters, digits, - and _)")
    if "primary" not in data:
        raise ThemeError("primary: missing (the one colour a theme must give)")
    values: dict[str, Any] = {}
    for field in COLOUR_FIELDS:
        if field in data:
            values[field] = _check_colour(field, data[field])
    for field in _FLAG_FIELDS:
        if field in data:
            if not isinstance(data[field], bool):
                raise ThemeError(f"{field}: expected true or false, got {data[field]!r}")
            values[field] = data[field]
    for field in _NUMBER_FIELDS:
        if field in data:
            number = data[field]
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ThemeError(f"{field}: expected a number, got {number!r}")
            if not 0 <= number <= 1:
                raise ThemeError(f"{field}: expected 0 to 1, got {number!r}")
            values[field] = float(number)
    table = data.get("variables", {})
    if not isinstance(table, dict):
        raise ThemeError("variables: expected a [variables] table")
    variables = {key: _check_variable(key, value) for key, value in table.items()}
    warnings = [
        f"variable {key!r} is not used by sfai or Textual (typo?)"
        for key in sorted(set(variables) - set(_variable_kinds()))
    ]
    theme = Theme(name=name, variables=variables, **values)
    try:
        theme.to_color_system().generate()
    except Exception as exc:  # a combination Textual cannot build colours from
        raise ThemeError(f"Textual cannot use these colours: {exc}") from None
    return theme, warnings


def _read_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"not valid TOML: {exc}") from None


def read_theme_file(path: Path) -> tuple[Theme, list[str]]:
    """Parse one theme file; ThemeError says what is wrong (without the file's name)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ThemeError("not UTF-8 text") from None
    except OSError as exc:
        raise ThemeError(f"cannot read it: {exc.strerror or exc}") from None
    theme, warnings = parse_theme(_read_toml(text), default_name=path.stem)
    missing = [field for field in _SEMANTIC_FIELDS if getattr(theme, field) is None]
    if missing:
        base = _builtin_data("serverflow-dark" if theme.dark else "serverflow-light")
        theme = replace(theme, **{field: base[field] for field in missing})
    return theme, warnings


def _builtin_data(name: str) -> dict[str, Any]:
    """A built-in theme file's table: ``themes/NAME.toml``, packaged as sfai/tui/builtin_themes."""
    folder = resources.files("sfai.tui").joinpath("builtin_themes")
    return _read_toml(folder.joinpath(f"{name}.toml").read_text(encoding="utf-8"))


def builtin_themes() -> list[Theme]:
    """The themes shipped with sfai, in BUILTIN_THEMES order."""
    return [parse_theme(_builtin_data(name), default_name=name)[0] for name in BUILTIN_THEMES]


def load_themes(app: _ThemeRegistry, config_dir: Path) -> list[str]:
    """Register the built-in themes, then ``config_dir/themes/*.toml``; notices for bad files.

    A user theme named like a built-in one replaces it. Every registered theme (Textual's
    own too) gets sfai's variables it lacks, so any of them can style sfai's screens.
    """
    for theme in builtin_themes():
        app.register_theme(theme)
    notices: list[str] = []
    seen: dict[str, Path] = {}
    themes_dir = config_dir / "themes"
    for path in sorted(themes_dir.glob("*.toml")) if themes_dir.is_dir() else []:
        try:
            theme, warnings = read_theme_file(path)
        except ThemeError as exc:
            notices.append(f"theme file {path}: {exc}; skipped")
            continue
        if theme.name in seen:
            notices.append(
                f"theme file {path}: theme {theme.name!r} is already defined by "
                f"{seen[theme.name].name}; skipped"
            )
            continue
        seen[theme.name] = path
        notices += [f"theme file {path}: {warning}" for warning in warnings]
        app.register_theme(theme)
    for theme in list(app.available_themes.values()):
        missing = {
            k: v for k, v in theme_variable_defaults(theme).items() if k not in theme.variables
        }
        if missing:
            app.register_theme(replace(theme, variables={**missing, **theme.variables}))
    return notices


def choose_theme(app: _ThemeRegistry, requested: str | None, configured: str) -> str | None:
    """Set the app's theme: ``--theme``, else the config's ``theme``, else serverflow-dark.

    An unknown name falls back to the next one in that order; returns a notice saying so,
    or None when the theme asked for is in use. Call after ``load_themes``.
    """
    available = app.available_themes
    candidates = [(requested, "--theme"), (configured, "config key `theme`")]
    problems: list[str] = []
    for name, source in candidates:
        if not name:
            continue
        if name in available:
            app.theme = name
            return _fallback_notice(problems, name)
        close = difflib.get_close_matches(name, available, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"unknown theme {name!r} from {source}{hint}")
    app.theme = DEFAULT_THEME
    return _fallback_notice(problems, DEFAULT_THEME)


def _fallback_notice(problems: list[str], used: str) -> str | None:
    if not problems:
        return None
    return (
        f"{'; '.join(problems)}; using {used!r}. "
        "Ctrl+P then 'theme' lists the themes; docs/themes.md explains them."
    )
