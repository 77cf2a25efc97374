"""How a host is reached: local today; the agent and SSH transports plug in here."""

from __future__ import annotations

from sfai.core.config import Config
from sfai.core.host import Host


class UnknownHostError(LookupError):
    pass


def open_host(name: str, config: Config) -> Host:
    """The host called ``name`` in the inventory (``local`` is always there)."""
    if name in ("local", "localhost"):
        from sfai.hosts.local import LocalHost

        return LocalHost(config.tools)
    raise UnknownHostError(
        f"no host named {name!r}; only 'local' is configured "
        "(remote hosts through sfai-agent or SSH come with `sfai hosts add`)"
    )
