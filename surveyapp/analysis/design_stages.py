"""The sampling stages of a design: strata, units and finite-population sizes,
from the columns of a data frame (R svydesign's ids, strata and fpc)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Stage:
    """One sampling stage: units (PSUs or SSUs) drawn within strata."""

    unit: np.ndarray  # per row: unit code 0..U-1
    unit_stratum: np.ndarray  # per unit: stratum code 0..H-1
    n_units: np.ndarray  # per stratum: number of sampled units
    fraction: np.ndarray  # per stratum: finite-population factor (N-n)/N, 1 if none
    multiplier: np.ndarray  # per stratum: R's n1/N1 factor for later stages
    labels: np.ndarray  # per stratum: label used in error messages
    number: int  # 1 or 2


def _population_size(
    values: np.ndarray | None, stratum: np.ndarray, n_units: np.ndarray, name: str
) -> np.ndarray | None:
    """Per-stratum population size N from a per-row fpc column (size or fraction)."""
    if values is None:
        return None
    if np.isnan(values).any():
        raise ValueError(f"fpc column {name!r} has missing values")
    lo = pd.Series(values).groupby(stratum).agg(["min", "max"]).to_numpy()
    if not np.allclose(lo[:, 0], lo[:, 1]):
        raise ValueError(f"fpc column {name!r} is not constant within its strata")
    given = lo[:, 0]
    if np.all(given <= 1):  # R's as.fpc: values <= 1 are sampling fractions
        if np.any(given <= 0):
            raise ValueError(f"fpc column {name!r} has a zero sampling fraction")
        return n_units / given
    if np.any(given < n_units):
        raise ValueError(f"fpc column {name!r} is smaller than the sample size")
    return given


def build_stage(
    stratum: np.ndarray,
    unit: np.ndarray,
    stratum_labels: np.ndarray,
    fpc: np.ndarray | None,
    fpc_name: str,
    number: int,
) -> tuple[Stage, np.ndarray | None]:
    """Build a stage from per-row stratum and unit codes; also return N per stratum."""
    n_strata = len(stratum_labels)
    # Units nest in strata (checked by the design), so any row gives its stratum.
    unit_stratum = np.zeros(int(unit.max()) + 1 if len(unit) else 0, np.int64)
    unit_stratum[unit] = stratum
    n_units = np.bincount(unit_stratum, minlength=n_strata).astype(float)
    pop = _population_size(fpc, stratum, n_units, fpc_name)
    if pop is None:
        fraction = np.ones(n_strata)
    else:
        fraction = np.where(np.isinf(pop), 1.0, (pop - n_units) / pop)
    stage = Stage(
        unit=unit,
        unit_stratum=unit_stratum,
        n_units=n_units,
        fraction=fraction,
        multiplier=np.ones(n_strata),
        labels=stratum_labels,
        number=number,
    )
    return stage, pop


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if values.isna().any():
        raise ValueError(f"design column {values.name!r} has missing values")
    dense = sorted_codes(values.to_numpy())
    if dense is not None:
        return dense
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def sorted_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes 0..K−1 in the sorted order of small non-negative integers (as
    pd.factorize(sort=True) gives), found by marking; None for other values."""
    if values.dtype.kind not in "iu" or not len(values):
        return None
    low, high = int(values.min()), int(values.max())
    if low < 0 or high > 4 * len(values) + 1024:
        return None
    present = np.zeros(high + 1, dtype=bool)
    present[values] = True
    number = np.cumsum(present) - 1
    return number[values].astype(np.int64), np.flatnonzero(present).astype(object)


def _fpc_columns(fpc: str | Sequence[str] | None, stages: int) -> list[str | None]:
    if fpc is None:
        return [None] * stages
    names = [fpc] if isinstance(fpc, str) else list(fpc)
    if len(names) != stages:
        raise ValueError(f"fpc needs {stages} column(s), one per sampling stage")
    return names


def design_stages(
    frame: pd.DataFrame,
    strata: str | None,
    psu: str | None,
    ssu: str | None,
    fpc: str | Sequence[str] | None,
    nest: bool,
) -> tuple[tuple[Stage, ...], np.ndarray | None, np.ndarray | None]:
    """The stages, the first stage's population size per stratum (or None) and
    the weights the fpc implies (or None)."""
    n = len(frame)
    if strata is None:
        strat, strat_labels = np.zeros(n, np.int64), np.array(["1"], dtype=object)
    else:
        strat, strat_labels = _codes(frame[strata])
    if psu is None:
        unit = np.arange(n, dtype=np.int64)
    else:
        psu_values = frame[psu]
        if nest:
            psu_values = pd.Series(
                list(zip(strat, psu_values, strict=True)), dtype=object
            )
        unit = _codes(psu_values)[0]
        first = np.zeros(int(unit.max()) + 1, np.int64)
        first[unit] = strat
        if not np.array_equal(first[unit], strat):
            raise ValueError("PSUs are not nested in strata; pass nest=True")
    fpc_names = _fpc_columns(fpc, 2 if ssu is not None else 1)
    fpc1 = None if fpc_names[0] is None else frame[fpc_names[0]].to_numpy(float)
    stage1, pop1 = build_stage(strat, unit, strat_labels, fpc1, str(fpc_names[0]), 1)
    stages: tuple[Stage, ...] = (stage1,)
    implied = None if pop1 is None else (pop1 / stage1.n_units)[strat]
    if ssu is not None:
        sub = _codes(pd.Series(list(zip(unit, frame[ssu], strict=True)), dtype=object))[
            0
        ]
        if fpc_names[1] is not None:
            fpc2 = frame[fpc_names[1]].to_numpy(float)
            psu_labels = np.asarray(
                pd.Series(frame[psu]).groupby(unit).first(), dtype=object
            )
            stage2, pop2 = build_stage(unit, sub, psu_labels, fpc2, fpc_names[1], 2)
            mult = (stage1.n_units / pop1)[stage1.unit_stratum]
            stage2 = Stage(**{**vars(stage2), "multiplier": mult})
            stages = (stage1, stage2)
            implied = implied * (pop2 / stage2.n_units)[unit]
    return stages, pop1, implied
