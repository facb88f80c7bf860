"""Chinese tokenisation with a government-service user dictionary and stop words."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from importlib.util import find_spec
from typing import Literal

import jieba

Backend = Literal["jieba", "rjieba"]

# Backend choice, measured on the 456 raw messages of the complaints dev set
# (benchmarks/complaints.py records the figures): rjieba 0.2.2 has no
# load_userdict but takes the user dictionary word by word through add_word, and
# keeps runs such as "0000-00000000" or "2016.7.21" whole where jieba splits them.
# With those runs re-split by jieba's own rule (_JIEBA_SKIP) the two backends give
# identical tokens on 455 of 456 messages (the other differs in one HMM-guessed
# word) and rjieba cuts ~2.2M chars/s against jieba's ~0.29M on this machine, with
# a 0.16 s dictionary load against 0.7 s. So rjieba is the default and jieba --
# the reference the training corpus was cut with -- the fallback.
# find_spec, not import: importing rjieba already builds its dictionary.
DEFAULT_BACKEND: Backend = "rjieba" if find_spec("rjieba") else "jieba"

_DATA = resources.files(__package__) / "data"
# A token is kept when it holds at least one letter, digit or CJK character:
# punctuation, whitespace and symbols are dropped.
_WORDLIKE = re.compile(r"\w")
# jieba's split of non-Han runs (jieba.finalseg re_skip): "12.5%" stays, "a-b" splits.
_JIEBA_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_HAN = re.compile(r"[\u4e00-\u9fd5]")
_lock = threading.Lock()
_ready: set[str] = set()


def _read_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a data file in this package."""
    text = (_DATA / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and ln[0] != "#"]


@cache
def user_words() -> tuple[str, ...]:
    """Terms of the user dictionary (data/userdict.txt)."""
    return tuple(ln.split()[0] for ln in _read_lines("userdict.txt"))


@cache
def stop_words() -> frozenset[str]:
    """Stop words (data/stopwords.txt)."""
    return frozenset(_read_lines("stopwords.txt"))


def _ensure_ready(backend: Backend) -> None:
    """Load the dictionary of a backend once per process (thread-safe)."""
    if backend in _ready:
        return
    with _lock:
        if backend in _ready:
            return
        if backend == "jieba":
            jieba.setLogLevel(60)  # silence the "Building prefix dict" chatter
            jieba.initialize()
            for word in user_words():
                jieba.add_word(word)
        else:
            import rjieba

            for word in user_words():
                rjieba.add_word(word, None, None)
        stop_words()
        _ready.add(backend)


def warm_up(backend: Backend = DEFAULT_BACKEND) -> None:
    """Load dictionary and stop words now, e.g. in the gunicorn master before fork."""
    _ensure_ready(backend)


def _rjieba_cut(text: str) -> list[str]:
    """rjieba's cut with non-Han runs re-split the way jieba splits them."""
    import rjieba

    out: list[str] = []
    for tok in rjieba.cut(text):
        if len(tok) > 1 and not tok.isalnum() and not _HAN.search(tok):
            out.extend(part for part in _JIEBA_SKIP.split(tok) if part)
        else:
            out.append(tok)
    return out


def _cutter(backend: Backend) -> Callable[[str], list[str]]:
    _ensure_ready(backend)
    return jieba.lcut if backend == "jieba" else _rjieba_cut


def tokenize(text: str, backend: Backend = DEFAULT_BACKEND) -> list[str]:
    """Cut raw text into words, dropping punctuation, whitespace and stop words."""
    stops = stop_words()
    return [
        tok
        for tok in _cutter(backend)(text)
        if _WORDLIKE.search(tok) and tok not in stops
    ]


def split_tokens(text: str) -> list[str]:
    """Tokens of text that is already tokenised (words separated by whitespace)."""
    return text.split()


def normalize(text: str, backend: Backend = DEFAULT_BACKEND) -> str:
    """Raw text as space-joined tokens: the form the classifier's features read."""
    return " ".join(tokenize(text, backend))


def normalize_many(texts: Iterable[str], *, pretokenized: bool = False) -> list[str]:
    """Space-joined tokens for many texts; pretokenized input is only re-spaced."""
    if pretokenized:
        return [" ".join(split_tokens(t)) for t in texts]
    return [normalize(t) for t in texts]


def word_features(text: str) -> list[str]:
    """Tokens of space-joined text plus the search-mode sub-words of long tokens.

    Sub-words bridge segmentation differences between corpora: a user-dictionary
    term such as 住房公积金 also yields 住房 and 公积金, which is how a corpus cut
    without that dictionary spells it.
    """
    cut = _search_cutter()
    out: list[str] = []
    for tok in text.split():
        out.append(tok)
        if len(tok) >= 3:
            out.extend(s for s in cut(tok) if s != tok and len(s) > 1)
    return out


# Leading tokens counted twice by lead_weighted_features: the median title length
# in tokens of the dev messages (8; quartiles 7 and 10), measured on their titles
# alone. A message's title comes first (title + body, as the corpus was cut and as
# texts_from_frame joins them) and says in a few words what the body rambles about.
LEAD_TOKENS = 8


def lead_weighted_features(text: str) -> list[str]:
    """word_features of space-joined text with its first LEAD_TOKENS tokens twice.

    The training corpus has no title boundary, so the title is approximated by the
    leading tokens, the same way for training and raw text. Complaints corpus,
    uncalibrated LinearSVC, 5-fold CV on train with near-duplicates kept in one
    fold (3 seeds): macro-F1 0.920 without, 0.922-0.924 for 5 to 12 leading
    tokens; calibrated model on the raw dev set: 0.858 -> 0.866.
    """
    tokens = text.split()
    head = word_features(" ".join(tokens[:LEAD_TOKENS]))  # cut once, counted twice
    return head + head + word_features(" ".join(tokens[LEAD_TOKENS:]))


def _search_cutter() -> Callable[[str], list[str]]:
    _ensure_ready(DEFAULT_BACKEND)
    if DEFAULT_BACKEND == "jieba":
        return jieba.lcut_for_search
    import rjieba

    return rjieba.cut_for_search
