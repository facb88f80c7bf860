"""Near-duplicate detection for free-text survey comments (pasted campaigns)."""

# Comments are normalised, exact duplicates collapsed to one text (stock praise
# can repeat thousands of times, and an all-pairs product over copies would be
# quadratic), then distinct texts are compared by character n-gram Jaccard
# from a sparse product in row chunks. Counts of partners are taken per
# response, directly (never through chains of similar texts).

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import HashingVectorizer

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class TextMatches:
    """Near-duplicate structure of a batch of comments.

    ``text_id`` maps each comment to its distinct normalised text (-1 when
    shorter than the minimum); ``first``/``second``/``jaccard`` list the
    distinct-text pairs at or above the similarity; ``length`` is each
    comment's normalised length.
    """

    text_id: np.ndarray
    first: np.ndarray
    second: np.ndarray
    jaccard: np.ndarray
    length: np.ndarray


def normalise_text(text: str) -> str:
    """NFKC, lower case, letters and digits only (spaces/punctuation dropped)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if ch.isalnum())


def match_texts(
    comments: Sequence[str | None],
    ngram: tuple[int, int] = (3, 5),
    similarity: float = 0.6,
    min_chars: int = 8,
    chunk: int = 2048,
) -> TextMatches:
    """Find near-duplicate comments by character ``ngram`` shingle Jaccard."""
    texts = [normalise_text(c) if isinstance(c, str) else "" for c in comments]
    length = np.array([len(t) for t in texts], dtype=np.int64)
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object))
    text_id = np.where(length >= min_chars, codes, -1).astype(np.int64)
    kept = np.unique(text_id[text_id >= 0])
    if kept.size < 2:
        return TextMatches(text_id, _EMPTY, _EMPTY, np.zeros(0), length)
    vectoriser = HashingVectorizer(
        analyzer="char",
        ngram_range=ngram,
        n_features=2**22,
        alternate_sign=False,
        norm=None,
        binary=True,
        lowercase=False,
    )
    shingles = vectoriser.transform([uniques[k] for k in kept]).tocsr()
    shingles.data[:] = 1.0
    sizes = np.asarray(shingles.sum(axis=1)).ravel()
    transposed = shingles.T.tocsc()
    rows, cols, sims = [_EMPTY], [_EMPTY], [np.zeros(0)]
    for lo in range(0, kept.size, chunk):
        inter = (shingles[lo : lo + chunk] @ transposed).tocoo()
        r, c = inter.row.astype(np.int64) + lo, inter.col.astype(np.int64)
        keep = r < c
        r, c, v = r[keep], c[keep], inter.data[keep]
        jac = v / (sizes[r] + sizes[c] - v)
        hit = jac >= similarity
        rows.append(kept[r[hit]])
        cols.append(kept[c[hit]])
        sims.append(jac[hit])
    return TextMatches(
        text_id,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(sims),
        length,
    )


def best_similarity(matches: TextMatches) -> np.ndarray:
    """Highest Jaccard to another response's comment (1.0 for exact copies)."""
    tid = matches.text_id
    size = np.bincount(tid[tid >= 0], minlength=1)
    best_text = np.zeros(max(size.size, 1))
    np.maximum.at(best_text, matches.first, matches.jaccard)
    np.maximum.at(best_text, matches.second, matches.jaccard)
    best_text[size > 1] = 1.0
    return np.where(tid >= 0, best_text[np.maximum(tid, 0)], 0.0)


def partner_counts(
    matches: TextMatches,
    group: pd.Series | None = None,
    submitted_s: np.ndarray | None = None,
    window_s: float | None = None,
) -> np.ndarray:
    """Other responses whose comment is a near or exact duplicate, optionally
    only those in the same ``group`` (window, hall) within ±``window_s``."""
    tid = matches.text_id
    n = tid.size
    out = np.zeros(n, dtype=np.int64)
    valid = np.flatnonzero(tid >= 0)
    if valid.size == 0:
        return out
    if group is None:
        g = np.zeros(n, dtype=np.int64)
    else:
        g = pd.factorize(pd.Series(group).astype(str).reset_index(drop=True))[0]
    timed = submitted_s is not None and window_s is not None
    t = np.asarray(submitted_s, dtype=np.int64) if timed else np.zeros(n, np.int64)
    w = int(window_s) if timed else 0
    t = t - t[valid].min()
    n_groups = int(g.max()) + 1
    span = int(t[valid].max()) + 2 * w + 1
    composite = np.sort((tid[valid] * n_groups + g[valid]) * span + t[valid])

    def count(target: np.ndarray, member: np.ndarray) -> np.ndarray:
        centre = (target * n_groups + g[member]) * span + t[member]
        lo = np.searchsorted(composite, centre - w, side="left")
        hi = np.searchsorted(composite, centre + w, side="right")
        return hi - lo

    out[valid] = count(tid[valid], valid) - 1  # exact copies, minus itself
    # members of each text, to expand distinct-text pairs to responses
    order = valid[np.argsort(tid[valid], kind="stable")]
    starts = np.searchsorted(tid[order], np.arange(int(tid.max()) + 2))
    for source, target in (
        (matches.first, matches.second),
        (matches.second, matches.first),
    ):
        if source.size == 0:
            continue
        sizes = starts[source + 1] - starts[source]
        pair = np.repeat(np.arange(source.size), sizes)
        offset = np.arange(pair.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        member = order[starts[source][pair] + offset]
        np.add.at(out, member, count(target[pair], member))
    return out
