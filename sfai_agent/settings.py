"""Settings the tools obey on a host: roots, binaries, bounds.

On the operator's machine they come from the ``[tools]`` table of sfai's config;
inside ``sfai-agent`` from the agent's own policy file. Defaults suit a typical
Debian/Ubuntu VPS.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class AgentSettings:
    log_roots: tuple[str, ...] = ("/var/log",)
    """Directories whose files ``get_logs`` may read by absolute path."""
    nginx_conf: str = ""
    """nginx's main config file; empty: the running master's ``-c``, else /etc/nginx/nginx.conf."""
    nginx_binary: str = "nginx"
    supervisor_config: str = ""
    """supervisord's config; empty: supervisorctl's own search (/etc/supervisor/...)."""
    service_managers: tuple[str, ...] = ("systemd", "supervisor", "pm2", "docker")
    """Which service managers to look for, in this order."""
    command_timeout_s: float = 10.0
    tool_timeout_s: float = 30.0
    max_result_chars: int = 60_000
    """Cap on a tool result's size before it reaches a model or a screen."""
    disk_scan_max_depth: int = 3
    disk_scan_max_entries: int = 200_000
    disk_scan_time_s: float = 5.0
    temp_dirs: tuple[str, ...] = ("/tmp", "/var/tmp")  # noqa: S108 (the host's temp dirs)
    """Where clean_disk's ``tmp`` target removes old files."""
    temp_max_age_days: float = 7.0
    """clean_disk ``tmp``: only files last modified longer ago than this (unless
    ``older_than_days`` is given)."""
    cleanup_cache_dirs: tuple[str, ...] = ()
    """Cache directories clean_disk may empty, files only (``cache``, ``cache:DIR``)."""
    restart_verify_s: float = 5.0
    """How long restart_service watches a restarted service before judging whether it runs."""
    certbot_binary: str = "certbot"
    certbot_args: tuple[str, ...] = ()
    """Arguments given to every certbot call, before the subcommand (``--config-dir``,
    ``--work-dir``, ``--logs-dir`` for a layout other than /etc/letsencrypt)."""
    site_check_timeout_s: float = 10.0
    """How long an action waits for a site or health-check URL to answer after a change."""
    deploy_timeout_s: float = 600.0
    """A whole deploy_app call's time limit (fetch, build, restart, health check, rollback)."""
    backup_dir: str = "/var/backups/sfai"
    """Where actions keep what they replace (config backups), outside every directory a
    service includes by glob (a backup in sites-enabled/ would be loaded by nginx)."""
    renew_timeout_s: float = 180.0
    """A whole renew_certificate call's time limit: certbot waits on the CA's validation."""
    apps: dict[str, Any] = field(default_factory=dict)
    """Apps deploy_app may deploy: the ``[apps.NAME]`` tables of the config (or of the
    agent's policy file), checked by ``sfai_agent.tools.app_specs``."""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> AgentSettings:
        """Build from a config table, ignoring unknown keys (they are reported by the loader)."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            if key in _TUPLE_FIELDS and isinstance(value, list):
                value = tuple(str(v) for v in value)
            values[key] = value
        return cls(**values)


_TUPLE_FIELDS = frozenset(f.name for f in fields(AgentSettings) if isinstance(f.default, tuple))
