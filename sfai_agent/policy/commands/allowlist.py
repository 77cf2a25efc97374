"""The allowlist: each program the judge vouches for, and its argument rules."""

from __future__ import annotations

from sfai_agent.policy.commands import files, git, host, network, openssl, services, system
from sfai_agent.policy.commands.parsing import Handler, any_operands, simple
from sfai_agent.policy.commands.paths import list_paths, read_paths

HANDLERS: dict[str, Handler] = {
    "ss": simple(system.SS, any_operands),
    "ps": system.ps_command,
    "df": simple(system.DF, any_operands),
    "du": system.du_command,
    "uptime": simple(system.UPTIME),
    "free": simple(system.FREE),
    "dmesg": simple(system.DMESG),
    "journalctl": simple(system.JOURNALCTL, any_operands),
    "systemctl": system.systemctl_command,
    "nginx": services.nginx_command,
    "ip": network.ip_command,
    "lsblk": simple(system.LSBLK, any_operands),
    "findmnt": simple(system.FINDMNT, any_operands),
    "mount": system.mount_command,
    "docker": services.docker_command,
    "git": git.git_command,
    "uname": simple(host.UNAME),
    "hostname": host.hostname_command,
    "id": simple(host.ID, any_operands),
    "whoami": simple(host.WHOAMI),
    "w": simple(host.W, any_operands),
    "who": host.who_command,
    "last": simple(host.LAST, any_operands),
    "date": host.date_command,
    "cat": simple(files.CAT, read_paths),
    "head": simple(files.HEAD, read_paths),
    "tail": simple(files.TAIL, read_paths),
    "wc": simple(files.WC, read_paths),
    "grep": files.grep_command,
    "stat": simple(files.STAT, list_paths),
    "ls": simple(files.LS, list_paths),
    "find": files.find_command,
    "getent": host.getent_command,
    "timedatectl": host.timedatectl_command,
    "hostnamectl": host.hostnamectl_command,
    "lscpu": simple(system.LSCPU),
    "lsof": network.lsof_command,
    "netstat": simple(network.NETSTAT),
    "vmstat": simple(system.VMSTAT, system.interval_count),
    "iostat": simple(system.IOSTAT, system.interval_count),
    "mpstat": simple(system.MPSTAT, system.interval_count),
    "sar": simple(system.SAR, system.interval_count),
    "top": system.top_command,
    "openssl": openssl.openssl_command,
    "certbot": services.certbot_command,
    "crontab": services.crontab_command,
    "apt": services.apt_command,
    "apt-cache": services.apt_cache_command,
    "dpkg": services.dpkg_command,
    "dpkg-query": services.dpkg_command,
    "supervisorctl": services.supervisorctl_command,
    "pm2": services.pm2_command,
    "iptables": network.iptables_command,
    "ip6tables": network.iptables_command,
    "iptables-save": simple(network.IPTABLES_SAVE),
    "ip6tables-save": simple(network.IPTABLES_SAVE),
    "nft": network.nft_command,
    "sysctl": system.sysctl_command,
    "pgrep": simple(system.PGREP, any_operands),
    "nproc": simple(system.NPROC),
}
"""The allowlist: program → its argument rules. ``curl`` and ``sort`` have rules too, but
only to refuse their dangerous options: they always need approval (``ASK_ONLY``)."""

ASK_ONLY: dict[str, Handler] = {"curl": network.curl_command, "sort": files.sort_command}
