"""Programs refused outright, whatever their arguments."""

from __future__ import annotations

import re

from sfai_agent.policy.commands.parsing import words

_RUNS_ANYTHING = "runs arbitrary commands or code (a shell, interpreter or wrapper)"
_CHANGES = "changes files, processes or the system; changes go through the action tools"
_INTERACTIVE = "is interactive or never returns"
DENIED: dict[str, str] = {
    **dict.fromkeys(
        words(
            "sh bash dash zsh ksh mksh csh tcsh fish ash busybox toybox awk gawk mawk nawk sed "
            "env xargs nohup sudo su doas runuser pkexec setsid nsenter chroot unshare ionice "
            "nice renice taskset timeout stdbuf strace ltrace gdb script expect time flock "
            "setpriv capsh systemd-run at batch parallel ssh scp sftp rsync nc ncat netcat "
            "socat telnet ftp make sqlite3 tar zip unzip gzip gunzip bzip2 xz zstd cpio "
            "ssh-keygen gpg openvt chvt exec eval source command builtin ex rlwrap "
            "lxc-attach machinectl systemd-nspawn crash debugfs"
        ),
        _RUNS_ANYTHING,
    ),
    **dict.fromkeys(
        words(
            "rm rmdir mv cp dd tee touch mkdir ln link unlink chmod chown chgrp chattr truncate "
            "shred install fallocate mknod mkfifo mkswap swapon swapoff umount kill killall pkill "
            "reboot shutdown poweroff halt init telinit fdisk sfdisk gdisk parted wipefs "
            "losetup useradd usermod userdel groupadd groupmod groupdel passwd chpasswd chage "
            "gpasswd newgrp visudo vipw vigr patch ifup ifdown service update-rc.d apt-get "
            "aptitude yum dnf rpm snap pip pip3 npm yarn modprobe insmod rmmod kexec "
            "blkdiscard hdparm"
        ),
        _CHANGES,
    ),
    "wget": "saves what it downloads into files; curl can fetch a URL (with approval)",
    "printenv": "prints sfai's own environment (API keys, tokens)",
    **dict.fromkeys(
        words(
            "less more most pg man vi vim nvim view nano emacs ed joe mcedit htop atop iotop "
            "iftop nload nethogs watch tmux screen mc bmon glances ptop"
        ),
        _INTERACTIVE,
    ),
}
_INTERPRETER_FAMILIES = re.compile(
    r"(python|pypy|perl|php|ruby|irb|lua|luajit|node|nodejs|deno|bun|tclsh|wish|java|"
    r"jshell|pwsh|Rscript|osascript)[0-9.]*"
)
_FILESYSTEM_TOOLS = re.compile(r"(mkfs|fsck|e2fsck|tune2fs|resize2fs|xfs_repair)(\..+)?")


def refusal(program: str) -> str | None:
    """Why ``program`` (a base name) is refused outright, or None."""
    denied = DENIED.get(program)
    if denied is None and _INTERPRETER_FAMILIES.fullmatch(program):
        denied = _RUNS_ANYTHING
    if denied is None and _FILESYSTEM_TOOLS.fullmatch(program):
        denied = _CHANGES
    return denied
