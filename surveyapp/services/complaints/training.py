"""Retraining on the original data plus office corrections, judged on held-out data."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from surveyapp.analysis.text import (
    TrainedModel,
    evaluate,
    load_model,
    normalize,
    texts_from_frame,
    train,
)
from surveyapp.analysis.text.classifier import data_fingerprint
from surveyapp.services.complaints.active_model import ComplaintError, active_source
from surveyapp.services.complaints.pipeline import corrections_frame
from surveyapp.tables.reader import read_table_file

SEED_DATA = Path(str(resources.files("surveyapp.analysis.text") / "data"))
SEED_CSV = SEED_DATA / "seed_complaints.csv"


@dataclass
class RetrainResult:
    model: TrainedModel
    baseline: dict  # the original data only, same split
    candidate: dict  # original data plus corrections, same split
    rows: int
    corrections: int
    held_out: int

    @property
    def better(self) -> bool:
        return self.candidate["macro_f1"] > self.baseline["macro_f1"]


def read_frame(path: str | Path, required: tuple[str, ...] = ("text",)) -> pd.DataFrame:
    """A CSV or XLSX table of complaints (tables.reader) as a frame of text
    columns; raises FileRefused for a file that cannot be read."""
    table = read_table_file(path, required=required)
    return pd.DataFrame(
        [row.values for row in table.rows], columns=table.header, dtype=object
    )


def read_labeled(path: str | Path) -> tuple[list[str], list[str]]:
    """Texts (text, or title + text) and labels of a labeled CSV or XLSX;
    rows without a label are left out."""
    frame = read_frame(path, ("text", "label"))
    frame = frame[frame["label"] != ""]
    return texts_from_frame(frame), frame["label"].tolist()


def original_data(data: str | Path | None) -> tuple[Path, dict]:
    """The training data: --data, else the active model's card (data_path, or the
    packaged seed set when its fingerprint matches). Returns path and params."""
    source = active_source()
    card: dict = {}
    if source is not None:
        card = load_model(source.path).card
    params = dict(card.get("params") or {})
    if data:
        return Path(data), params
    if card.get("data_path") and Path(card["data_path"]).is_file():
        return Path(card["data_path"]), params
    texts, labels = read_labeled(SEED_CSV)
    seed_sha = data_fingerprint(texts, labels)["sha256"]
    if (card.get("training_data") or {}).get("sha256") == seed_sha:
        return SEED_CSV, params
    raise ComplaintError("the active model's card names no training data: give --data")


def _split(texts: list[str], labels: list[str], held_out: float, seed: int):
    try:
        return train_test_split(
            texts, labels, test_size=held_out, random_state=seed, stratify=labels
        )
    except ValueError:  # a label too rare to stratify
        return train_test_split(texts, labels, test_size=held_out, random_state=seed)


def retrain(
    data: str | Path | None = None,
    *,
    held_out: float = 0.2,
    seed: int = 0,
    pretokenized: bool | None = None,
) -> RetrainResult:
    """Same split for both: train the old recipe (original data) and the new one
    (plus corrections) on the training part, score both on the held-out part
    (which holds corrections too), then refit the new one on everything."""
    path, params = original_data(data)
    texts, labels = read_labeled(path)
    if pretokenized is None:
        pretokenized = bool(params.get("pretokenized"))
    fixes = corrections_frame()
    fix_texts = fixes["text"].tolist()
    if pretokenized:  # corrections are raw: cut them like the corpus was
        fix_texts = [normalize(t) for t in fix_texts]
    options = {
        "pretokenized": pretokenized,
        "char_ngrams": bool(params.get("char_ngrams", path == SEED_CSV)),
        "c": float(params.get("c", 1.0)),
    }
    origin = ["data"] * len(texts) + ["fix"] * len(fix_texts)
    all_texts = texts + fix_texts
    all_labels = labels + fixes["label"].tolist()
    tagged = list(zip(all_texts, origin, strict=True))
    train_part, test_part, y_train, y_test = _split(tagged, all_labels, held_out, seed)
    test_texts = [t for t, _ in test_part]
    base_rows = [
        (t, y) for (t, o), y in zip(train_part, y_train, strict=True) if o == "data"
    ]
    baseline = train(
        [t for t, _ in base_rows], [y for _, y in base_rows], cv=0, **options
    )
    candidate = train([t for t, _ in train_part], y_train, cv=0, **options)
    final = train(all_texts, all_labels, **options)
    final.card["data_path"] = str(path.resolve())
    final.card["corrections"] = len(fix_texts)
    return RetrainResult(
        model=final,
        baseline=evaluate(baseline, test_texts, y_test),
        candidate=evaluate(candidate, test_texts, y_test),
        rows=len(all_texts),
        corrections=len(fix_texts),
        held_out=len(test_texts),
    )
