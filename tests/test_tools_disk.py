"""get_disk_usage on this machine's real mounts and real directory trees in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfai_agent.tools.disk import Mount, is_real_filesystem, mount_of, parse_mounts
from sfai_agent.tools.render import render_text

MB = 1_000_000


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Known sizes: big.bin 50 MB at the top, a nested dir holding 10 MB + 5 MB, small files."""
    root = tmp_path / "data"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    with (root / "big.bin").open("wb") as handle:
        handle.truncate(50 * MB)
    (root / "nested" / "ten.bin").write_bytes(b"\0" * (10 * MB))
    (root / "nested" / "deeper" / "five.bin").write_bytes(b"x" * (5 * MB))
    (root / "small.txt").write_text("hello\n")
    return root


async def test_filesystems_of_this_machine(run_tool) -> None:
    result = await run_tool("get_disk_usage", {})
    assert result["ok"], result
    rows = result["filesystems"]
    assert rows, "the root filesystem at least"
    assert any(row["mountpoint"] == "/" for row in rows)
    for row in rows:
        assert set(row) >= {
            "device",
            "mountpoint",
            "fstype",
            "size_bytes",
            "used_bytes",
            "free_bytes",
            "used_percent",
            "inodes_used_percent",
        }
        assert row["size_bytes"] > 0 and row["used_bytes"] >= 0 and row["free_bytes"] >= 0
        assert 0 <= row["used_percent"] <= 100
        assert row["fstype"] not in ("proc", "sysfs", "devtmpfs", "cgroup", "cgroup2", "devpts")
    assert len({row["mountpoint"] for row in rows}) == len(rows)
    text = render_text(result)
    assert text.startswith(result["summary"]) and "mountpoint" in text


def test_mount_parsing_and_filtering() -> None:
    mounts = parse_mounts(
        "proc /proc proc rw,nosuid 0 0\n"
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        "/dev/sdb1 /mnt/My\\040Disk xfs ro,relatime 0 0\n"
        "tmpfs /run tmpfs rw 0 0\n"
        "tmpfs /tmp tmpfs rw 0 0\n"
        "overlay / overlay rw,lowerdir=/a 0 0\n"
        "overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0\n"
        "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"
    )
    assert mounts[2] == Mount("/dev/sdb1", "/mnt/My Disk", "xfs", True)
    real = [m.mountpoint for m in mounts if is_real_filesystem(m)]
    assert real == ["/", "/mnt/My Disk", "/tmp", "/"]
    assert mount_of("/mnt/My Disk/photos", mounts) == mounts[2]
    assert mount_of("/etc/hosts", mounts) == mounts[5]  # the last mount at / wins
    assert mount_of("/proc/1/status", mounts) == mounts[0]


async def test_largest_in_a_known_tree(run_tool, tree: Path) -> None:
    result = await run_tool("get_disk_usage", {"path": str(tree)})
    assert result["ok"], result
    assert result["complete"] is True and "note" not in result
    assert result["total_bytes"] == 65 * MB + 6
    largest = [(item["path"], item["kind"], item["size_bytes"]) for item in result["largest"]]
    assert largest[:5] == [
        (str(tree / "big.bin"), "file", 50 * MB),
        (str(tree / "nested"), "dir", 15 * MB),
        (str(tree / "nested" / "ten.bin"), "file", 10 * MB),
        (str(tree / "nested" / "deeper"), "dir", 5 * MB),
        (str(tree / "nested" / "deeper" / "five.bin"), "file", 5 * MB),
    ]
    assert (str(tree / "small.txt"), "file", 6) in largest
    assert result["scanned_entries"] == 7
    assert result["filesystem"]["size_bytes"] > 0
    text = render_text(result)
    assert text.startswith(result["summary"]) and "big.bin" in result["summary"]


async def test_a_single_file(run_tool, tree: Path) -> None:
    result = await run_tool("get_disk_usage", {"path": str(tree / "big.bin")})
    assert result["ok"] and result["kind"] == "file" and result["total_bytes"] == 50 * MB


async def test_entry_bound_makes_the_scan_partial(run_tool, tmp_path: Path) -> None:
    for i in range(500):
        (tmp_path / f"f{i:03d}.log").write_bytes(b"x" * (i + 1))
    result = await run_tool("get_disk_usage", {"path": str(tmp_path)}, disk_scan_max_entries=50)
    assert result["ok"], result
    assert result["complete"] is False and result["scanned_entries"] == 50
    assert "disk_scan_max_entries" in result["note"]
    assert "partial" in result["summary"]
    assert len(result["largest"]) == 20


async def test_depth_bound_makes_the_scan_partial(run_tool, tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c" / "d" / "e"
    deep.mkdir(parents=True)
    (deep / "hidden.bin").write_bytes(b"x" * 1000)
    (tmp_path / "a" / "b" / "visible.bin").write_bytes(b"x" * 10)
    result = await run_tool("get_disk_usage", {"path": str(tmp_path)}, disk_scan_max_depth=2)
    assert result["complete"] is False and "disk_scan_max_depth" in result["note"]
    paths = [item["path"] for item in result["largest"]]
    assert str(tmp_path / "a" / "b" / "visible.bin") in paths
    assert str(deep / "hidden.bin") not in paths
    assert result["total_bytes"] == 10


async def test_symlink_loops_neither_hang_nor_escape(run_tool, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "loop").symlink_to(root)
    (root / "sub" / "self").symlink_to("self")
    (root / "outside").symlink_to("/usr")
    (root / "sub" / "file.bin").write_bytes(b"x" * 100)
    result = await run_tool("get_disk_usage", {"path": str(root)})
    assert result["ok"] and result["complete"] is True, result
    assert result["total_bytes"] == 100
    assert all(item["path"].startswith(str(root)) for item in result["largest"])
    assert result["scanned_entries"] == 5


async def test_symlinked_path_is_resolved_first(run_tool, tree: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(tree)
    result = await run_tool("get_disk_usage", {"path": str(tmp_path / "alias")})
    assert result["ok"] and result["path"] == str(tree)


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/root/.ssh", "refused_by_policy"),
        ("/etc/ssl/private", "refused_by_policy"),
        ("/etc/shadow", "refused_by_policy"),
        ("relative/path", "invalid_argument"),
        ("/no/such/dir/anywhere", "not_found"),
        ("/proc", "invalid_argument"),
    ],
)
async def test_refusals(run_tool, path: str, code: str) -> None:
    result = await run_tool("get_disk_usage", {"path": path})
    assert result["ok"] is False and result["error"]["code"] == code, result
    assert result["error"]["message"]


async def test_credential_locations_inside_a_tree_are_skipped(run_tool, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_bytes(b"k" * 5000)
    (home / "site.pem").write_bytes(b"p" * 3000)
    (home / "notes.txt").write_bytes(b"n" * 10)
    alias = tmp_path / "keys"
    alias.symlink_to(home / ".ssh")
    result = await run_tool("get_disk_usage", {"path": str(home)})
    assert result["ok"], result
    assert [item["path"] for item in result["largest"]] == [str(home / "notes.txt")]
    assert "credential" in result["note"]
    refused = await run_tool("get_disk_usage", {"path": str(alias)})
    assert refused["error"]["code"] == "refused_by_policy"


async def test_schema_rejects_unknown_arguments(run_tool) -> None:
    result = await run_tool("get_disk_usage", {"path": "/", "depth": 9})
    assert result["error"]["code"] == "invalid_argument"
