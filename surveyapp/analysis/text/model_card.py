"""Saving and loading a trained classifier with a JSON model card beside it."""

from __future__ import annotations

import json
import platform
import warnings
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import joblib

from surveyapp.analysis.text.classifier import TrainedModel

# Libraries whose version changes can alter a pickled pipeline or its tokens.
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "jieba", "rjieba", "joblib")


class ModelVersionWarning(UserWarning):
    """A saved model was built with other library versions than the running ones."""


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries a model depends on, and of Python (major.minor)."""
    found: dict[str, str | None] = {
        "python": ".".join(platform.python_version_tuple()[:2])
    }
    for name in _LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def card_path(model_path: Path) -> Path:
    """The card of model.joblib is model.json."""
    return model_path.with_suffix(".json")


def save_model(model: TrainedModel, path: str | Path) -> Path:
    """Write the model with joblib and its card beside it; returns the card's path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    card = {
        **model.card,
        "labels": list(model.labels),
        "abstention_threshold": model.threshold,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "model_file": path.name,
    }
    model.card = card
    joblib.dump(model, path, compress=3)
    target = card_path(path)
    target.write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def load_model(path: str | Path) -> TrainedModel:
    """Load a saved model; warns ModelVersionWarning when library versions differ.

    joblib files are pickles: load only files this project wrote.
    """
    path = Path(path)
    card = json.loads(card_path(path).read_text(encoding="utf-8"))
    saved = card.get("versions", {})
    running = library_versions()
    differ = {
        name: (saved.get(name), running[name])
        for name in running
        if saved.get(name) != running[name]
    }
    if differ:
        listed = ", ".join(f"{n} {a} -> {b}" for n, (a, b) in sorted(differ.items()))
        warnings.warn(
            f"model {path.name} was saved with other library versions ({listed});"
            " retrain it, or check its predictions before use",
            ModelVersionWarning,
            stacklevel=2,
        )
    model = joblib.load(path)
    if not isinstance(model, TrainedModel):
        raise TypeError(f"{path} does not hold a TrainedModel")
    model.card = card
    return model
