"""Shared complaint fixtures: one seed-trained model per session, made active,
and the complaints worker's round that turns stored comments into complaints."""

from __future__ import annotations

import pandas as pd
import pytest

from surveyapp.analysis.text import save_model, texts_from_frame, train
from surveyapp.services.complaints.active_model import forget_loaded_model
from surveyapp.services.complaints.pipeline import work_once
from surveyapp.services.complaints.training import SEED_CSV


@pytest.fixture(scope="session")
def seed_model_path(tmp_path_factory):
    """The seed set's model (char n-grams, 3-fold CV for a real threshold)."""
    frame = pd.read_csv(SEED_CSV)
    model = train(
        texts_from_frame(frame), frame["label"].tolist(), cv=3, char_ngrams=True
    )
    path = tmp_path_factory.mktemp("models") / "seed"
    save_model(model, path)
    return path


@pytest.fixture()
def active_model(app, db, seed_model_path):
    """The seed model as the configured default; the process cache starts empty."""
    previous = app.config["COMPLAINTS_MODEL_PATH"]
    app.config["COMPLAINTS_MODEL_PATH"] = str(seed_model_path)
    forget_loaded_model()
    yield seed_model_path
    app.config["COMPLAINTS_MODEL_PATH"] = previous
    forget_loaded_model()


def worker_round() -> int:
    """What `flask complaints work` does each round (the one pipeline)."""
    return work_once()
