"""Complaint classifier: TF-IDF features and a calibrated linear SVM, any label set."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from surveyapp.analysis.text.abstention import choose_threshold
from surveyapp.analysis.text.tokenize import lead_weighted_features, normalize_many


class TokenNormalizer(TransformerMixin, BaseEstimator):
    """Pipeline step: raw text (or whitespace-tokenised text) to space-joined tokens."""

    def __init__(self, pretokenized: bool = False) -> None:
        self.pretokenized = pretokenized

    def fit(self, texts: Sequence[str], y: object = None) -> TokenNormalizer:
        return self

    def transform(self, texts: Sequence[str]) -> list[str]:
        return normalize_many(texts, pretokenized=self.pretokenized)


@dataclass
class TrainedModel:
    """A fitted pipeline (raw text in) with its label set, threshold and card."""

    pipeline: Pipeline
    labels: tuple[str, ...]
    threshold: float
    card: dict = field(default_factory=dict)


def build_pipeline(
    *, c: float = 1.0, char_ngrams: bool = False, calibration_folds: int = 3
) -> Pipeline:
    """Unfitted pipeline: tokens -> word (+ char) TF-IDF -> calibrated LinearSVC.

    Measured on the complaints corpus (benchmarks/complaints.py): words with their
    search-mode sub-words score as well as words + char_wb 1-3 grams (dev macro-F1
    0.86 both, CV 0.92) and train six times faster, so char n-grams are opt-in;
    they help on short texts (seed set CV macro-F1 0.68 -> 0.76). The leading
    tokens (the title) count twice: see tokenize.lead_weighted_features.
    """
    words = TfidfVectorizer(analyzer=lead_weighted_features, sublinear_tf=True)
    features: TfidfVectorizer | FeatureUnion = words
    if char_ngrams:
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2
        )
        features = FeatureUnion([("words", words), ("chars", chars)])
    # ensemble=False: one SVM fitted on all data plus one sigmoid calibrator fitted
    # on its cross-validated scores. Against the 3-SVM ensemble it scored dev
    # macro-F1 0.858 vs 0.853 (CV 0.924 vs 0.920) and predicts faster.
    classifier = CalibratedClassifierCV(
        LinearSVC(C=c), cv=calibration_folds, ensemble=False
    )
    return Pipeline(
        [
            ("tokens", TokenNormalizer()),
            ("features", features),
            ("classifier", classifier),
        ]
    )


def texts_from_frame(frame: pd.DataFrame) -> list[str]:
    """Texts of a labeled frame: column text, or title and text joined by a newline."""
    text = frame["text"].fillna("").astype(str)
    if "title" in frame.columns:
        text = frame["title"].fillna("").astype(str) + "\n" + text
    return text.tolist()


def data_fingerprint(texts: Sequence[str], labels: Sequence[str]) -> dict:
    """sha256 and size of a labeled training set, independent of its file format."""
    digest = hashlib.sha256()
    chars = 0
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{label}\t{text}\n".encode())
        chars += len(text)
    return {"sha256": digest.hexdigest(), "rows": len(texts), "characters": chars}


def per_class_report(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support, confusion matrix."""
    labels = list(labels)
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ),
        "per_class": {
            lab: {
                "precision": float(p[i]),
                "recall": float(r[i]),
                "f1": float(f[i]),
                "support": int(s[i]),
            }
            for i, lab in enumerate(labels)
        },
        "confusion": {
            "labels": labels,
            "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
    }


def _calibration_folds(y: np.ndarray, cv: int) -> int:
    """Calibration folds (at most 3) that the rarest label can fill in every CV fold."""
    rarest = int(np.unique(y, return_counts=True)[1].min())
    in_fold = rarest - math.ceil(rarest / cv) if cv else rarest
    if in_fold < 2:
        raise ValueError(
            f"the rarest label has {rarest} examples: too few to calibrate"
            + (f" inside {cv}-fold cross-validation" if cv else "")
        )
    return min(3, in_fold)


def _description_rows(
    descriptions: Mapping[str, Sequence[str]] | None, known: set[str]
) -> tuple[list[str], np.ndarray]:
    """Texts and labels of label descriptions; every label must be a known one."""
    if not descriptions:
        return [], np.asarray([], dtype=object)
    unknown = sorted(set(map(str, descriptions)) - known)
    if unknown:
        raise ValueError(f"descriptions of labels absent from the data: {unknown}")
    rows = [(str(t), str(lab)) for lab, ts in descriptions.items() for t in ts]
    return [t for t, _ in rows], np.asarray([lab for _, lab in rows], dtype=object)


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    cv: int = 5,
    pretokenized: bool = False,
    c: float = 1.0,
    char_ngrams: bool = False,
    target_accuracy: float = 0.97,
    random_state: int = 0,
    descriptions: Mapping[str, Sequence[str]] | None = None,
) -> TrainedModel:
    """Fit on labeled texts; cross-validate for the card and the abstention threshold.

    pretokenized=True reads texts as whitespace-separated tokens (a corpus already
    cut by jieba); the fitted model still takes raw text. cv=0 skips the
    cross-validation (no metrics; threshold 0). The folds refit the classifier
    only: the TF-IDF vocabulary is fitted once on all texts, which uses no labels
    and is slightly optimistic. Needs at least 3 examples per label (cv=0: 2).

    descriptions maps labels to raw texts that define them (e.g. the sub-category
    names of a category tree: "城市建设和市政管理 园林绿化环卫" for 城乡建设). They
    are added to the training data of the model and of every CV fold, and never
    scored. Complaints corpus with its taxonomy (250 sub-category names): dev
    macro-F1 0.866 -> 0.880, CV 0.928 -> 0.929 (benchmarks/complaints.py). Every
    key must be one of the labels.
    """
    y = np.asarray([str(lab) for lab in labels], dtype=object)
    tokens = normalize_many(texts, pretokenized=pretokenized)
    extra_texts, extra_y = _description_rows(descriptions, set(y))
    extra_tokens = normalize_many(extra_texts)
    pipeline = build_pipeline(
        c=c, char_ngrams=char_ngrams, calibration_folds=_calibration_folds(y, cv)
    )
    # Normalised text is valid pretokenised text: fit on it without re-cutting,
    # then switch the first step back to cutting raw text for prediction.
    pipeline.set_params(tokens__pretokenized=True)
    pipeline.fit(tokens + extra_tokens, np.concatenate([y, extra_y]))
    pipeline.set_params(tokens__pretokenized=False)
    label_set = tuple(str(lab) for lab in pipeline.classes_)
    card: dict = {
        "labels": list(label_set),
        "training_data": data_fingerprint([str(t) for t in texts], y),
        "params": {
            "c": c,
            "char_ngrams": char_ngrams,
            "pretokenized": pretokenized,
            "target_accuracy": target_accuracy,
            "descriptions": len(extra_texts),
        },
    }
    if extra_texts:
        card["description_data"] = data_fingerprint(extra_texts, extra_y)
    threshold = 0.0
    if cv:
        # The features step, not pipeline[:-1]: the tokens step now cuts raw text
        # and would re-cut the (already tokenised) training text.
        featurize = pipeline.named_steps["features"].transform
        features = featurize(tokens)
        extra = featurize(extra_tokens) if extra_tokens else None
        folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
        proba = np.zeros((len(y), len(label_set)))
        for fit_rows, held in folds.split(features, y):
            x_fit, y_fit = features[fit_rows], y[fit_rows]
            if extra is not None:
                x_fit = sp.vstack([x_fit, extra]).tocsr()
                y_fit = np.concatenate([y_fit, extra_y])
            fold_model = clone(pipeline[-1]).fit(x_fit, y_fit)
            columns = [label_set.index(str(lab)) for lab in fold_model.classes_]
            proba[np.ix_(held, columns)] = fold_model.predict_proba(features[held])
        pred = np.asarray(label_set, dtype=object)[proba.argmax(axis=1)]
        confidence = proba.max(axis=1)
        threshold = choose_threshold(confidence, pred == y, target_accuracy)
        routed = confidence >= threshold
        card["cv"] = {
            "folds": cv,
            **per_class_report(y, pred, label_set),
            "coverage_at_threshold": float(routed.mean()),
            "accuracy_at_threshold": float((pred == y)[routed].mean())
            if routed.any()
            else None,
        }
    card["abstention_threshold"] = threshold
    return TrainedModel(pipeline, label_set, threshold, card)


def predict(
    model: TrainedModel, texts: Sequence[str], *, abstain: bool = False
) -> tuple[list[str | None], np.ndarray]:
    """Label and confidence per raw text; with abstain, None below the threshold."""
    if not len(texts):
        return [], np.zeros(0)
    proba = model.pipeline.predict_proba(list(texts))
    best = proba.argmax(axis=1)
    confidence = proba[np.arange(len(best)), best]
    labels: list[str | None] = [model.labels[i] for i in best]
    if abstain:
        labels = [
            lab if conf >= model.threshold else None
            for lab, conf in zip(labels, confidence, strict=True)
        ]
    return labels, confidence


def evaluate(model: TrainedModel, texts: Sequence[str], labels: Sequence[str]) -> dict:
    """Quality on labeled raw texts, plus coverage and accuracy at the threshold."""
    pred, confidence = predict(model, texts)
    truth = [str(lab) for lab in labels]
    order = list(model.labels) + sorted(set(truth) - set(model.labels))
    report = per_class_report(truth, pred, order)
    correct = np.asarray(pred, dtype=object) == np.asarray(truth, dtype=object)
    routed = confidence >= model.threshold
    report["threshold"] = model.threshold
    report["coverage_at_threshold"] = float(routed.mean()) if len(routed) else 0.0
    report["accuracy_at_threshold"] = (
        float(correct[routed].mean()) if routed.any() else None
    )
    return report


def fit_threshold(
    model: TrainedModel,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    target_accuracy: float = 0.97,
) -> TrainedModel:
    """Re-choose the abstention threshold on labeled held-out raw texts (in place).

    The threshold train() picks comes from cross-validation on the training texts;
    when those differ in kind from what the model will see (a tokenised corpus
    against raw messages), confidences are optimistic and a threshold chosen on
    texts like the live ones is the honest one.
    """
    pred, confidence = predict(model, texts)
    correct = np.asarray(pred, dtype=object) == np.asarray(
        [str(lab) for lab in labels], dtype=object
    )
    model.threshold = choose_threshold(confidence, correct, target_accuracy)
    model.card["abstention_threshold"] = model.threshold
    model.card["threshold_fitted_on"] = {
        **data_fingerprint(list(texts), [str(lab) for lab in labels]),
        "target_accuracy": target_accuracy,
    }
    return model
