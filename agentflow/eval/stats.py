"""Point estimates with 95 % bootstrap confidence intervals (percentile method, seeded).

Two statistics cover the report: the mean of a per-session value (success rate, F1, cost) and the
ratio of two per-session sums (compliance = compliant calls / executed calls, pooled over sessions
but resampled by session, since calls of one session are not independent). The resampling RNG is
seeded from the metric's name, so a report is a pure function of its sessions — the local and Ray
engines, given the same sessions, print the same intervals.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

__all__ = ["Estimate", "bootstrap_mean", "bootstrap_ratio"]

DEFAULT_RESAMPLES = 1000


class Estimate(BaseModel):
    """A point estimate, its 95 % interval and the number of sessions behind it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    last = len(samples) - 1
    return samples[round(0.025 * last)], samples[round(0.975 * last)]


def bootstrap_mean(values: Sequence[float | None], *, key: str, seed: int = 0,
                   resamples: int = DEFAULT_RESAMPLES) -> Estimate:
    """Mean of the non-``None`` values with a percentile bootstrap interval."""
    data = [float(v) for v in values if v is not None]
    n = len(data)
    if n == 0:
        return Estimate(value=None, n=0)
    mean = sum(data) / n
    if n == 1 or resamples <= 0:
        return Estimate(value=mean, low=mean, high=mean, n=n)
    rng = random.Random(f"{seed}:{key}")
    means = [sum(rng.choices(data, k=n)) / n for _ in range(resamples)]
    low, high = _percentiles(means)
    return Estimate(value=mean, low=low, high=high, n=n)


def bootstrap_ratio(numerators: Sequence[float], denominators: Sequence[float], *, key: str, seed: int = 0,
                    resamples: int = DEFAULT_RESAMPLES) -> Estimate:
    """``sum(num) / sum(den)`` over sessions with a den > 0, resampling whole sessions."""
    pairs = [(float(a), float(b)) for a, b in zip(numerators, denominators, strict=True) if b > 0]
    n = len(pairs)
    if n == 0:
        return Estimate(value=None, n=0)
    value = sum(a for a, _ in pairs) / sum(b for _, b in pairs)
    if n == 1 or resamples <= 0:
        return Estimate(value=value, low=value, high=value, n=n)
    rng = random.Random(f"{seed}:{key}")
    ratios: list[float] = []
    for _ in range(resamples):
        sample = rng.choices(pairs, k=n)
        ratios.append(sum(a for a, _ in sample) / sum(b for _, b in sample))
    low, high = _percentiles(ratios)
    return Estimate(value=value, low=low, high=high, n=n)
