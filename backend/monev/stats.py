"""Medians, percentiles and shares. `quantile` interpolates exactly as
PostgreSQL's percentile_cont does: the tickets' percentiles come from the
database on PostgreSQL and from here on SQLite (backend/monev/sql.py), the
smaller sets (incidents, calls) from here on both."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence


def quantile(ordered: Sequence[float], q: float) -> Optional[float]:
    """The q-quantile of sorted values, interpolated linearly between the two
    nearest ranks (what PostgreSQL's percentile_cont gives); None when empty."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Spread:
    n: int
    median: Optional[float]
    p90: Optional[float]


def spread(values: Iterable[float]) -> Spread:
    ordered: List[float] = sorted(values)
    return Spread(len(ordered), quantile(ordered, 0.5), quantile(ordered, 0.9))


def share(part: int, whole: int) -> Optional[float]:
    """part/whole as a fraction, None when there is no whole to share."""
    return part / whole if whole else None


def change(now: Optional[float], before: Optional[float]) -> Optional[float]:
    """The relative change from the previous period (0.25 is +25%); None
    when there was nothing before to compare with."""
    if now is None or not before:
        return None
    return (now - before) / before
