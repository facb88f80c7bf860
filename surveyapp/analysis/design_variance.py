"""Taylor-linearisation variance for stratified multistage designs, as R's svyrecvar.

Many linearised variables are handled at once, one column each (one per domain,
say). A calibration step subtracts from every column its projection on a fixed
basis, so the residuals are X − B·K with B fixed and K small (see
``design_residuals``), and the between-unit sums of squares follow from a few
sparse products rather than a pass over the rows for every column.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import sparse

from surveyapp.analysis.design_layout import Grouping, Layout
from surveyapp.analysis.design_residuals import (
    Basis,
    CalibrationStep,
    Indicator,
    Residualiser,
    gram,
)
from surveyapp.analysis.design_stages import Stage

LonelyPSU = Literal["fail", "remove", "adjust", "average", "certainty"]
LONELY_OPTIONS: tuple[str, ...] = ("fail", "remove", "adjust", "average", "certainty")

# R treats a stratum whose sampling fraction is (numerically) one as self-representing.
_SELF_REPRESENTING = 1e-7


class LonelyPSUError(ValueError):
    """A stratum has a single sampling unit and lonely_psu="fail"."""


class _StagePart:
    """What one stage needs for every column: unit sums, weights, lonely strata."""

    def __init__(self, stage: Stage, bases: list[Basis], lonely_psu: str):
        n = len(stage.unit)
        units = len(stage.unit_stratum)
        nh, f, mult = stage.n_units, stage.fraction, stage.multiplier
        self.stage = stage
        self.n_strata = len(nh)
        ok = f >= _SELF_REPRESENTING
        self.lonely = (nh == 1) & ok
        if self.lonely.any() and lonely_psu == "fail":
            names = ", ".join(str(v) for v in stage.labels[self.lonely][:10])
            raise LonelyPSUError(
                f"Stratum ({names}) has only one sampling unit at stage {stage.number};"
                " set lonely_psu to 'remove', 'adjust', 'average' or 'certainty'"
            )
        regular = (nh > 1) & ok
        # Σ_h c_h Σ_u (t_u − t̄_h)² = Σ_u c_h t_u² − Σ_h c_h S_h² / n_h
        self.scale = np.where(regular, f * nh / np.maximum(nh - 1, 1) * mult, 0.0)
        self.unit_scale = self.scale[stage.unit_stratum]
        self.mean_scale = self.scale / nh
        self.adjust = lonely_psu == "adjust" and stage.number == 1 and self.lonely.any()
        self.adjust_scale = np.where(self.lonely, f * mult, 0.0)
        n_ok = int((~self.lonely).sum())
        self.factor = (
            self.n_strata / n_ok
            if lonely_psu == "average" and stage.number == 1 and n_ok > 0
            else 1.0
        )
        self.total_units = float(nh.sum())
        self.units = units
        self.row_stratum = stage.unit_stratum[stage.unit]
        by_unit = Indicator(stage.unit, units, np.ones(n))
        by_stratum = Indicator(self.row_stratum, self.n_strata, np.ones(n))
        width = sum(b.width for b in bases)
        if bases:
            self.basis_sums = sparse.hstack(
                [sparse.csc_matrix(gram(by_unit, b)) for b in bases]
            ).tocsc()
            self.basis_strata = sparse.hstack(
                [sparse.csc_matrix(gram(by_stratum, b)) for b in bases]
            ).tocsr()
        else:
            self.basis_sums = sparse.csc_matrix((units, 0))
            self.basis_strata = sparse.csr_matrix((self.n_strata, 0))
        weighted = (sparse.diags(self.unit_scale) @ self.basis_sums).tocsr()
        self.gram = (self.basis_sums.T @ weighted).tocsr()
        self.weighted_basis = weighted
        self.width = width

    def grouping(self, layout: Layout, number: int) -> Grouping:
        """The layout's entries grouped by this stage's sampling units."""
        unit = self.stage.unit
        return layout.group(("unit", number), lambda rows: unit[rows], self.units)

    def unit_sums(self, layout: Layout, values: list[np.ndarray], number: int):
        """The entries' totals per sampling unit for each vector of values:
        (grouping, pair sums of each, the units x (k·columns) matrix)."""
        grouping = self.grouping(layout, number)
        data = [grouping.sums(v) for v in values]
        blocks = [grouping.matrix(d, layout.size) for d in data]
        matrix = blocks[0] if len(blocks) == 1 else sparse.hstack(blocks).tocsc()
        return grouping, data, matrix

    def stratum_totals(self, grouping, data: list, k: sparse.csr_matrix, size: int):
        """S[h, d]: the column's residual total over stratum h (H x k·D)."""
        sums = [
            grouping.by(self.stage.unit_stratum, self.n_strata, d, size) for d in data
        ]
        return np.hstack(sums) - _dense(self.basis_strata @ k)

    def variances(self, layout: Layout, values: list[np.ndarray], k, number: int):
        """Per column of every vector of values (k·D): the stage's variance."""
        grouping, data, unit_sums = self.unit_sums(layout, values, number)
        scale = self.unit_scale[grouping.code]
        yy = np.concatenate(
            [
                np.bincount(grouping.col, weights=d**2 * scale, minlength=layout.size)
                for d in data
            ]
        )
        cross = (unit_sums.T.tocsr() @ self.weighted_basis).multiply(k.T)
        quad = k.multiply(self.gram @ k).sum(axis=0)
        totals = self.stratum_totals(grouping, data, k, layout.size)
        within = (
            yy - 2 * np.asarray(cross.sum(axis=1)).ravel() + np.asarray(quad).ravel()
        )
        within -= self.mean_scale @ (totals**2)
        if self.adjust:
            centred = totals - totals.sum(axis=0) / self.total_units
            within += self.adjust_scale @ (centred**2)
        return within * self.factor

    def covariances(self, layout: Layout, values: np.ndarray, k, number: int):
        grouping, data, unit_sums = self.unit_sums(layout, [values], number)
        left = unit_sums.T.tocsr()
        yy = _dense(left @ sparse.diags(self.unit_scale) @ unit_sums)
        cross = _dense((left @ self.weighted_basis) @ k)
        quad = _dense(k.T @ (self.gram @ k))
        totals = self.stratum_totals(grouping, data, k, layout.size)
        within = yy - cross - cross.T + quad
        within -= totals.T @ (self.mean_scale[:, None] * totals)
        if self.adjust:
            centred = totals - totals.sum(axis=0) / self.total_units
            within += centred.T @ (self.adjust_scale[:, None] * centred)
        return within * self.factor


def _dense(matrix: sparse.spmatrix | np.ndarray) -> np.ndarray:
    return matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)


class VarianceEngine:
    """Design variances of the totals of many linearised variables (R svyrecvar)."""

    def __init__(
        self,
        stages: tuple[Stage, ...],
        steps: tuple[CalibrationStep, ...],
        lonely_psu: str,
    ) -> None:
        n = len(stages[0].unit)
        self.stages = stages
        self.residuals = Residualiser(steps, n)
        self.parts = [
            _StagePart(stage, self.residuals.bases, lonely_psu) for stage in stages
        ]
        # Very many domains are done in chunks, to bound the memory per call.
        self.chunk = 50_000

    def layouts(self, codes: np.ndarray, size: int) -> list[tuple[int, Layout]]:
        """Domain layouts in chunks of columns: (first column, layout)."""
        if size <= self.chunk:
            return [(0, Layout.of_domains(codes, size))]
        out = []
        for start in range(0, size, self.chunk):
            stop = min(size, start + self.chunk)
            inside = (codes >= start) & (codes < stop)
            part = np.where(inside, codes - start, -1)
            out.append((start, Layout.of_domains(part, stop - start)))
        return out

    def variances(
        self, layouts: list[tuple[int, Layout]], values: np.ndarray | list[np.ndarray]
    ) -> np.ndarray:
        """Variance of each column's total for one vector of values per row (an
        array of columns) or several (a k x columns array)."""
        many = isinstance(values, list)
        vectors = values if many else [values]
        total = sum(layout.size for _start, layout in layouts)
        out = np.empty((len(vectors), total))
        for start, layout in layouts:
            v = [x[layout.rows] for x in vectors]
            k = self.residuals.coefficients(layout, v)
            part = sum(p.variances(layout, v, k, s) for s, p in enumerate(self.parts))
            out[:, start : start + layout.size] = part.reshape(len(v), layout.size)
        out = np.maximum(out, 0.0)
        return out if many else out[0]

    def covariances(self, layout: Layout, values: np.ndarray) -> np.ndarray:
        """The covariance matrix of the columns' totals; one value per entry."""
        k = self.residuals.coefficients(layout, [values])
        return sum(
            p.covariances(layout, values, k, s) for s, p in enumerate(self.parts)
        )

    def units_with(
        self, layout: Layout, flags: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per column: how many first-stage units and strata hold a flagged entry."""
        part = self.parts[0]
        grouping = part.grouping(layout, 0)
        hit = grouping.sums(flags.astype(float)) > 0
        units = np.bincount(grouping.col[hit], minlength=layout.size)
        strata = part.n_strata
        key = np.unique(
            grouping.col[hit] * strata + part.stage.unit_stratum[grouping.code[hit]]
        )
        return units, np.bincount(key // strata, minlength=layout.size)
