"""Residuals of linearised variables after calibration, exactly as R's svyrecvar.

Each calibration step replaces a variable x by x − B·k(x): post-stratification
subtracts cell means of x·w_old/w_new scaled by w_new, raking backfits its margins
ten times, and GREG calibration (``calibrate``) takes the residual of a weighted
least-squares fit on the model matrix. B is fixed by the design and k(x) is linear
in x, so for many columns X at once the residual is X − B·K with K computed from
a few sums of X per cell: the "sweeps" are a linear projection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from surveyapp.analysis.design_layout import Layout


@dataclass(frozen=True)
class PostStep:
    """Post-stratification: cell of each row, new and old weights."""

    codes: np.ndarray
    size: int
    new_weights: np.ndarray
    old_weights: np.ndarray


@dataclass(frozen=True)
class RakeStep:
    """Raking: for each margin the cell of each row and the last sweep's weights."""

    codes: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    new_weights: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class GregStep:
    """Calibration (R calibrate): orthonormal Q of qr(X·√w_old) and w = g·√w_old."""

    q: np.ndarray
    w: np.ndarray


CalibrationStep = PostStep | RakeStep | GregStep

# R's svyrecvar backfits the raking margins a fixed ten times.
RAKE_BACKFITS = 10


# Dense results up to this many entries; sparse beyond.
DENSE_LIMIT = 4_000_000


@dataclass(frozen=True)
class Indicator:
    """An n x size matrix with values[i] in column codes[i] of row i."""

    codes: np.ndarray
    size: int
    values: np.ndarray

    @property
    def width(self) -> int:
        return self.size


@dataclass(frozen=True)
class Dense:
    """An n x p matrix held as it is."""

    matrix: np.ndarray

    @property
    def width(self) -> int:
        return self.matrix.shape[1]


Basis = Indicator | Dense


def aggregate(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> np.ndarray | sparse.csc_matrix:
    """Sum values into a (rows x cols) matrix: dense when small, sparse otherwise."""
    if shape[0] * shape[1] <= DENSE_LIMIT:
        size = shape[0] * shape[1]
        flat = np.bincount(rows * shape[1] + cols, weights=values, minlength=size)
        return flat.reshape(shape)
    return sparse.csc_matrix((values, (rows, cols)), shape=shape)


def gram(a: Basis, b: Basis) -> np.ndarray | sparse.csc_matrix:
    """a' b for two bases with the same rows."""
    if isinstance(a, Indicator) and isinstance(b, Indicator):
        return aggregate(a.codes, b.codes, a.values * b.values, (a.size, b.size))
    if isinstance(a, Indicator):
        return np.column_stack(
            [
                np.bincount(a.codes, weights=a.values * col, minlength=a.size)
                for col in b.matrix.T
            ]
        ).reshape(a.size, b.width)
    if isinstance(b, Indicator):
        return np.asarray(gram(b, a)).T
    return a.matrix.T @ b.matrix


def column_sums(
    op_key: object, a: Basis, layout: Layout, values: list[np.ndarray]
) -> sparse.csr_matrix:
    """a' x (C x k·columns) for x given by a layout's entries and k vectors of
    their values, side by side."""
    size = layout.size
    if isinstance(a, Dense):
        block = a.matrix[layout.rows]
        return sparse.csr_matrix(
            np.hstack(
                [
                    np.stack(
                        [
                            np.bincount(layout.cols, weights=v * q, minlength=size)
                            for q in block.T
                        ]
                    ).reshape(a.width, size)
                    for v in values
                ]
            )
        )
    grouping = layout.group(op_key, lambda rows: a.codes[rows], a.size)
    scale = a.values[layout.rows]
    blocks = [grouping.matrix(grouping.sums(scale * v), size) for v in values]
    return (blocks[0] if len(blocks) == 1 else sparse.hstack(blocks)).tocsr()


def _dense(m: np.ndarray | sparse.spmatrix) -> np.ndarray:
    return m.toarray() if sparse.issparse(m) else m


def _inverse(w: np.ndarray) -> np.ndarray:
    return np.divide(1.0, w, out=np.zeros(len(w)), where=w != 0)


@dataclass
class _Operator:
    """One sweep: k = (sums' X − cross · K) / divisor, residual basis ``basis``."""

    sums: Basis  # n x C: the sweep sums sums' x
    basis: Basis  # n x C
    divisor: np.ndarray | None
    start: int = 0
    cross: list[sparse.csr_matrix] | None = None  # sums' B_j for every operator j

    @property
    def width(self) -> int:
        return self.basis.width


def _post(step: PostStep) -> _Operator:
    new, old = step.new_weights.copy(), step.old_weights
    # R: rows with no weight before or after keep weight 1 in the adjustment.
    new[(new == 0) & (old == 0)] = 1.0
    return _Operator(
        sums=Indicator(step.codes, step.size, old * _inverse(new)),
        basis=Indicator(step.codes, step.size, new),
        divisor=np.bincount(step.codes, weights=old, minlength=step.size),
    )


def _margins(step: RakeStep) -> list[_Operator]:
    return [
        _Operator(
            sums=Indicator(codes, size, _inverse(w)),
            basis=Indicator(codes, size, w),
            divisor=np.bincount(codes, minlength=size).astype(float),
        )
        for codes, size, w in zip(step.codes, step.sizes, step.new_weights, strict=True)
    ]


def _greg(step: GregStep) -> _Operator:
    q, w = step.q, step.w
    return _Operator(
        sums=Dense(q * _inverse(w)[:, None]),
        basis=Dense(q * w[:, None]),
        divisor=None,
    )


class Residualiser:
    """r(X) = X − B·K for a chain of calibration steps."""

    def __init__(self, steps: tuple[CalibrationStep, ...], n: int) -> None:
        self.schedule: list[tuple[str, list[_Operator]]] = []
        operators: list[_Operator] = []
        for step in steps:
            if isinstance(step, PostStep):
                ops, kind = [_post(step)], "once"
            elif isinstance(step, RakeStep):
                ops, kind = _margins(step), "backfit"
            else:
                ops, kind = [_greg(step)], "once"
            self.schedule.append((kind, ops))
            operators.extend(ops)
        start = 0
        for op in operators:
            op.start = start
            start += op.width
        self.width = start
        self.operators = operators
        self.bases = [op.basis for op in operators]
        for op in operators:
            op.cross = [sparse.csr_matrix(gram(op.sums, basis)) for basis in self.bases]

    def coefficients(
        self, layout: Layout, values: list[np.ndarray]
    ) -> sparse.csr_matrix:
        """K (basis columns x k·columns, sparse) such that the residuals are
        x − B·K, for x given by the layout's entries and k vectors of their values.

        A post-stratum's coefficients are non-zero only for the columns with rows
        in it, so K is kept sparse.
        """
        size = layout.size * len(values)
        if not self.operators:
            return sparse.csr_matrix((0, size))
        k: list[sparse.csr_matrix | None] = [None] * len(self.operators)
        index = {id(op): i for i, op in enumerate(self.operators)}
        for kind, ops in self.schedule:
            sums = [
                column_sums(("cell", id(op)), op.sums, layout, values) for op in ops
            ]
            rounds = RAKE_BACKFITS if kind == "backfit" else 1
            for _ in range(rounds):
                for op, s in zip(ops, sums, strict=True):
                    step = s
                    for cross, kj in zip(op.cross, k, strict=True):
                        if kj is not None and cross.nnz:
                            step = step - cross @ kj
                    if op.divisor is not None:
                        scale = 1 / np.where(op.divisor > 0, op.divisor, 1.0)
                        step = sparse.diags(scale) @ step
                    i = index[id(op)]
                    k[i] = step.tocsr() if k[i] is None else (k[i] + step).tocsr()
        return sparse.vstack(k).tocsr()
