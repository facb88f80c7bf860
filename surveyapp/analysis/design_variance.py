"""Taylor-linearisation variance for stratified multistage designs, as R svyrecvar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

LonelyPSU = Literal["fail", "remove", "adjust", "average", "certainty"]
LONELY_OPTIONS: tuple[str, ...] = ("fail", "remove", "adjust", "average", "certainty")

# R treats a stratum whose sampling fraction is (numerically) one as self-representing.
_SELF_REPRESENTING = 1e-7


class LonelyPSUError(ValueError):
    """A stratum has a single sampling unit and lonely_psu="fail"."""


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


@dataclass(frozen=True)
class CalibrationStep:
    """One post-stratification (one margin) or a raking (several margins)."""

    kind: Literal["post", "rake"]
    codes: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    new_weights: tuple[np.ndarray, ...]
    old_weights: np.ndarray | None = None


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
    first = np.unique(unit, return_index=True)[1]
    unit_stratum = stratum[first]
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


def stage_variance(x: np.ndarray, stage: Stage, lonely_psu: str) -> float:
    """Between-unit variance of the linearised variable x at one stage."""
    totals = np.bincount(stage.unit, weights=x, minlength=len(stage.unit_stratum))
    n_strata = len(stage.n_units)
    s = stage.unit_stratum
    mean = np.bincount(s, weights=totals, minlength=n_strata) / stage.n_units
    ss = np.bincount(s, weights=(totals - mean[s]) ** 2, minlength=n_strata)
    nh = stage.n_units
    f = stage.fraction
    scale = np.where(nh > 1, f * nh / np.maximum(nh - 1, 1), f)
    contrib = scale * ss
    contrib[f < _SELF_REPRESENTING] = 0.0
    lonely = (nh == 1) & (f >= _SELF_REPRESENTING)
    if lonely.any():
        if lonely_psu == "fail":
            names = ", ".join(str(v) for v in stage.labels[lonely][:10])
            raise LonelyPSUError(
                f"Stratum ({names}) has only one sampling unit at stage {stage.number};"
                " set lonely_psu to 'remove', 'adjust', 'average' or 'certainty'"
            )
        if lonely_psu == "adjust" and stage.number == 1:
            # Centre the lonely unit on the mean unit total over all units (R >= 4.2).
            center = x.sum() / nh.sum()
            unit_idx = np.flatnonzero(lonely[s])
            contrib[s[unit_idx]] = f[s[unit_idx]] * (totals[unit_idx] - center) ** 2
        elif lonely_psu == "average":
            contrib[lonely] = 0.0
            n_ok = int((~lonely).sum()) if stage.number == 1 else 0
            if stage.number == 1 and n_ok > 0:
                return float((contrib * stage.multiplier).sum() * n_strata / n_ok)
        else:
            contrib[lonely] = 0.0
    return float((contrib * stage.multiplier).sum())


def residualise(x: np.ndarray, steps: tuple[CalibrationStep, ...]) -> np.ndarray:
    """Residuals of x after the calibration steps, exactly as R's svyrecvar does."""
    for step in steps:
        if step.kind == "post":
            codes, size, psw = step.codes[0], step.sizes[0], step.new_weights[0]
            oldw = step.old_weights
            num = np.bincount(codes, weights=x * oldw / psw, minlength=size)
            den = np.bincount(codes, weights=oldw, minlength=size)
            x = x - psw * (num / den)[codes]
        else:
            counts = [
                np.bincount(c, minlength=k)
                for c, k in zip(step.codes, step.sizes, strict=True)
            ]
            # R backfits the raking margins a fixed ten times (svyrecvar).
            for _ in range(10):
                for codes, size, psw, n in zip(
                    step.codes, step.sizes, step.new_weights, counts, strict=True
                ):
                    means = np.bincount(codes, weights=x / psw, minlength=size) / n
                    x = x - psw * means[codes]
    return x
