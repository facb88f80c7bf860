"""Topic keywords per group of texts with jieba.analyse (TF-IDF or TextRank)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import jieba.analyse

from surveyapp.analysis.text.tokenize import stop_words, warm_up

Method = Literal["tfidf", "textrank"]


def _extractor(method: Method) -> jieba.analyse.TFIDF | jieba.analyse.TextRank:
    # Own instances, so our stop words do not leak into jieba's module defaults.
    extractor = jieba.analyse.TFIDF() if method == "tfidf" else jieba.analyse.TextRank()
    extractor.stop_words = set(extractor.stop_words) | stop_words()
    return extractor


def top_keywords(
    texts: Sequence[str],
    k: int = 10,
    *,
    groups: Sequence[str] | None = None,
    method: Method = "tfidf",
) -> dict[str, list[tuple[str, float]]]:
    """The k heaviest keywords (word, weight) of each group's texts, heaviest first.

    Without groups every text falls in one group named "all". Groups come out in
    order of first appearance.
    """
    if groups is not None and len(groups) != len(texts):
        raise ValueError("groups must have one entry per text")
    warm_up("jieba")  # jieba.analyse cuts with jieba's tokenizer + our user words
    keys = list(groups) if groups is not None else ["all"] * len(texts)
    joined: dict[str, list[str]] = {}
    for key, text in zip(keys, texts, strict=True):
        joined.setdefault(str(key), []).append(text)
    extractor = _extractor(method)
    return {
        key: [
            (word, float(weight))
            for word, weight in extractor.extract_tags(
                "\n".join(parts), topK=k, withWeight=True
            )
        ]
        for key, parts in joined.items()
    }
