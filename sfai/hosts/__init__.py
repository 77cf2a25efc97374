"""How a host is reached: local today; the agent and SSH transports plug in here."""

from __future__ import annotations

from sfai.core.config import Config
from sfai.core.host import Host
from sfai_agent.tools.base import Masker


class UnknownHostError(LookupError):
    pass


def open_host(name: str, config: Config, *, redactor: Masker | None = None) -> Host:
    """The host called ``name`` in the inventory (``local`` is always there).

    ``redactor``: share one across a conversation so secret placeholders stay stable.
    """
    if name in ("local", "localhost"):
        from dataclasses import asdict

        from sfai.hosts.local import LocalHost
        from sfai_agent.metrics import AlertThresholds

        return LocalHost(
            config.tools,
            policy_rules=list(config.policy_rules),
            redactor=redactor,
            alert_thresholds=AlertThresholds.from_mapping(asdict(config.check)),
        )
    raise UnknownHostError(
        f"no host named {name!r}; only 'local' is configured "
        "(remote hosts through sfai-agent or SSH come with `sfai hosts add`)"
    )
