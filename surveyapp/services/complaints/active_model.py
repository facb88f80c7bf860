"""The active complaint classifier: which file it is, and loading it once per process."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from surveyapp.analysis.text import TrainedModel, load_model, warm_up
from surveyapp.analysis.text.model_card import card_path
from surveyapp.extensions import db
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import Complaint, ComplaintModel

log = logging.getLogger(__name__)
_lock = threading.Lock()
# One loaded model per process: {"key": (path, mtime_ns), "model": TrainedModel}.
_cache: dict = {}


class ComplaintError(ValueError):
    """A complaint operation that cannot be done (unknown category, no model)."""


@dataclass(frozen=True)
class ModelSource:
    """Where the active model lives: a registered row, or the configured default."""

    path: Path
    record_id: int | None


def model_version(card: dict) -> str:
    sha = (card.get("training_data") or {}).get("sha256", "")[:12]
    return f"{card.get('created', '')} {sha}".strip()[:80]


def active_record() -> ComplaintModel | None:
    return db.session.scalar(select(ComplaintModel).where(ComplaintModel.active))


def active_source() -> ModelSource | None:
    record = active_record()
    if record is not None:
        return ModelSource(Path(record.path), record.id)
    default = current_app.config.get("COMPLAINTS_MODEL_PATH") or ""
    if default and Path(default).is_file():
        return ModelSource(Path(default), None)
    return None


def _key(path: Path) -> tuple[str, int] | None:
    try:
        return str(path.resolve()), os.stat(path).st_mtime_ns
    except OSError:
        return None


def loaded_model(source: ModelSource | None = None) -> TrainedModel | None:
    """The active model if this process already holds it; never loads (cheap)."""
    source = source or active_source()
    if source is None or not _cache:
        return None
    return _cache["model"] if _cache.get("key") == _key(source.path) else None


def load_active_model() -> TrainedModel | None:
    """Load (once) the active model and the tokenizer: the complaints worker
    and the commands do; a web request never does."""
    source = active_source()
    if source is None:
        return None
    with _lock:
        model = loaded_model(source)
        if model is None:
            key = _key(source.path)
            model = load_model(source.path)
            warm_up()
            _cache.clear()
            _cache.update(key=key, model=model)
    return model


def forget_loaded_model() -> None:
    """Drop this process's loaded model (the next load reads the file again)."""
    with _lock:
        _cache.clear()


def preload(app) -> None:
    """App-factory hook (COMPLAINTS_PRELOAD, set by gunicorn.conf.py): load
    jieba's dictionary before gunicorn forks, for the office's topic pages.
    Web workers never classify (the complaints worker does), so the model
    itself is not loaded here."""
    try:
        warm_up()
    except Exception:  # a missing dictionary file must not stop the app
        log.warning("complaints: tokenizer not preloaded", exc_info=True)


def register_model(path: str | Path, *, activate: bool = False) -> ComplaintModel:
    """Register a saved model file (reads its card, checks it loads)."""
    path = Path(path).resolve()
    model = load_model(path)
    record = db.session.scalar(
        select(ComplaintModel).where(ComplaintModel.path == str(path))
    )
    if record is None:
        record = ComplaintModel(path=str(path))
        db.session.add(record)
    record.version = model_version(model.card)
    record.labels = list(model.labels)
    record.threshold = float(model.threshold)
    record.card = {k: v for k, v in model.card.items() if k != "cv"} | {
        "cv_summary": {
            k: model.card.get("cv", {}).get(k) for k in ("accuracy", "macro_f1", "n")
        }
    }
    if activate:
        db.session.flush()
        db.session.execute(
            update(ComplaintModel)
            .where(ComplaintModel.id != record.id)
            .values(active=False)
        )
        record.active = True
        record.activated_at = utcnow()
    db.session.commit()
    return record


def category_labels() -> list[str]:
    """Categories a person may choose: the active model's, else any seen so far."""
    record = active_record()
    if record is not None and record.labels:
        return list(record.labels)
    source = active_source()
    if source is not None:
        try:
            card = json.loads(card_path(source.path).read_text(encoding="utf-8"))
            return list(card["labels"])
        except (OSError, ValueError, KeyError):
            log.warning("complaints: no readable card for %s", source.path)
    seen = db.session.scalars(
        select(Complaint.category).where(Complaint.category.is_not(None)).distinct()
    )
    return sorted(seen)
