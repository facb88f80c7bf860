"""Replicate factors per first-stage unit, as R's jk1weights, jknweights,
bootweights and subbootweights (as.svrepdesign)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REPLICATE_TYPES = ("JK1", "JKn", "bootstrap", "subbootstrap")


@dataclass(frozen=True)
class Replicates:
    """Factors (units x replicates) with R's scale and rscales."""

    factors: np.ndarray
    scale: float
    rscales: np.ndarray


def jk1(n_units: int, fraction: float = 1.0) -> Replicates:
    """Delete-one jackknife of an unstratified design; ``fraction`` is (N−n)/N."""
    if n_units < 2:
        raise ValueError("a jackknife needs at least two sampling units")
    if fraction == 0:  # a census: R drops the replicates (no variance)
        return Replicates(np.ones((n_units, 0)), 0.0, np.zeros(0))
    factors = np.full((n_units, n_units), n_units / (n_units - 1))
    np.fill_diagonal(factors, 0.0)
    return Replicates(factors, fraction * (n_units - 1) / n_units, np.ones(n_units))


def jkn(
    unit_stratum: np.ndarray,
    fraction: np.ndarray,
    lonely_psu: str,
    labels: np.ndarray,
) -> Replicates:
    """Stratified delete-one jackknife: one replicate per unit of each stratum.

    ``fraction`` is (N_h − n_h)/N_h per stratum (1 without an fpc). Strata sampled
    completely give no replicate; a stratum with one unit follows ``lonely_psu``
    as R's jknweights does.
    """
    units = len(unit_stratum)
    n_strata = len(fraction)
    columns, rscales = [], []
    for h in range(n_strata):
        members = np.flatnonzero(unit_stratum == h)
        nh = len(members)
        if fraction[h] == 0 or nh == 0:
            continue
        if nh == 1:
            if lonely_psu == "fail":
                raise ValueError(f"Stratum {labels[h]} has only one PSU")
            if lonely_psu == "adjust":
                column = np.full(units, n_strata / (n_strata - 1))
                column[members] = 0.0
                columns.append(column)
                rscales.append((n_strata - 1) / n_strata)
            continue
        for dropped in members:
            column = np.ones(units)
            column[members] = nh / (nh - 1)
            column[dropped] = 0.0
            columns.append(column)
            rscales.append(fraction[h] * (nh - 1) / nh)
    if not columns:
        raise ValueError("every stratum was sampled completely: no variance")
    scale = 1.0
    if len(columns) < units and lonely_psu == "average":
        scale = units / len(columns)
    return Replicates(np.column_stack(columns), scale, np.asarray(rscales))


def bootstrap(
    unit_stratum: np.ndarray,
    population: np.ndarray | None,
    replicates: int,
    rng: np.random.Generator,
    subsample: bool = False,
) -> Replicates:
    """R's bootweights (Canty and Davison's rescaled bootstrap) or, with
    ``subsample``, subbootweights (Rao and Wu's n − 1 bootstrap).

    In each stratum n_h units are drawn with replacement (n_h − 1 when
    ``subsample``; without replacement from the sample repeated up to N_h when a
    population size is known) and a unit's factor is the number of its draws.
    """
    if replicates < 2:
        raise ValueError("a bootstrap needs at least two replicates")
    units = len(unit_stratum)
    factors = np.zeros((units, replicates))
    sizes = np.bincount(unit_stratum)
    for h in np.flatnonzero(sizes):
        members = np.flatnonzero(unit_stratum == h)
        nh = len(members)
        shuffled = members[rng.permutation(nh)]
        for r in range(replicates):
            if subsample:
                if nh < 2:
                    raise ValueError("the n-1 bootstrap needs two units per stratum")
                draws = shuffled[rng.integers(0, nh, nh - 1)]
            elif population is None:
                draws = shuffled[rng.integers(0, nh, nh)]
            else:
                size = int(round(population[h]))
                draws = shuffled[rng.choice(size, nh, replace=False) % nh]
            factors[:, r] += np.bincount(draws, minlength=units)
        if subsample:
            factors[members] *= nh / (nh - 1)
    if subsample:
        return Replicates(factors, 1 / (replicates - 1), np.ones(replicates))
    per_stratum = 1 / np.mean(1 / sizes[sizes > 0])
    scale = per_stratum / ((per_stratum - 1) * (replicates - 1))
    return Replicates(factors, scale, np.ones(replicates))
