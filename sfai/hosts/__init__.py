"""How a host is reached: in-process (local), through sfai-agent, or over SSH.

``open_host`` is the one door: it reads the inventory (``hosts.toml``, see
``sfai.hosts.inventory``) and returns a ``sfai.core.host.Host`` whatever the transport.
Opening is cheap and never connects: the first call does, so a list of hosts can be
opened up front and an unreachable one reported when it is used.
"""

from __future__ import annotations

from sfai.core.config import Config
from sfai.core.host import Host
from sfai.hosts.inventory import HostEntry, InventoryError, load_inventory
from sfai_agent.tools.base import Masker


class UnknownHostError(LookupError):
    """No such host in the inventory (or the inventory cannot be read)."""


def host_entry(name: str, config: Config) -> HostEntry:
    from sfai.core.paths import sfai_paths

    try:
        return load_inventory(sfai_paths()).get(name)
    except InventoryError as exc:
        raise UnknownHostError(str(exc)) from None


def open_host(name: str, config: Config, *, redactor: Masker | None = None) -> Host:
    """The host called ``name`` in the inventory (``local`` is always there).

    ``redactor``: share one across a conversation so secret placeholders stay stable.
    """
    return open_entry(host_entry(name, config), config, redactor=redactor)


def open_entry(entry: HostEntry, config: Config, *, redactor: Masker | None = None) -> Host:
    if entry.transport == "local":
        from dataclasses import asdict

        from sfai.hosts.local import LocalHost
        from sfai_agent.metrics import AlertThresholds

        return LocalHost(
            config.tools,
            policy_rules=list(config.policy_rules),
            redactor=redactor,
            alert_thresholds=AlertThresholds.from_mapping(asdict(config.check)),
        )
    if entry.transport == "agent":
        from sfai.hosts.agent import AgentHost

        return AgentHost(entry, config, redactor=redactor)
    if entry.transport == "ssh":
        from sfai.hosts.ssh import SSHHost

        return SSHHost(entry, config, redactor=redactor)
    raise UnknownHostError(f"host {entry.name!r}: unknown transport {entry.transport!r}")
