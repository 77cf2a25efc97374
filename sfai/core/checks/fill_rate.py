"""How fast a filesystem fills, from stored usage samples (least-squares slope)."""

from __future__ import annotations

WINDOW_S = 7 * 86_400
MIN_SPAN_S = 600.0
"""Below ten minutes of history a slope is noise, not a trend."""


def fill_rate(samples: list[tuple[float, int]]) -> float | None:
    """Bytes per second of growth, or None when history is too short to tell."""
    if len(samples) < 2 or samples[-1][0] - samples[0][0] < MIN_SPAN_S:
        return None
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_u = sum(u for _, u in samples) / n
    variance = sum((t - mean_t) ** 2 for t, _ in samples)
    if variance == 0:
        return None
    return sum((t - mean_t) * (u - mean_u) for t, u in samples) / variance
