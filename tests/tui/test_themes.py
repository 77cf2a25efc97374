"""Themes: the three built-ins, user theme files, the fallback, 256 colours and NO_COLOR."""

from __future__ import annotations

import re
from importlib import resources
from itertools import combinations
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Footer, Input, Label

from sfai.tui.themes import (
    BUILTIN_THEMES,
    DEFAULT_THEME,
    SFAI_VARIABLES,
    builtin_themes,
    choose_theme,
    load_themes,
    theme_variable_defaults,
)

ROOT = Path(__file__).resolve().parents[2]

SAMPLE_CSS = """
Screen { padding: 0 1; }
#title { color: $text-primary; text-style: bold; margin-bottom: 1; }
.row { height: 1; margin-bottom: 1; }
.row Label { margin-right: 2; }
.severity-critical { color: $severity-critical; text-style: bold; }
.severity-warning { color: $severity-warning; }
.severity-info { color: $severity-info; }
.badge { padding: 0 1; color: $background; text-style: bold; }
.risk-high { background: $risk-high; }
.risk-medium { background: $risk-medium; }
.risk-low { background: $risk-low; }
.risk-read-only { background: $risk-read-only; }
.diff-added { color: $diff-added; }
.diff-removed { color: $diff-removed; }
.mode-diagnose { background: $mode-diagnose; }
.mode-suggest { background: $mode-suggest; }
.mode-act { background: $mode-act; }
#panel { height: auto; background: $panel; color: $text-muted; padding: 0 1; border-left: wide $primary; }
#buttons { height: 3; }
#buttons Button { margin-right: 1; }
"""


class ThemeSample(App[None]):
    """A few widgets using Textual's and sfai's theme variables, as sfai's screens do."""

    CSS = SAMPLE_CSS
    AUTO_FOCUS = None

    def __init__(self, config_dir: Path, theme: str | None = None) -> None:
        super().__init__()
        self.notices = load_themes(self, config_dir)
        self.notice = choose_theme(self, theme, DEFAULT_THEME)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield Label("sfai · web-1 · suggest · offline", id="title", markup=False)
        with Horizontal(classes="row"):
            yield Label("CRITICAL /var 97% full", classes="severity-critical", markup=False)
            yield Label("WARNING swap 62%", classes="severity-warning", markup=False)
            yield Label("INFO 3 updates", classes="severity-info", markup=False)
        with Horizontal(classes="row"):
            for risk in ("high", "medium", "low", "read-only"):
                yield Label(f"risk {risk}", classes=f"badge risk-{risk}", markup=False)
        with Horizontal(classes="row"):
            for mode in ("diagnose", "suggest", "act"):
                yield Label(mode, classes=f"badge mode-{mode}", markup=False)
        yield Label("- listen 80;", classes="diff-removed", markup=False)
        yield Label("+ listen 443 ssl;", classes="diff-added", markup=False)
        yield Label("nginx: 2 tool calls · 1.2 s", id="panel", markup=False)
        with Horizontal(id="buttons"):
            yield Button("Approve once", variant="primary")
            yield Button("Always", variant="warning")
            yield Button("Deny", variant="error")
        field = Input(placeholder="Ask about this server", id="ask")
        field.cursor_blink = False
        yield field
        yield Footer()


def write_theme(home: Path, filename: str, text: str | bytes) -> Path:
    folder = home / "themes"
    folder.mkdir(exist_ok=True)
    path = folder / filename
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def hex_of(value: str) -> str:
    return value[:7].upper()


def near(a: str, b: str, tolerance: int = 10) -> bool:
    """Same colour give or take rounding (Textual's HSL round trip, Rich's grey ramp)."""
    return all(abs(int(a[i : i + 2], 16) - int(b[i : i + 2], 16)) <= tolerance for i in (1, 3, 5))


def luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def downgraded(hex_colour: str, system: ColorSystem) -> str:
    """What a terminal limited to ``system`` shows, the way Rich (and so Textual) maps it."""
    r, g, b = RichColor.parse(hex_colour[:7]).downgrade(system).get_truecolor()
    return f"#{r:02X}{g:02X}{b:02X}"


class TestBuiltinThemes:
    def test_the_three_builtins_register_and_define_every_sfai_variable(
        self, sfai_home: Path
    ) -> None:
        app = ThemeSample(sfai_home)
        assert app.notices == [] and app.notice is None
        for name in BUILTIN_THEMES:
            theme = app.get_theme(name)
            assert theme is not None, name
        for theme in builtin_themes():
            assert set(SFAI_VARIABLES) <= set(theme.variables), theme.name
            for field in ("primary", "secondary", "accent", "warning", "error", "success"):
                assert getattr(theme, field), f"{theme.name} leaves {field} to Textual"
        assert app.theme == "serverflow-dark"
        assert [t.dark for t in builtin_themes()] == [True, False, True]

    def test_packaged_builtin_folder_is_the_repository_themes_folder(self) -> None:
        """sfai/tui/builtin_themes links to themes/: what the wheel ships is what is reviewed."""
        packaged = resources.files("sfai.tui").joinpath("builtin_themes")
        shipped = {entry.name for entry in packaged.iterdir() if entry.name.endswith(".toml")}
        assert shipped == {p.name for p in (ROOT / "themes").glob("*.toml")}
        assert shipped == {f"{name}.toml" for name in BUILTIN_THEMES}
        link = ROOT / "sfai" / "tui" / "builtin_themes"
        assert link.is_symlink() and link.resolve() == (ROOT / "themes").resolve()

    @pytest.mark.parametrize("name", BUILTIN_THEMES)
    def test_sample_screen_in_each_builtin_theme(
        self, name: str, sfai_home: Path, snap_compare: object
    ) -> None:
        """Severities, risk and mode badges, a diff, buttons and an input, in theme `name`:
        every label readable, critical red, warning amber, info blue."""
        assert snap_compare(ThemeSample(sfai_home, name), terminal_size=(80, 24))  # type: ignore[operator]

    async def test_textual_own_themes_get_sfai_variables_and_render(self, sfai_home: Path) -> None:
        app = ThemeSample(sfai_home, "nord")
        nord = app.get_theme("nord")
        assert nord is not None
        assert nord.variables["severity-critical"] == hex_of(nord.error or "")
        async with app.run_test() as pilot:
            await pilot.pause()
            critical = app.query_one(".severity-critical", Label)
            assert critical.styles.color.hex.upper() == hex_of(nord.error or "")


class TestTerminals:
    """Item 7: 256 colours over SSH/tmux, 16-colour terminals, NO_COLOR."""

    @pytest.mark.parametrize("theme", builtin_themes(), ids=lambda t: t.name)
    def test_roles_stay_distinct_and_readable_in_256_colours(self, theme: object) -> None:
        from textual.theme import Theme

        assert isinstance(theme, Theme)
        v = theme.variables
        eight_bit = {k: downgraded(c, ColorSystem.EIGHT_BIT) for k, c in v.items() if "#" in c}
        background = downgraded(theme.background or "", ColorSystem.EIGHT_BIT)
        foreground = downgraded(theme.foreground or "", ColorSystem.EIGHT_BIT)
        assert contrast(foreground, background) >= 7
        groups = [
            ("severity-critical", "severity-warning", "severity-info"),
            ("risk-high", "risk-medium", "risk-low"),
            ("diff-added", "diff-removed"),
            ("mode-diagnose", "mode-suggest", "mode-act"),
        ]
        for group in groups:
            for a, b in combinations(group, 2):
                assert eight_bit[a] != eight_bit[b], f"{theme.name}: {a} and {b} merge"
            for name in group:
                assert contrast(eight_bit[name], background) >= 4.5, f"{theme.name}: {name}"

    def test_high_contrast_is_exact_in_256_colours_and_distinct_in_16(self) -> None:
        theme = next(t for t in builtin_themes() if t.name == "serverflow-high-contrast")
        assert (theme.background, theme.foreground) == ("#000000", "#FFFFFF")
        colours = [getattr(theme, f) for f in ("primary", "warning", "error", "success")]
        colours += [c for c in theme.variables.values() if re.fullmatch(r"#[0-9A-F]{6}", c)]
        for colour in colours:
            assert near(downgraded(colour, ColorSystem.EIGHT_BIT), colour), colour
            assert contrast(colour, "#000000") >= 7 or colour == theme.variables["risk-high"]
        basic = {
            k: downgraded(theme.variables[k], ColorSystem.STANDARD)
            for k in ("severity-critical", "severity-warning", "severity-info")
        }
        assert len(set(basic.values())) == 3
        assert all(contrast(c, "#000000") >= 4.5 for c in basic.values())

    @staticmethod
    def colours_in(svg: str) -> set[str]:
        chrome = {"#FF5F57", "#FEBC2E", "#28C840", "#C5C8C6"}  # Rich's window and title
        return {c.upper() for c in re.findall(r"#[0-9a-fA-F]{6}\b", svg)} - chrome

    async def test_no_color_renders_in_greys_only(
        self, sfai_home: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async with ThemeSample(sfai_home).run_test(size=(80, 24)) as pilot:
            coloured = self.colours_in(pilot.app.export_screenshot())
        assert any(c[1:3] != c[3:5] or c[3:5] != c[5:7] for c in coloured)

        monkeypatch.setenv("NO_COLOR", "1")
        app = ThemeSample(sfai_home, "serverflow-high-contrast")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.no_color and app.theme == "serverflow-high-contrast"
            assert app.query_one(".severity-critical", Label).has_pseudo_class("nocolor")
            screenshot = app.export_screenshot()
        assert "CRITICAL" in screenshot.replace("&#160;", " ")
        greys = self.colours_in(screenshot)
        assert greys and all(c[1:3] == c[3:5] == c[5:7] for c in greys), greys


GOOD_THEME = """
name = "ocean"
primary = "#0077B6"
background = "#03045E"
foreground = "#CAF0F8"

[variables]
severity-info = "#48CAE4"
block-cursor-text-style = "bold reverse"
"""


class TestUserThemes:
    def test_a_good_file_registers_with_the_missing_parts_filled_in(self, sfai_home: Path) -> None:
        write_theme(sfai_home, "ocean.toml", GOOD_THEME)
        write_theme(sfai_home, "paper.toml", 'primary = "#335C67"\ndark = false\n')
        app = ThemeSample(sfai_home, "ocean")
        assert app.notices == [] and app.notice is None and app.theme == "ocean"
        ocean = app.get_theme("ocean")
        assert ocean is not None and ocean.primary == "#0077B6"
        dark = next(t for t in builtin_themes() if t.name == "serverflow-dark")
        assert (ocean.error, ocean.warning, ocean.success) == (
            dark.error,
            dark.warning,
            dark.success,
        )
        assert ocean.variables["severity-info"] == "#48CAE4"
        assert ocean.variables["severity-critical"] == hex_of(dark.error or "")
        paper = app.get_theme("paper")  # named after its file
        light = next(t for t in builtin_themes() if t.name == "serverflow-light")
        assert paper is not None and paper.error == light.error and not paper.dark

    async def test_a_user_theme_styles_the_sample(self, sfai_home: Path) -> None:
        write_theme(sfai_home, "ocean.toml", GOOD_THEME)
        app = ThemeSample(sfai_home, "ocean")
        async with app.run_test() as pilot:
            await pilot.pause()
            assert app.query_one(".severity-info", Label).styles.color.hex.upper() == "#48CAE4"
            assert near(app.screen.styles.background.hex.upper(), "#03045E", tolerance=1)

    @pytest.mark.parametrize(
        ("content", "problem"),
        [
            ('name = "x"\nprimary = "#fff', "not valid TOML"),
            ('primery = "#FFFFFF"\n', "unknown field 'primery' (did you mean 'primary'?)"),
            ('primary = "tealish"\n', "primary: 'tealish' is not a colour"),
            ('primary = "#FFF"\nerror = 12\n', "error: expected a colour"),
            ('background = "#000000"\n', "primary: missing"),
            ('primary = "#FFF"\ndark = "yes"\n', "dark: expected true or false"),
            ('primary = "#FFF"\ntext_alpha = 2\n', "text_alpha: expected 0 to 1"),
            ('name = "my theme"\nprimary = "#FFF"\n', "not a theme name"),
            ('primary = "#FFF"\nvariables = "red"\n', "expected a [variables] table"),
            (
                'primary = "#FFF"\n[variables]\nseverity-critical = "#GG0000"\n',
                "variables.severity-critical: '#GG0000' is not a colour",
            ),
            (
                'primary = "#FFF"\n[variables]\nblock-cursor-text-style = "bolt"\n',
                "is not a text style",
            ),
            ('primary = "#FFF"\n[variables]\nrisk-high = "red; }"\n', "is not a CSS value"),
            (
                'primary = "#FFF"\n[variables]\nborder = "auto 50%"\n',
                "variables.border: 'auto 50%' is not a colour (auto is only for text colours)",
            ),
            (b'primary = "#FFF"\n# caf\xe9\n', "not UTF-8"),
        ],
        ids=lambda value: value if isinstance(value, str) and " " in value else None,
    )
    def test_a_broken_file_is_skipped_with_a_notice_naming_it(
        self, sfai_home: Path, content: str | bytes, problem: str
    ) -> None:
        bad = write_theme(sfai_home, "broken.toml", content)
        write_theme(sfai_home, "ocean.toml", GOOD_THEME)
        app = ThemeSample(sfai_home, "broken")
        assert len(app.notices) == 1, app.notices
        assert str(bad) in app.notices[0]
        assert problem in app.notices[0]
        assert app.notices[0].endswith("skipped")
        assert "broken" not in app.available_themes
        assert "ocean" in app.available_themes
        assert app.theme == DEFAULT_THEME and app.notice is not None

    def test_two_files_with_one_name_keep_the_first(self, sfai_home: Path) -> None:
        write_theme(sfai_home, "a.toml", 'name = "same"\nprimary = "#111111"\n')
        second = write_theme(sfai_home, "b.toml", 'name = "same"\nprimary = "#222222"\n')
        app = ThemeSample(sfai_home)
        assert app.notices == [
            f"theme file {second}: theme 'same' is already defined by a.toml; skipped"
        ]
        same = app.get_theme("same")
        assert same is not None and same.primary == "#111111"

    def test_a_user_theme_may_replace_a_builtin(self, sfai_home: Path) -> None:
        write_theme(sfai_home, "mine.toml", 'name = "serverflow-dark"\nprimary = "#FF00FF"\n')
        app = ThemeSample(sfai_home)
        assert app.notices == [] and app.current_theme.primary == "#FF00FF"

    def test_an_unknown_variable_is_reported_but_the_theme_loads(self, sfai_home: Path) -> None:
        path = write_theme(
            sfai_home, "typo.toml", 'primary = "#FFF"\n[variables]\nseverity-critcal = "red"\n'
        )
        app = ThemeSample(sfai_home, "typo")
        assert app.notices == [
            f"theme file {path}: variable 'severity-critcal' is not used by sfai or Textual (typo?)"
        ]
        assert app.theme == "typo"


class TestChooseTheme:
    def test_requested_wins_over_configured(self, sfai_home: Path) -> None:
        app = ThemeSample(sfai_home)
        assert choose_theme(app, "serverflow-light", "serverflow-high-contrast") is None
        assert app.theme == "serverflow-light"
        assert choose_theme(app, None, "serverflow-high-contrast") is None
        assert app.theme == "serverflow-high-contrast"

    def test_unknown_requested_falls_back_to_the_configured_theme(self, sfai_home: Path) -> None:
        app = ThemeSample(sfai_home)
        notice = choose_theme(app, "serverflow-lite", "serverflow-high-contrast")
        assert app.theme == "serverflow-high-contrast"
        assert notice is not None
        assert "unknown theme 'serverflow-lite' from --theme" in notice
        assert "did you mean 'serverflow-light'?" in notice
        assert "using 'serverflow-high-contrast'" in notice

    def test_unknown_everywhere_falls_back_to_serverflow_dark(self, sfai_home: Path) -> None:
        app = ThemeSample(sfai_home)
        choose_theme(app, None, "serverflow-light")
        notice = choose_theme(app, "nope", "solarized-fancy")
        assert app.theme == "serverflow-dark"
        assert notice is not None
        assert "'nope' from --theme" in notice
        assert "'solarized-fancy' from config key `theme`" in notice
        assert "using 'serverflow-dark'" in notice

    def test_config_key_defaults_to_serverflow_dark(self, sfai_home: Path) -> None:
        from sfai.core.config import load_config
        from sfai.core.paths import sfai_paths

        assert load_config(environ={}).theme == DEFAULT_THEME
        (sfai_home / "config.toml").write_text('theme = "serverflow-light"\n')
        assert load_config(sfai_paths(), environ={}).theme == "serverflow-light"
        assert load_config(environ={"SFAI_THEME": "nord"}).theme == "nord"


def test_the_example_in_docs_themes_loads_cleanly(sfai_home: Path) -> None:
    doc = (ROOT / "docs" / "themes.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    write_theme(sfai_home, "example.toml", example)
    app = ThemeSample(sfai_home, "ocean")
    assert app.notices == [] and app.notice is None and app.theme == "ocean"
