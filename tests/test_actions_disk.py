"""clean_disk on a real tree configured as log root, temp dir and cache dir; apt-get clean on
a real apt cache of the test's own (APT_CONFIG); journalctl for real (no journal here); docker
through a scripted CLI (no daemon runs here). Plus the Executor primitives it relies on:
``remove_file`` and ``open_for_writing``, against real files and real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sfai_agent.exec import ExecutorError, LocalExecutor
from sfai_agent.exec.base import CommandResult
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.cleanup_commands import parse_apt_simulation, parse_size
from sfai_agent.tools.cleanup_targets import is_rotated_log
from sfai_agent.tools.runner import call_tool
from tests.fixtures.processes import stop_process

MiB = 1024 * 1024
DAY = 86_400


def write(path: Path, size: int, age_days: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    if age_days:
        when = time.time() - age_days * DAY
        os.utime(path, (when, when))
    return path


def snapshot(root: Path) -> dict[str, tuple[int, float, int, bool]]:
    """Every entry under ``root`` (symlinks not followed): size, mtime, inode, is-link."""
    found: dict[str, tuple[int, float, int, bool]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            info = os.lstat(os.path.join(dirpath, name))
            found[os.path.join(dirpath, name)] = (
                info.st_size,
                info.st_mtime,
                info.st_ino,
                os.path.islink(os.path.join(dirpath, name)),
            )
    return found


@dataclass
class Tree:
    root: Path
    logs: Path
    tmp: Path
    cache: Path
    outside: Path
    expected: dict[str, int] = field(default_factory=dict)
    """What a cleanup of rotated-logs, tmp and cache must remove: path → size."""
    kept: list[Path] = field(default_factory=list)

    @property
    def settings(self) -> dict[str, Any]:
        return {
            "log_roots": (str(self.logs),),
            "temp_dirs": (str(self.tmp),),
            "cleanup_cache_dirs": (str(self.cache),),
        }

    def context(self, executor: LocalExecutor | None = None, **extra: Any) -> ToolContext:
        return ToolContext(
            executor=executor or LocalExecutor(),
            settings=AgentSettings(**{**self.settings, **extra}),
        )


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Tree]:
    root = tmp_path / "tree"
    t = Tree(root, root / "logs", root / "tmp", root / "cache", root / "outside")
    for path, size, age in [
        (t.logs / "syslog.1", MiB, 0),
        (t.logs / "syslog.2.gz", MiB // 2, 0),
        (t.logs / "nginx" / "access.log.1", MiB, 0),
        (t.logs / "nginx" / "error.log-20261101.gz", MiB // 4, 0),
        (t.tmp / "old.bin", MiB, 10),
        (t.tmp / "sub" / "old2.bin", MiB, 10),
        (t.cache / "a.bin", MiB // 2, 0),
        (t.cache / "b" / "c.bin", MiB // 4, 0),
    ]:
        t.expected[str(write(path, size, age))] = size
    t.kept = [
        write(t.logs / "syslog", 4096),
        write(t.logs / "nginx" / "access.log", 4096),
        write(t.logs / "app.log", 4096, 30),
        write(t.logs / "10.0.0.1", 4096, 30),  # a remote host's live log, not a rotation
        write(t.logs / ".env.1", 4096, 30),  # rotated-looking, but a credential name
        write(t.tmp / "new.bin", MiB),
        write(t.tmp / ".env", 4096, 30),
        write(t.tmp / "x.key", 4096, 30),
        write(t.tmp / "app.pid", 16, 30),
        write(t.tmp / "systemd-private-abc" / "old.bin", 4096, 30),
        write(t.cache / "deploy.key", 4096, 30),
        write(t.outside / "victim.1", 4096, 30),
        write(t.outside / "victim-tmp", 4096, 30),
        write(t.outside / "dir" / "old-outside.bin", 4096, 30),
        write(t.outside / "dir" / "old-outside.1", 4096, 30),
    ]
    (t.logs / "evil.1").symlink_to(t.outside / "victim.1")
    (t.logs / "linked").symlink_to(t.outside / "dir")
    (t.tmp / "old-link").symlink_to(t.outside / "victim-tmp")
    os.utime(t.tmp / "old-link", (time.time() - 30 * DAY,) * 2, follow_symlinks=False)
    (t.tmp / "linkdir").symlink_to(t.outside / "dir")
    yield t


ALL = ["rotated-logs", "tmp", "cache"]


async def dry_run(ctx: ToolContext, paths: list[str], **args: Any) -> dict[str, Any]:
    result = await call_tool("clean_disk", {"paths": paths, **args}, ctx)
    assert result["ok"], result
    return result


async def real_run(ctx: ToolContext, paths: list[str], **args: Any) -> dict[str, Any]:
    result = await call_tool(
        "clean_disk", {"paths": paths, "dry_run": False, **args}, ctx, approved=True
    )
    assert result["ok"], result
    return result


def listed(result: dict[str, Any]) -> dict[str, int]:
    return {
        item["path"]: item["size_bytes"]
        for target in result["targets"]
        for item in target.get("listed", [])
    }


# --- the spec --------------------------------------------------------------------------------


def test_clean_disk_is_a_high_risk_action_that_previews_by_default() -> None:
    spec = load_catalog()["clean_disk"].spec
    assert spec.risk.value == "high" and spec.has_dry_run
    assert spec.input_schema["properties"]["dry_run"]["default"] is True
    for word in ("approval", "dry_run=true", "rotated-logs", "apt-cache", "journal", "cache:DIR"):
        assert word in spec.description


# --- dry-run ---------------------------------------------------------------------------------


async def test_dry_run_lists_every_file_with_its_size_and_the_total_and_changes_nothing(
    tree: Tree,
) -> None:
    before = snapshot(tree.root)
    result = await dry_run(tree.context(), ALL)
    assert snapshot(tree.root) == before
    assert listed(result) == tree.expected
    assert result["total_bytes"] == sum(tree.expected.values())
    by_target = {t["target"]: t for t in result["targets"]}
    assert by_target["rotated-logs"]["files"] == 4
    assert by_target["tmp"]["bytes"] == 2 * MiB
    assert by_target["cache"]["files"] == 2
    assert result["summary"].startswith("dry-run: would free 5.5 MiB (rotated-logs 4 files")
    reasons = {item["path"]: item["reason"] for item in result["skipped"]}
    assert reasons[str(tree.logs / "evil.1")].startswith("symlink")
    assert reasons[str(tree.tmp / "old-link")].startswith("symlink")
    # credential files are neither removed nor named
    assert not any(".env" in path or ".key" in path for path in reasons)
    assert "4 credential files or directories left alone" in " ".join(result["notes"])


async def test_dry_run_of_a_live_log_path_says_why_it_is_kept(tree: Tree) -> None:
    result = await dry_run(tree.context(), [str(tree.logs / "syslog")])
    assert result["total_bytes"] == 0
    assert result["skipped"] == [
        {
            "path": str(tree.logs / "syslog"),
            "reason": "not a rotated log (live logs are never removed)",
        }
    ]


async def test_a_services_private_temp_dir_is_never_cleaned_even_when_named(tree: Tree) -> None:
    private = tree.tmp / "systemd-private-abc"
    result = await dry_run(tree.context(), [str(private)])
    assert result["total_bytes"] == 0
    assert result["skipped"][0]["path"] == str(private)
    assert "private temp dir" in result["skipped"][0]["reason"]


async def test_a_path_narrows_a_target_to_what_is_below_it(tree: Tree) -> None:
    result = await dry_run(tree.context(), [str(tree.logs / "nginx")])
    assert set(listed(result)) == {
        str(tree.logs / "nginx" / "access.log.1"),
        str(tree.logs / "nginx" / "error.log-20261101.gz"),
    }
    assert result["targets"][0]["rule"] == "rotated-logs"


async def test_older_than_days_limits_every_file_target(tree: Tree) -> None:
    write(tree.logs / "kern.log.3.gz", 8192, 40)
    result = await dry_run(tree.context(), ALL, older_than_days=20)
    assert set(listed(result)) == {str(tree.logs / "kern.log.3.gz")}


# --- the real run ----------------------------------------------------------------------------


async def test_real_run_frees_exactly_what_the_dry_run_listed_and_measures_it(tree: Tree) -> None:
    # Big enough that the filesystem's own figure stands out from other writers' noise.
    for index in range(4):
        tree.expected[str(write(tree.logs / f"big.log.{index + 1}", 8 * MiB))] = 8 * MiB
    ctx = tree.context()
    preview = await dry_run(ctx, ALL)
    result = await real_run(ctx, ALL)
    assert result["plan"] == "dry-run"
    removed = {item["path"]: item["size_bytes"] for item in result["removed"]}
    assert removed == listed(preview) == tree.expected
    for path in tree.expected:
        assert not os.path.lexists(path)
    for path in tree.kept:
        assert path.exists(), path
    # symlinks: neither followed nor removed, their targets survive
    assert (tree.logs / "evil.1").is_symlink() and (tree.outside / "victim.1").exists()
    assert (tree.tmp / "linkdir").is_symlink()
    assert (tree.outside / "dir" / "old-outside.bin").exists()
    assert (tree.outside / "dir" / "old-outside.1").exists()
    # freed: the sizes removed exactly; measured: the filesystem's own figure
    assert result["freed_bytes"] == sum(tree.expected.values())
    freed = result["freed_bytes"]
    assert abs(result["measured_freed_bytes"] - freed) < freed * 0.15, result
    assert result["summary"].startswith("removed 12 files, freed 37.5 MiB (measured ")


async def test_a_real_run_without_approval_is_refused_and_removes_nothing(tree: Tree) -> None:
    before = snapshot(tree.root)
    ctx = tree.context()
    await dry_run(ctx, ALL)
    result = await call_tool("clean_disk", {"paths": ALL, "dry_run": False}, ctx)
    assert result["error"]["code"] == "approval_required"
    assert snapshot(tree.root) == before


async def test_files_changed_gone_or_new_since_the_dry_run_are_not_removed(tree: Tree) -> None:
    ctx = tree.context()
    await dry_run(ctx, ALL)
    grown = tree.logs / "syslog.1"
    with grown.open("ab") as handle:
        handle.write(b"one more line\n")
    replaced = tree.tmp / "old.bin"
    replaced.unlink()
    write(replaced, MiB, 10)  # same name, size and age: another file (inode)
    gone = tree.cache / "a.bin"
    gone.unlink()
    newcomer = write(tree.logs / "syslog.3.gz", 4096)
    result = await real_run(ctx, ALL)
    reasons = {item["path"]: item["reason"] for item in result["skipped"]}
    assert reasons[str(grown)] == "changed since the dry-run"
    assert reasons[str(replaced)] == "changed since the dry-run"
    assert reasons[str(gone)] == "gone since the dry-run"
    assert grown.exists() and replaced.exists() and newcomer.exists()
    assert str(newcomer) not in reasons
    assert result["removed_count"] == len(tree.expected) - 3


async def test_a_file_open_for_writing_by_a_process_is_skipped_but_one_open_for_reading_is_not(
    tree: Tree,
) -> None:
    held = write(tree.tmp / "held-by-writer.bin", 4096, 10)
    read = write(tree.tmp / "held-by-reader.bin", 4096, 10)
    script = (
        "import sys, time\n"
        "w = open(sys.argv[1], 'a')\n"
        "r = open(sys.argv[2], 'rb')\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(held), str(read)], stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
        ctx = tree.context()
        preview = await dry_run(ctx, ["tmp"])
        assert str(held) not in listed(preview)
        assert {"path": str(held), "reason": "open for writing"} in preview["skipped"]
        result = await real_run(ctx, ["tmp"])
        assert held.exists()
        assert not read.exists()
        assert str(read) in {item["path"] for item in result["removed"]}
    finally:
        stop_process(child)  # type: ignore[arg-type]


async def test_without_a_dry_run_in_the_session_the_real_run_lists_now(tree: Tree) -> None:
    result = await real_run(tree.context(), ["cache"])
    assert result["plan"] == "fresh"
    assert result["removed_count"] == 2
    assert (tree.cache / "deploy.key").exists()


async def test_a_second_real_run_removes_nothing_the_dry_run_did_not_list(tree: Tree) -> None:
    ctx = tree.context()
    await dry_run(ctx, ["rotated-logs"])
    await real_run(ctx, ["rotated-logs"])
    newcomer = write(tree.logs / "syslog.1", 4096)
    again = await real_run(ctx, ["rotated-logs"])
    assert newcomer.exists()
    assert again["removed_count"] == 0


async def test_a_bounded_listing_says_it_is_partial(tree: Tree) -> None:
    result = await dry_run(tree.context(disk_scan_max_entries=3), ALL)
    assert result["complete"] is False
    assert "the entry limit (disk_scan_max_entries)" in " ".join(result["notes"])


def test_cleanup_settings_come_from_config_lists() -> None:
    settings = AgentSettings.from_mapping(
        {
            "temp_dirs": ["/scratch"],
            "cleanup_cache_dirs": ["/var/cache/app"],
            "temp_max_age_days": 3,
        }
    )
    assert settings.temp_dirs == ("/scratch",)
    assert settings.cleanup_cache_dirs == ("/var/cache/app",)
    assert settings.temp_max_age_days == 3


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "/usr/lib",
        "{logs}/../../../etc",
        "{logs}/evil.1",  # a symlink out of the root: resolves outside
        "{logs}/linked/old-outside.1",
        "{outside}/victim.1",
    ],
)
async def test_paths_outside_the_targets_are_refused_with_the_list(tree: Tree, path: str) -> None:
    before = snapshot(tree.root)
    given = path.format(logs=tree.logs, outside=tree.outside)
    result = await call_tool(
        "clean_disk", {"paths": [given], "dry_run": False}, tree.context(), approved=True
    )
    assert result["error"]["code"] == "refused_by_policy", result
    assert str(tree.logs) in result["error"]["message"]
    assert "rotated-logs" in result["error"]["hint"]
    assert snapshot(tree.root) == before


async def test_credential_paths_are_refused(tree: Tree) -> None:
    result = await call_tool("clean_disk", {"paths": [str(tree.tmp / "x.key")]}, tree.context())
    assert result["error"]["code"] == "refused_by_policy"
    assert "credential" in result["error"]["message"]


@pytest.mark.parametrize("name", ["logs", "everything", "rm -rf /", "cache:relative", "-f"])
async def test_unknown_target_names_are_invalid(tree: Tree, name: str) -> None:
    result = await call_tool("clean_disk", {"paths": [name]}, tree.context())
    assert result["error"]["code"] in ("invalid_argument", "refused_by_policy"), result


async def test_a_cache_dir_that_is_not_declared_is_refused(tree: Tree) -> None:
    result = await call_tool("clean_disk", {"paths": [f"cache:{tree.tmp}"]}, tree.context())
    assert result["error"]["code"] == "refused_by_policy"
    result = await call_tool(
        "clean_disk", {"paths": ["cache"]}, tree.context(cleanup_cache_dirs=())
    )
    assert result["error"]["code"] == "invalid_argument"


async def test_system_directories_are_never_cleanup_roots_whatever_the_config(tree: Tree) -> None:
    ctx = tree.context(log_roots=("/",), temp_dirs=("/usr",), cleanup_cache_dirs=("/etc/x",))
    result = await dry_run(ctx, ["rotated-logs", "tmp"])
    assert result["total_bytes"] == 0
    notes = " ".join(result["notes"])
    assert "/ (rotated-logs): a system directory" in notes
    assert "/usr (tmp)" in notes and "/etc/x (cache)" in notes
    for path in ("/usr/lib/os-release", "cache:/etc/x"):
        refused = await call_tool("clean_disk", {"paths": [path]}, ctx)
        assert refused["error"]["code"] == "refused_by_policy", path


# --- command targets ------------------------------------------------------------------------


@pytest.fixture
def apt_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An apt cache of the test's own: APT_CONFIG points apt at it (LocalExecutor copies
    the environment when built, so build contexts after this fixture)."""
    if shutil.which("apt-get") is None:
        pytest.skip("apt-get is not installed")
    cache, state = tmp_path / "apt-cache", tmp_path / "apt-state"
    (cache / "archives" / "partial").mkdir(parents=True)
    (state / "lists" / "partial").mkdir(parents=True)
    conf = tmp_path / "apt.conf"
    conf.write_text(f'Dir::Cache "{cache}/";\nDir::State "{state}/";\n')
    monkeypatch.setenv("APT_CONFIG", str(conf))
    simulated = subprocess.run(["apt-get", "-s", "clean"], capture_output=True, text=True)
    deleted = [t for line in simulated.stdout.splitlines() for t in line.split()[1:]]
    if not deleted or not all(t.startswith(str(tmp_path)) for t in deleted):
        pytest.fail(f"apt would not clean the test's own cache: {simulated.stdout!r}")
    return cache / "archives"


async def test_apt_cache_previews_then_cleans_with_apt_get_clean(apt_cache: Path) -> None:
    debs = {str(write(apt_cache / f"pkg{i}_1.0_amd64.deb", 100_000 * (i + 1))): 0 for i in range(3)}
    partial = write(apt_cache / "partial" / "half.deb", 5000)
    ctx = ToolContext(executor=LocalExecutor(), settings=AgentSettings(temp_dirs=()))
    preview = await dry_run(ctx, ["apt-cache"])
    target = preview["targets"][0]
    assert target["commands"] == [["apt-get", "clean"]]
    assert {item["path"] for item in target["listed"]} == {*debs, str(partial)}
    assert target["bytes"] == 600_000 + 5000
    assert all(Path(p).exists() for p in debs)
    result = await real_run(ctx, ["apt-cache"])
    assert not any(Path(p).exists() for p in debs) and not partial.exists()
    assert result["freed_bytes"] == 605_000
    assert result["targets"][0] == {
        "target": "apt-cache",
        "ran": True,
        "files": 4,
        "bytes": 605_000,
    }


async def test_apt_cache_is_not_cleaned_when_packages_arrived_since_the_dry_run(
    apt_cache: Path,
) -> None:
    first = write(apt_cache / "a_1_amd64.deb", 1000)
    ctx = ToolContext(executor=LocalExecutor(), settings=AgentSettings(temp_dirs=()))
    await dry_run(ctx, ["apt-cache"])
    arrived = write(apt_cache / "b_1_amd64.deb", 1000)
    result = await real_run(ctx, ["apt-cache"])
    assert first.exists() and arrived.exists()
    assert "changed since the dry-run: 1 new file" in result["targets"][0]["reason"]


async def test_journal_without_old_archived_journals_runs_no_vacuum(tree: Tree) -> None:
    if shutil.which("journalctl") is None:
        pytest.skip("journalctl is not installed")
    ctx = tree.context()
    preview = await dry_run(ctx, ["journal"], older_than_days=3)
    target = preview["targets"][0]
    assert target["commands"] == [["journalctl", "--vacuum-time=259200s"]]
    result = await real_run(ctx, ["journal"], older_than_days=3)
    assert result["targets"][0]["ran"] is False


class ScriptedDocker(LocalExecutor):
    """The local executor, except the docker CLI, whose daemon does not run here."""

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[list[str]] = []

    async def which(self, program: str) -> str | None:
        return "/usr/bin/docker" if program == "docker" else await super().which(program)

    async def run(self, argv: list[str], **kwargs: Any) -> CommandResult:
        if argv[0] != "docker":
            return await super().run(argv, **kwargs)
        self.ran.append(list(argv))
        out = {
            "system": '{"Type":"Images","Reclaimable":"1.5GB (40%)"}\n'
            '{"Type":"Build Cache","Reclaimable":"250MB"}\n',
            "image ls": '{"ID":"sha256:aaa","Size":"120MB"}\n{"ID":"sha256:bbb","Size":"30MB"}\n',
            "info": "/var/lib/docker\n",
            "image prune": "Deleted Images:\ndeleted: sha256:aaa\n\nTotal reclaimed space: 150MB\n",
            "builder prune": "ID\tRECLAIMABLE\tSIZE\nabc\ttrue\t250MB\nTotal:\t250MB\n",
        }
        key = next(k for k in out if " ".join(argv[1:]).startswith(k))
        return CommandResult(tuple(argv), 0, out[key], "", 0.01)


async def test_docker_prunes_dangling_images_and_build_cache(tree: Tree) -> None:
    executor = ScriptedDocker()
    ctx = tree.context(executor)
    preview = await dry_run(ctx, ["docker"], older_than_days=2)
    target = preview["targets"][0]
    assert target["bytes"] == 120_000_000 + 30_000_000 + 250_000_000
    assert target["commands"] == [
        ["docker", "image", "prune", "-f", "--filter", "until=48h"],
        ["docker", "builder", "prune", "-f", "--filter", "until=48h"],
    ]
    assert not any("prune" in argv for argv in executor.ran)
    result = await real_run(ctx, ["docker"], older_than_days=2)
    assert [argv for argv in executor.ran if "prune" in argv] == target["commands"]
    assert result["freed_bytes"] == 400_000_000


async def test_docker_without_a_daemon_is_reported_unavailable(tree: Tree) -> None:
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed")
    if subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
        pytest.skip("a docker daemon answers here")
    result = await dry_run(tree.context(), ["docker"])
    assert result["targets"][0]["available"] is False
    assert "not answering" in result["targets"][0]["reason"]


# --- the Executor primitives ------------------------------------------------------------------


async def test_remove_file_unlinks_a_file_and_a_symlink_itself_never_its_target(
    tmp_path: Path,
) -> None:
    executor = LocalExecutor()
    victim = write(tmp_path / "victim", 10)
    (tmp_path / "link").symlink_to(victim)
    await executor.remove_file(str(tmp_path / "link"))
    assert victim.exists() and not (tmp_path / "link").exists()
    await executor.remove_file(str(victim))
    assert not victim.exists()


async def test_remove_file_refuses_directories_and_symlinked_components(tmp_path: Path) -> None:
    executor = LocalExecutor()
    inside = write(tmp_path / "real" / "file", 10)
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    for path, code in [
        (str(tmp_path / "real"), "invalid_argument"),
        (str(tmp_path / "alias" / "file"), "invalid_argument"),
        (f"{tmp_path}/real/../real/file", "invalid_argument"),
        ("relative/file", "invalid_argument"),
        (str(tmp_path / "missing"), "not_found"),
    ]:
        with pytest.raises(ExecutorError) as caught:
            await executor.remove_file(path)
        assert caught.value.code == code, path
    assert inside.exists()


async def test_open_for_writing_sees_a_writer_not_a_reader(tmp_path: Path) -> None:
    written, read, idle = (write(tmp_path / n, 10) for n in ("w", "r", "i"))
    script = "import sys, time\nw = open(sys.argv[1], 'r+')\nr = open(sys.argv[2])\nprint('ready', flush=True)\ntime.sleep(120)\n"
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(written), str(read)], stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
        found = await LocalExecutor().open_for_writing([str(written), str(read), str(idle)])
        assert found == {str(written)}
    finally:
        stop_process(child)  # type: ignore[arg-type]


# --- vocabulary helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rotated"),
    [
        ("syslog.1", True),
        ("mail.log.2.gz", True),
        ("access.log-20261101", True),
        ("access.log-2026110112.gz", True),
        ("app.log.2026-11-01", True),
        ("Xorg.0.log.old", True),
        ("dpkg.log.12.xz", True),
        ("btmp.1", True),
        ("syslog", False),
        ("access.log", False),
        ("app-2026-11-01.log", False),
        ("10.0.0.1", False),
        ("Xorg.0.log", False),
        ("php7.4-fpm.log", False),
        ("lastlog", False),
    ],
)
def test_rotated_log_names(name: str, rotated: bool) -> None:
    assert is_rotated_log(name) is rotated


def test_sizes_from_docker_and_journalctl() -> None:
    assert parse_size("1.5GB (40%)") == 1_500_000_000
    assert parse_size("250MB") == 250_000_000
    assert parse_size("1.5kB") == 1500
    assert parse_size("16.0M") == 16 * MiB
    assert parse_size("2MiB") == 2 * MiB
    assert parse_size("0B") == 0
    assert parse_size("nothing") is None


def test_apt_simulation_names_directories_and_files() -> None:
    output = (
        "Del /var/cache/apt/archives/* /var/cache/apt/archives/partial/*\n"
        "Del /var/lib/apt/lists/partial/*\n"
        "Del /var/cache/apt/pkgcache.bin /var/cache/apt/srcpkgcache.bin\n"
        "Del  \n"
    )
    assert parse_apt_simulation(output) == (
        [
            "/var/cache/apt/archives",
            "/var/cache/apt/archives/partial",
            "/var/lib/apt/lists/partial",
        ],
        ["/var/cache/apt/pkgcache.bin", "/var/cache/apt/srcpkgcache.bin"],
    )
