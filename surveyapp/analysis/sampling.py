"""Sample planning for survey firms: sample size, quota allocation, selection, pace."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

AllocationMethod = Literal["proportional", "neyman", "equal"]
MinimumRule = Literal["floor", "first"]
MINIMUM_RULES = ("floor", "first")
CellValues = Mapping[str, float] | pd.Series

# Float noise such as 384.00000000000006 must not round up to 385.
_CEIL_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SampleSize:
    """Required sample size for a proportion, before and after the fpc."""

    n0: int
    n: int
    n0_exact: float
    n_exact: float
    z: float
    formula: str


def _ceil(x: float) -> int:
    return math.ceil(x - _CEIL_TOLERANCE)


def _fmt(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def sample_size(
    margin: float,
    confidence: float = 0.95,
    p: float = 0.5,
    deff: float = 1.0,
    population: int | None = None,
    z: float | None = None,
) -> SampleSize:
    """Cochran's sample size for estimating a proportion to within +/- ``margin``.

    n0 = z^2 p(1-p) deff / e^2 and, when the population N is known,
    n = n0 / (1 + (n0 - 1) / N) (Cochran 1977, eq. 4.1-4.2). The design effect
    inflates n0 before the finite-population correction; samplics instead
    multiplies the corrected n by deff, so the two agree only for deff = 1.
    Both sizes are rounded up; ``n`` uses the unrounded n0. ``z`` overrides the
    exact normal quantile, e.g. z = 1.96 to reproduce textbook tables.
    """
    if not 0 < margin < 1:
        raise ValueError(f"margin must be in (0, 1), got {margin}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if not deff > 0:
        raise ValueError(f"deff must be positive, got {deff}")
    if population is not None and population < 1:
        raise ValueError(f"population must be at least 1, got {population}")

    if z is None:
        z = float(norm.ppf(1 - (1 - confidence) / 2))
    elif not z > 0:
        raise ValueError(f"z must be positive, got {z}")
    n0 = z**2 * p * (1 - p) * deff / margin**2
    formula = (
        f"n0 = z²·p(1−p)·deff / e² = {_fmt(z)}² × {_fmt(p)} × {_fmt(1 - p)}"
        f" × {_fmt(deff)} / {_fmt(margin)}² = {_fmt(n0)} → {_ceil(n0)}"
    )
    if population is None:
        n = n0
    else:
        n = n0 / (1 + (n0 - 1) / population)
        formula += (
            f"; n = n0 / (1 + (n0 − 1) / N) = {_fmt(n0)} / (1 + ({_fmt(n0)} − 1)"
            f" / {population}) = {_fmt(n)} → {_ceil(n)}"
        )
    return SampleSize(
        n0=_ceil(n0), n=_ceil(n), n0_exact=n0, n_exact=n, z=z, formula=formula
    )


def _as_series(values: CellValues | Sequence[float], name: str) -> pd.Series:
    series = pd.Series(values, dtype=float)
    if series.empty:
        raise ValueError(f"{name}: no cells given")
    if series.isna().any() or np.isinf(series.to_numpy()).any():
        raise ValueError(f"{name}: every cell needs a finite value")
    if (series < 0).any():
        bad = list(series.index[series < 0])
        raise ValueError(f"{name}: negative values for cells {bad}")
    return series


def _aligned(values: CellValues | None, index: pd.Index, name: str) -> pd.Series:
    series = _as_series(values, name)
    missing = index.difference(series.index)
    if len(missing):
        raise ValueError(f"{name}: no value for cells {list(missing)}")
    return series.reindex(index)


def _cell_inputs(
    cells: pd.DataFrame | CellValues,
    sd: CellValues | None,
    population: CellValues | None,
) -> tuple[pd.Series, pd.Series | None, pd.Series | None]:
    if isinstance(cells, pd.DataFrame):
        if "volume" not in cells.columns:
            raise ValueError("cells: a data frame needs a 'volume' column")
        volume = _as_series(cells["volume"], "volume")
        if sd is None and "sd" in cells.columns:
            sd = cells["sd"]
        if population is None and "population" in cells.columns:
            population = cells["population"]
    else:
        volume = _as_series(cells, "volume")
    if not volume.index.is_unique:
        raise ValueError("cells: cell names must be unique")
    sd_series = None if sd is None else _aligned(sd, volume.index, "sd")
    pop_series = (
        None if population is None else _aligned(population, volume.index, "population")
    )
    return volume, sd_series, pop_series


def allocate_exact(
    cells: pd.DataFrame | CellValues,
    n: int,
    method: AllocationMethod = "proportional",
    minimum: int = 0,
    sd: CellValues | None = None,
    population: CellValues | None = None,
    minimum_rule: MinimumRule = "floor",
) -> pd.Series:
    """Unrounded allocation of ``n`` interviews over cells; see :func:`allocate`."""
    volume, sd_series, pop_series = _cell_inputs(cells, sd, population)
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n}")
    if isinstance(minimum, bool) or int(minimum) != minimum or minimum < 0:
        raise ValueError(f"minimum must be a non-negative integer, got {minimum}")
    if minimum_rule not in MINIMUM_RULES:
        raise ValueError(f"minimum_rule must be one of {', '.join(MINIMUM_RULES)}")

    if method == "proportional":
        measure = volume
    elif method == "neyman":
        if sd_series is None:
            raise ValueError("neyman allocation needs sd per cell (previous wave)")
        measure = volume * sd_series
    elif method == "equal":
        measure = pd.Series(1.0, index=volume.index)
    else:
        raise ValueError(f"unknown allocation method {method!r}")

    cap = pd.Series(np.inf, index=volume.index)
    if pop_series is not None:
        cap = np.floor(pop_series)
        if n > cap.sum():
            raise ValueError(
                f"n = {n} exceeds the total population {int(cap.sum())} of the cells"
            )
    base = np.minimum(float(minimum), cap)
    if base.sum() > n:
        raise ValueError(
            f"a minimum of {minimum} in each of {len(volume)} cells needs"
            f" {int(base.sum())} interviews, more than n = {n}"
        )
    if minimum_rule == "floor":
        exact = _floor_allocation(measure, base, cap, float(n), method)
        return pd.Series(exact, index=volume.index, name="allocation")

    extra = pd.Series(0.0, index=volume.index)
    remaining = n - base.sum()
    open_cells = cap > base
    # Cap and redistribute: cells pushed past their population are fixed at it
    # and the rest of the remainder is shared again among the others.
    while remaining > _CEIL_TOLERANCE:
        weight = measure.where(open_cells, 0.0)
        if weight.sum() <= 0:
            raise ValueError(
                f"cannot place {remaining:g} interviews: every cell with a positive"
                f" {method} measure is already at its population"
            )
        share = remaining * weight / weight.sum()
        room = cap - base - extra
        over = open_cells & (share > room + _CEIL_TOLERANCE)
        if not over.any():
            extra += share
            break
        extra[over] += room[over]
        remaining -= room[over].sum()
        open_cells &= ~over
    return (base + extra).rename("allocation")


def _floor_allocation(
    measure: pd.Series, low: pd.Series, high: pd.Series, n: float, method: str
) -> np.ndarray:
    """n_h = clip(t · measure_h, low_h, high_h) with t such that Σ n_h = n.

    This is the textbook floor allocation: cells whose share falls below the
    minimum are raised to it and the rest is shared in proportion among the
    others, again and again until no share is below the minimum (and none above
    its population). Solved exactly: Σ n_h is piecewise linear in t.
    """
    m, lo, hi = (np.asarray(v, dtype=float) for v in (measure, low, high))
    if lo.sum() >= n - _CEIL_TOLERANCE:
        return lo.copy()
    active = m > 0
    with np.errstate(divide="ignore"):
        points = np.concatenate([lo[active] / m[active], hi[active] / m[active]])
    points = np.unique(points[np.isfinite(points)])

    def total(t: float) -> float:
        return float(np.where(active, np.clip(t * m, lo, hi), lo).sum())

    below = 0.0
    for t in points:
        if total(t) >= n - _CEIL_TOLERANCE:
            break
        below = t
    else:
        if not active.any() or np.isfinite(hi[active]).all():
            raise ValueError(
                f"cannot place {n - total(below):g} interviews: every cell with a"
                f" positive {method} measure is already at its population"
            )
    # Between breakpoints the cells strictly inside their bounds grow with t.
    probe = below + 1e-12 * max(1.0, below)
    free = active & (probe * m > lo) & (probe * m < hi)
    fixed = np.where(active, np.clip(below * m, lo, hi), lo)
    t = below + (n - fixed.sum()) / m[free].sum() if free.any() else below
    return np.where(active, np.clip(t * m, lo, hi), lo)


def allocation_deff(volume: CellValues, allocation: CellValues) -> float:
    """Kish's design effect of the weights N_h / n_h an allocation implies:
    n Σ_h N_h² / n_h / N² (1 for proportional allocation; inf when a cell with
    volume gets no interview)."""
    vol = _as_series(volume, "volume")
    alloc = _aligned(allocation, vol.index, "allocation")
    n, total = float(alloc.sum()), float(vol.sum())
    if n <= 0 or total <= 0:
        raise ValueError("the allocation and the volumes must not be empty")
    counted = vol > 0
    if (alloc[counted] <= 0).any():
        return float("inf")
    return n * float((vol[counted] ** 2 / alloc[counted]).sum()) / total**2


def largest_remainder(values: pd.Series, total: int) -> pd.Series:
    """Round non-negative quotas to integers summing to ``total`` (Hamilton).

    Every cell gets the floor of its quota; the seats left go to the largest
    fractional parts, ties broken by the larger quota and then by cell order.
    """
    quotas = pd.Series(values, dtype=float)
    floors = np.floor(quotas + _CEIL_TOLERANCE)
    seats = round(float(total - floors.sum()))
    if seats < 0 or seats > len(quotas):
        raise ValueError(f"quotas sum to {quotas.sum():g}, not to {total}")
    fraction = (quotas - floors).clip(lower=0.0).round(9).to_numpy()
    order = np.lexsort((np.arange(len(quotas)), -quotas.round(9).to_numpy(), -fraction))
    result = floors.to_numpy().astype(int)
    result[order[:seats]] += 1
    return pd.Series(result, index=quotas.index, name=quotas.name)


def allocate(
    cells: pd.DataFrame | CellValues,
    n: int,
    method: AllocationMethod = "proportional",
    minimum: int = 0,
    sd: CellValues | None = None,
    population: CellValues | None = None,
    minimum_rule: MinimumRule = "floor",
) -> pd.Series:
    """Allocate ``n`` interviews over quota cells, as integers summing to ``n``.

    ``cells`` maps cell name to volume (e.g. transactions last period), or is a
    data frame with a ``volume`` column and optional ``sd`` and ``population``
    columns. Interviews are shared in proportion to the volume N_h
    ("proportional"), to N_h * S_h ("neyman", S_h from a previous wave or a
    stated guess) or equally ("equal"). With a ``minimum`` the default rule
    "floor" raises the cells whose share falls below it to
    ``min(minimum, population)`` and shares the rest in proportion among the
    others, repeating until no share is below the minimum: of all allocations
    that respect the minimum it keeps the weights N_h / n_h most even (the
    smallest Kish design effect, :func:`allocation_deff`). "first" gives every
    cell the minimum first and then shares the remainder, which flattens
    proportionality. No cell gets more than its population when it is known.
    The quotas are rounded by the largest-remainder method
    (:func:`largest_remainder`).
    """
    exact = allocate_exact(cells, n, method, minimum, sd, population, minimum_rule)
    return largest_remainder(exact, n)


def systematic_sample(
    population: int | Sequence[object],
    n: int,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Systematic sample of ``n`` out of N units: 0-based positions, ascending.

    ``population`` is N or the ordered list of unit ids (then N = its length;
    select the ids with ``np.asarray(ids)[positions]``). The interval k = N/n
    may be fractional: with a random start r in [0, k) the sample is
    floor(r + i*k) for i = 0..n-1, so exactly n distinct units are drawn and
    each has inclusion probability n/N.
    """
    size = (
        int(population) if isinstance(population, int | np.integer) else len(population)
    )
    if size < 0:
        raise ValueError(f"population size must be non-negative, got {size}")
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n}")
    if n > size:
        raise ValueError(f"cannot draw {n} units from a population of {size}")
    if n == 0:
        return np.array([], dtype=int)
    rng = np.random.default_rng(seed)
    interval = size / n
    start = rng.uniform(0.0, interval)
    positions = np.floor(start + interval * np.arange(n)).astype(int)
    return np.minimum(positions, size - 1)


def projected_fill(
    count: CellValues | Sequence[float],
    target: CellValues | Sequence[float],
    elapsed_days: float,
    total_days: float,
) -> pd.DataFrame:
    """Project each cell's count to the end of the period at its current pace.

    pace = count / elapsed_days, projected = count + pace * (total - elapsed);
    a cell is at risk when projected < target. Before any day has elapsed the
    pace is 0, so every cell still short of its target is at risk. Also gives
    the shortfall and the daily pace needed from now on to reach the target.
    """
    if not total_days > 0:
        raise ValueError(f"total_days must be positive, got {total_days}")
    if not 0 <= elapsed_days <= total_days:
        raise ValueError(
            f"elapsed_days must be in [0, {total_days}], got {elapsed_days}"
        )
    counts = _as_series(count, "count")
    targets = _as_series(target, "target")
    if not counts.index.equals(targets.index):
        if len(counts) != len(targets) or not counts.index.sort_values().equals(
            targets.index.sort_values()
        ):
            raise ValueError("count and target must describe the same cells")
        targets = targets.reindex(counts.index)
    remaining = total_days - elapsed_days
    pace = counts / elapsed_days if elapsed_days > 0 else counts * 0.0
    projected = counts + pace * remaining
    shortfall = (targets - projected).clip(lower=0.0)
    still_needed = (targets - counts).clip(lower=0.0)
    if remaining > 0:
        needed_pace = still_needed / remaining
    else:
        needed_pace = still_needed.where(still_needed == 0, np.inf)
    return pd.DataFrame(
        {
            "count": counts,
            "target": targets,
            "pace": pace,
            "projected": projected,
            "shortfall": shortfall,
            "needed_pace": needed_pace,
            "at_risk": projected < targets,
        }
    )
