"""Percentiles and medians, stated the way the report prints them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Spread:
    """Milliseconds."""

    p50: float
    p99: float
    max: float
    count: int

    @classmethod
    def of_ms(cls, values_ms: Sequence[float]) -> Spread:
        if not values_ms:
            return cls(math.nan, math.nan, math.nan, 0)
        return cls(percentile(values_ms, 50), percentile(values_ms, 99), max(values_ms), len(values_ms))

    @classmethod
    def of_seconds(cls, values: Sequence[float]) -> Spread:
        return cls.of_ms([value * 1000 for value in values])

    def __str__(self) -> str:
        return f"p50 {ms(self.p50)}, p99 {ms(self.p99)}, max {ms(self.max)}, n={self.count}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def ms(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"
