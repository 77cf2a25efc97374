"""What a request cost, from token counts. Prices in USD per million tokens.

Cache reads cost 10% of the input price, cache writes 125% (5-minute cache). An
unknown model costs 0 and says so in ``known``; never guess a price.
"""

from __future__ import annotations

from sfai.core.events import Usage

PRICES: dict[str, tuple[float, float]] = {
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-sonnet-5": (2.00, 10.00),
    "claude-opus-5": (5.00, 25.00),
    "claude-opus-5-5": (4.00, 20.00),
    "claude-fable-5-1": (10.00, 50.00),
    "claude-sonnet-4-5": (3.00, 15.00),
}
DEFAULT_MODEL = "claude-sonnet-5"


def price_for(model: str) -> tuple[float, float] | None:
    """Prices for ``model``, accepting dated snapshots (``claude-sonnet-5-20260115``)."""
    for name in sorted(PRICES, key=len, reverse=True):
        if model == name or model.startswith(name + "-"):
            return PRICES[name]
    return None


def cost(model: str, usage: Usage) -> float:
    prices = price_for(model)
    if prices is None:
        return 0.0
    per_input, per_output = prices
    total = (
        usage.input_tokens * per_input
        + usage.output_tokens * per_output
        + usage.cache_read_tokens * per_input * 0.1
        + usage.cache_write_tokens * per_input * 1.25
    )
    return round(total / 1_000_000, 6)
