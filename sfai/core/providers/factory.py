"""Choosing a provider: the option, then the config, then what the environment allows."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sfai.core.config import Config
from sfai.core.providers.base import Provider, ProviderError

PROVIDERS = ("anthropic", "offline", "openai")


@dataclass
class Choice:
    provider: Provider
    notice: str = ""
    """Something to tell the user once (e.g. why the offline diagnostician is used)."""


def choose_provider_name(
    config: Config, requested: str | None, environ: dict[str, str] | None = None
) -> tuple[str, str]:
    """(name, notice). ``auto``: Claude when ANTHROPIC_API_KEY is set, else offline."""
    environ = dict(os.environ) if environ is None else environ
    name = requested or config.provider
    if name not in (*PROVIDERS, "auto"):
        raise ProviderError(
            "bad_request", f"unknown provider {name!r}", f"choose one of: {', '.join(PROVIDERS)}"
        )
    if name != "auto":
        return name, ""
    if environ.get("ANTHROPIC_API_KEY"):
        return "anthropic", ""
    return "offline", (
        "no ANTHROPIC_API_KEY: using sfai's offline diagnostician "
        "(set ANTHROPIC_API_KEY to use Claude, or --provider openai for a local model)"
    )


def make_provider(config: Config, name: str, model: str | None) -> Provider:
    if name == "anthropic":
        from sfai.core.providers.anthropic import AnthropicProvider

        return AnthropicProvider(model=model or config.model or None)
    if name == "openai":
        from sfai.core.providers.openai_compat import OpenAICompatProvider

        # No model is fine: llama.cpp and vLLM serve one model without a name.
        chosen = model or config.openai.model or config.model
        return OpenAICompatProvider(
            base_url=config.openai.base_url, model=chosen, api_key=config.openai.api_key or None
        )
    from sfai.core.providers.offline import OfflineProvider

    return OfflineProvider(thresholds=config.check)
