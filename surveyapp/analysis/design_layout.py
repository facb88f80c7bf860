"""Where the values of many linearised variables go: entries (row, column) and
their groupings by sampling unit or calibration cell, computed once and reused.

A column is one domain (or the whole sample); each entry is one row's value in
one column. Summing the entries over the (code, column) pairs of a grouping is a
single bincount, which is what makes R's per-domain sweeps cheap for all domains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse


@dataclass(frozen=True)
class Grouping:
    """The (code, column) pairs holding the entries, sorted by column then code."""

    inverse: np.ndarray  # per entry: its pair
    code: np.ndarray  # per pair
    col: np.ndarray  # per pair
    indptr: np.ndarray  # per column: first pair (size + 1)
    count: int  # number of codes

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Per pair: the sum of the entries' values."""
        return np.bincount(self.inverse, weights=values, minlength=len(self.code))

    def matrix(self, data: np.ndarray, size: int) -> sparse.csc_matrix:
        """The pair sums as a (codes x columns) matrix."""
        return sparse.csc_matrix(
            (data, self.code, self.indptr), shape=(self.count, size)
        )

    def by(self, label: np.ndarray, labels: int, data: np.ndarray, size: int):
        """The pair sums regrouped by label[code] (labels x columns, dense)."""
        key = self.col * labels + label[self.code]
        flat = np.bincount(key, weights=data, minlength=size * labels)
        return flat.reshape(size, labels).T


# Up to this many possible (code, column) pairs, pairs are found by marking.
_MARK_LIMIT = 4_000_000


class Layout:
    """Entries of many columns: row ``rows[e]`` of column ``cols[e]``."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray, size: int) -> None:
        self.rows = rows
        self.cols = cols
        self.size = size
        self._groups: dict = {}
        self._parts: tuple[Layout, Layout] | None = None
        self.cache: dict = {}  # results that depend on the layout only

    @classmethod
    def of_domains(cls, codes: np.ndarray, size: int) -> Layout:
        """Each row in the column of its domain (code −1: in none)."""
        rows = np.flatnonzero(codes >= 0)
        return cls(rows, codes[rows], size)

    @classmethod
    def stack(cls, first: Layout, second: Layout) -> Layout:
        """The columns of ``first`` followed by those of ``second``."""
        new = cls(
            np.concatenate([first.rows, second.rows]),
            np.concatenate([first.cols, second.cols + first.size]),
            first.size + second.size,
        )
        new._parts = (first, second)
        return new

    def group(
        self, key: object, codes: Callable[[np.ndarray], np.ndarray], count: int
    ) -> Grouping:
        """The grouping of the entries by ``codes(rows)`` (cached under ``key``)."""
        found = self._groups.get(key)
        if found is None:
            found = self._groups[key] = self._build(key, codes, count)
        return found

    def _build(self, key, codes, count: int) -> Grouping:
        if self._parts is not None:
            first, second = (p.group(key, codes, count) for p in self._parts)
            offset = len(first.code)
            return Grouping(
                np.concatenate([first.inverse, second.inverse + offset]),
                np.concatenate([first.code, second.code]),
                np.concatenate([first.col, second.col + self._parts[0].size]),
                np.concatenate([first.indptr[:-1], second.indptr + offset]),
                count,
            )
        code = np.asarray(codes(self.rows), dtype=np.int64)
        if self.size == 1:
            # One column: the pairs are the codes themselves.
            return Grouping(
                code,
                np.arange(count),
                np.zeros(count, np.int64),
                np.array([0, count]),
                count,
            )
        nested = _nested(code, self.cols, count, self.size)
        if nested is not None:
            return nested
        key = self.cols.astype(np.int64) * count + code
        span = self.size * count
        if span <= _MARK_LIMIT:
            # Few possible pairs: mark the ones present, number them in order.
            present = np.zeros(span, dtype=bool)
            present[key] = True
            unique = np.flatnonzero(present)
            number = np.cumsum(present, dtype=np.int64) - 1
            inverse = number[key]
        else:
            pair, unique = pd.factorize(key)
            order = np.argsort(unique, kind="stable")
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            unique, inverse = unique[order], rank[pair]
        col = unique // count
        indptr = np.searchsorted(col, np.arange(self.size + 1))
        return Grouping(inverse, unique % count, col, indptr, count)


def _nested(
    code: np.ndarray, cols: np.ndarray, count: int, size: int
) -> Grouping | None:
    """The grouping when every code lies in one column only (sampling units inside
    domains, as clusters inside halls): the pairs are the codes. None otherwise."""
    column = np.full(count, -1, dtype=np.int64)
    column[code] = cols
    if not np.array_equal(column[code], cols):
        return None
    present = np.flatnonzero(column >= 0)
    order = np.argsort(column[present], kind="stable")
    codes = present[order]
    rank = np.empty(count, dtype=np.int64)
    rank[codes] = np.arange(len(codes))
    col = column[codes]
    indptr = np.searchsorted(col, np.arange(size + 1))
    return Grouping(rank[code], codes, col, indptr, count)
