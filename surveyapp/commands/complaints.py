"""CLI: `flask complaints train|evaluate|predict|activate|retrain|...` (issue 6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import AppGroup

complaints_cli = AppGroup("complaints", help="Complaint classification and routing.")

_data = click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Labeled CSV or XLSX: columns text (or title and text) and label.",
)


def _read(path: str):
    from surveyapp.services.complaints.training import read_labeled

    return _readable(read_labeled, path)


def _readable(read, path: str):
    """read(path), or the file's problems in English as a --data error."""
    from flask import current_app

    from surveyapp.tables.reader import FileRefused

    try:
        return read(path)
    except FileRefused as exc:
        with current_app.test_request_context(headers={"Accept-Language": "en"}):
            message = str(exc)
        raise click.BadParameter(message, param_hint="--data") from None


def _write(out: str, header: list[str], rows) -> None:
    """A CSV (or, by its name, an XLSX) through the one writer: cells that a
    spreadsheet would run as formulas are made inert."""
    from surveyapp.tables.writer import Sheet, write_table

    fmt = "xlsx" if out.lower().endswith(".xlsx") else "csv"
    with open(out, "wb") as handle:
        write_table(handle, fmt, [Sheet("data", header, rows)])


def _load(path: str):
    from surveyapp.analysis.text import load_model

    try:
        return load_model(path)
    except (OSError, ValueError, TypeError) as exc:
        raise click.BadParameter(f"cannot load model {path}: {exc}") from None


@complaints_cli.command("train")
@_data
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Model file to write (its card goes beside it as .json).",
)
@click.option(
    "--pretokenized",
    is_flag=True,
    help="Texts are already cut into words separated by spaces.",
)
@click.option("--char-ngrams", is_flag=True, help="Add character 1-3-gram features.")
@click.option("--c", "c", default=1.0, show_default=True, help="SVM regularisation.")
@click.option("--cv", default=5, show_default=True, help="Cross-validation folds.")
def train_command(data, out, pretokenized, char_ngrams, c, cv):
    """Train a classifier on any labeled CSV; prints cross-validated quality."""
    from surveyapp.analysis.text import save_model, train

    texts, labels = _read(data)
    try:
        model = train(
            texts,
            labels,
            cv=cv,
            pretokenized=pretokenized,
            char_ngrams=char_ngrams,
            c=c,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    model.card["data_path"] = str(Path(data).resolve())
    card = save_model(model, out)
    scores = model.card.get("cv") or {}
    click.echo(
        f"{len(texts)} rows, {len(model.labels)} labels; cross-validated accuracy "
        f"{scores.get('accuracy', float('nan')):.3f}, macro-F1 "
        f"{scores.get('macro_f1', float('nan')):.3f}; threshold {model.threshold:.3f}"
    )
    click.echo(f"wrote {out} and {card}")


@complaints_cli.command("evaluate")
@click.option(
    "--model", "model_path", required=True, type=click.Path(exists=True, dir_okay=False)
)
@_data
def evaluate_command(model_path, data):
    """Print one JSON object: accuracy, macro_f1, per_class, confusion matrix."""
    from surveyapp.analysis.text import evaluate

    texts, labels = _read(data)
    report = evaluate(_load(model_path), texts, labels)
    click.echo(json.dumps(report, ensure_ascii=False))


@complaints_cli.command("predict")
@click.option(
    "--model", "model_path", required=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="CSV or XLSX with a text column (or title and text); id kept if present.",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False))
def predict_command(model_path, data, out):
    """Write id (if the input has one), label and confidence per row."""
    from surveyapp.analysis.text import predict, texts_from_frame
    from surveyapp.services.complaints.training import read_frame

    frame = _readable(read_frame, data)
    labels, confidence = predict(_load(model_path), texts_from_frame(frame))
    rows = [
        [label, round(float(c), 4)] for label, c in zip(labels, confidence, strict=True)
    ]
    header = ["label", "confidence"]
    if "id" in frame.columns:
        header = ["id", *header]
        rows = [[i, *row] for i, row in zip(frame["id"], rows, strict=True)]
    _write(out, header, rows)
    click.echo(f"{len(rows)} predictions written to {out}")


@complaints_cli.command("activate")
@click.argument("model_path", type=click.Path(exists=True, dir_okay=False))
def activate_command(model_path):
    """Make MODEL the one the site classifies with (the complaints worker
    uses it from its next round)."""
    from surveyapp.services.complaints.active_model import register_model

    record = _register(register_model, model_path)
    click.echo(
        f"active model #{record.id}: {record.path} ({record.version}); "
        f"{len(record.labels)} labels, threshold {record.threshold:.3f}"
    )


def _register(register_model, path):
    try:
        return register_model(path, activate=True)
    except (OSError, ValueError, TypeError) as exc:
        raise click.BadParameter(f"cannot load model {path}: {exc}") from None


@complaints_cli.command("retrain")
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False),
    help="Original labeled CSV (default: the active model's).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Where to write the new model (default instance/models/...).",
)
@click.option("--activate", is_flag=True, help="Activate it if it scores better.")
@click.option("--force", is_flag=True, help="With --activate: even if not better.")
def retrain_command(data, out, activate, force):
    """Train on the original data plus corrections; compare on held-out data."""
    from flask import current_app

    from surveyapp.analysis.text import save_model
    from surveyapp.services.complaints.active_model import (
        ComplaintError,
        register_model,
    )
    from surveyapp.services.complaints.training import retrain

    try:
        result = retrain(data)
    except (ComplaintError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{result.rows} rows ({result.corrections} corrections), "
        f"{result.held_out} held out"
    )
    for name, score in (
        ("without corrections", result.baseline),
        ("with corrections", result.candidate),
    ):
        click.echo(
            f"  {name}: accuracy {score['accuracy']:.3f}, "
            f"macro-F1 {score['macro_f1']:.3f}"
        )
    if not out:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        base = Path(current_app.config["COMPLAINTS_MODEL_PATH"]).parent
        out = str(base / f"retrained-{stamp}")
    save_model(result.model, out)
    click.echo(f"wrote {out}; " + ("better" if result.better else "not better"))
    if activate and (result.better or force):
        record = _register(register_model, out)
        click.echo(f"active model #{record.id}: {record.path}")
    elif activate:
        click.echo("not activated (use --force to activate anyway)")


@complaints_cli.command("export-corrections")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
def export_corrections_command(out):
    """Write corrected complaints as training data (columns text, label)."""
    from surveyapp.services.complaints.pipeline import corrections_frame

    frame = corrections_frame()
    _write(out, ["text", "label"], frame.itertuples(index=False))
    click.echo(f"{len(frame)} corrections written to {out}")


@complaints_cli.command("classify-pending")
@click.option("--limit", type=int, help="At most this many.")
def classify_pending_command(limit):
    """Record every stored comment without a complaint (any age), then classify
    those still pending: the worker's code, over all time."""
    from surveyapp.services.complaints.active_model import active_source
    from surveyapp.services.complaints.pipeline import catch_up

    if active_source() is None:
        raise click.ClickException(
            "no active model: run `make models` or `flask complaints activate MODEL`"
        )
    done = catch_up(limit)
    click.echo(f"{done} complaints classified")


@complaints_cli.command("work")
@click.option(
    "--interval",
    type=float,
    default=2.0,
    show_default=True,
    help="Seconds between rounds; each round takes all that is new.",
)
@click.option("--once", is_flag=True, help="One round, then exit.")
def work_command(interval, once):
    """The complaint pipeline: record, classify and route new complaints and
    open their cases, as they arrive.

    Run it beside the web workers in every set-up (`make run` starts it,
    docker-compose runs it as the `worker` service): the web workers only
    store responses. A new model activated with `flask complaints activate`
    is used from the next round; stopping it mid-batch loses nothing (the
    batch rolls back and is done again).

    It waits `--interval` after every round, not only after an idle one: while
    citizens submit, a round then takes a second's comments in one batch
    instead of spinning on a few at a time. Each round's fixed cost (finding
    new comments, checking the model) is paid once a second, and the web
    workers keep the CPU."""
    import gc
    import logging
    import time

    from surveyapp.extensions import db
    from surveyapp.services.complaints.active_model import loaded_model
    from surveyapp.services.complaints.pipeline import work_once

    frozen_with = None
    while True:
        try:
            done = work_once()
            model = loaded_model()
            if model is not None and model is not frozen_with:
                # The model and jieba's dictionary are a quarter of a million
                # long-lived objects that every full collection would scan
                # again; frozen, collections skip them. A newly activated
                # model is frozen instead.
                gc.unfreeze()
                gc.collect()
                gc.freeze()
                frozen_with = model
        except Exception:  # e.g. the database is away: roll back, try again
            if once:
                raise
            logging.getLogger(__name__).exception("complaints worker round failed")
            done = 0
        finally:
            db.session.remove()
        if once:
            click.echo(f"{done} complaints recorded")
            return
        time.sleep(interval)


COMMANDS = [complaints_cli]
