"""Intervals of simple proportions, and when a published share is too thin to show.

The public record counts every response that counts (no sampling design, no
weights), so a share's 95% interval is Wilson's score interval: it stays in
[0, 1], is sensible at 0 and at n, and covers close to its level even for a
few dozen answers, where the textbook p ± 1.96·se does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class Share:
    """A count over its denominator, its Wilson interval, and whether it may be
    published as a percentage (enough answers) or only as its interval."""

    successes: int
    n: int
    low: float | None
    high: float | None
    enough: bool

    @property
    def rate(self) -> float | None:
        return self.successes / self.n if self.n else None


def wilson_interval(
    successes: int, n: int, level: float = 0.95
) -> tuple[float, float] | None:
    """Wilson's score interval for successes out of n; None for n = 0."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # The exact ends: no rounding error may put 0 or n outside its interval.
    if successes == 0:
        low = 0.0
    if successes == n:
        high = 1.0
    return low, high


def share(successes: int, n: int, minimum: int, level: float = 0.95) -> Share:
    """The share with its interval; `enough` when n reaches `minimum`."""
    interval = wilson_interval(successes, n, level)
    low, high = interval if interval else (None, None)
    return Share(successes, n, low, high, n >= max(minimum, 1))
