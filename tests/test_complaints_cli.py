"""`flask complaints ...` with the runner on small inline CSVs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select

from surveyapp.models.complaints import Complaint, ComplaintModel
from surveyapp.services.complaints import active_model
from surveyapp.services.complaints import pipeline as service
from tests.conftest import full_answers

ROWS = {
    "waiting": [
        "排队等了两个小时",
        "叫号太慢等很久",
        "取号后一直没叫到",
        "窗口太少排长队",
        "等候时间太长了",
        "排队排了一上午",
    ],
    "attitude": [
        "工作人员态度恶劣",
        "说话很不耐烦",
        "窗口人员态度冷漠",
        "对群众大声呵斥",
        "服务态度太差了",
        "工作人员爱答不理",
    ],
    "fees": [
        "多收了工本费",
        "收费标准不透明",
        "乱收费用不给票据",
        "收费太高不合理",
        "重复收取费用",
        "收费没有公示",
    ],
}


@pytest.fixture()
def labeled(tmp_path):
    rows = [(t, lab) for lab, texts in ROWS.items() for t in texts]
    path = tmp_path / "train.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    return path


@pytest.fixture()
def trained(runner, labeled, tmp_path):
    out = tmp_path / "model"
    result = runner.invoke(
        args=[
            "complaints",
            "train",
            "--data",
            str(labeled),
            "--out",
            str(out),
            "--cv",
            "3",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "cross-validated accuracy" in result.output and "macro-F1" in result.output
    yield out
    active_model.forget_loaded_model()


def test_train_writes_model_and_card(trained, labeled):
    card = json.loads(trained.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["labels"] == ["attitude", "fees", "waiting"]
    assert card["training_data"]["rows"] == 18
    assert card["data_path"] == str(labeled.resolve())


def test_pretokenized_training(runner, tmp_path):
    rows = [(" ".join(t), lab) for lab, texts in ROWS.items() for t in texts]
    data = tmp_path / "tokens.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(data, index=False)
    result = runner.invoke(
        args=[
            "complaints",
            "train",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "m"),
            "--pretokenized",
            "--cv",
            "3",
        ]
    )
    assert result.exit_code == 0, result.output


def test_evaluate_prints_one_json_object(runner, trained, labeled):
    result = runner.invoke(
        args=["complaints", "evaluate", "--model", str(trained), "--data", str(labeled)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"accuracy", "macro_f1", "per_class", "confusion"} <= set(report)
    assert set(report["per_class"]["fees"]) == {"precision", "recall", "f1", "support"}
    assert report["per_class"]["fees"]["support"] == 6
    assert len(report["confusion"]["matrix"]) == 3
    assert report["accuracy"] > 0.8


def test_predict_keeps_ids(runner, trained, tmp_path):
    data = tmp_path / "new.csv"
    pd.DataFrame({"id": [7, 9], "text": ["排队等了三个小时", "乱收费"]}).to_csv(
        data, index=False
    )
    out = tmp_path / "pred.csv"
    result = runner.invoke(
        args=[
            "complaints",
            "predict",
            "--model",
            str(trained),
            "--data",
            str(data),
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["id", "label", "confidence"]
    assert pred["id"].tolist() == [7, 9]
    assert pred["label"].tolist() == ["waiting", "fees"]
    assert pred["confidence"].between(0, 1).all()


def test_missing_column_is_a_clear_error(runner, trained, tmp_path):
    data = tmp_path / "bad.csv"
    pd.DataFrame({"body": ["x"]}).to_csv(data, index=False)
    result = runner.invoke(
        args=["complaints", "evaluate", "--model", str(trained), "--data", str(data)]
    )
    assert result.exit_code == 2 and "missing column" in result.output


def test_activate_classify_correct_export_retrain(
    runner, trained, labeled, submit, db, tmp_path
):
    result = runner.invoke(args=["complaints", "activate", str(trained)])
    assert result.exit_code == 0, result.output
    record = db.session.scalars(select(ComplaintModel)).one()
    assert record.active and record.labels == ["attitude", "fees", "waiting"]
    assert submit(full_answers(1, q_complaint="排队太久了")).status_code == 303
    result = runner.invoke(args=["complaints", "classify-pending"])
    assert result.exit_code == 0 and "1 complaints classified" in result.output
    complaint = db.session.scalars(select(Complaint)).one()
    assert complaint.model_id == record.id and complaint.category == "waiting"
    from surveyapp.models import User

    user = User(username="a", role="admin", password_hash="x")
    db.session.add(user)
    db.session.commit()
    service.correct(complaint, "attitude", user)
    out = tmp_path / "fixes.csv"
    result = runner.invoke(args=["complaints", "export-corrections", "--out", str(out)])
    assert result.exit_code == 0
    assert pd.read_csv(out).to_dict("records") == [
        {"text": "排队太久了", "label": "attitude"}
    ]
    new = tmp_path / "retrained"
    args = ["complaints", "retrain", "--out", str(new), "--activate"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "without corrections" in result.output
    assert "with corrections" in result.output and new.exists()
    if "not better" in result.output:
        assert "not activated" in result.output
        assert _active_paths(db) == [str(trained.resolve())]
        result = runner.invoke(args=[*args, "--force"])
        assert result.exit_code == 0, result.output
    assert _active_paths(db) == [str(new.resolve())]


def _active_paths(db) -> list[str]:
    query = select(ComplaintModel.path).where(ComplaintModel.active)
    return list(db.session.scalars(query))


def test_classify_pending_without_a_model(runner):
    result = runner.invoke(args=["complaints", "classify-pending"])
    assert result.exit_code == 1 and "no active model" in result.output


class _Stop(BaseException):  # not caught by the worker's retry of a failed round
    pass


def test_worker_waits_between_busy_rounds_and_freezes_the_model(runner, monkeypatch):
    """The worker waits --interval after every round, also one that found work:
    a round then takes the comments of a whole interval in one batch. Once it
    holds a model, that model is frozen out of the collector's scans."""
    import gc
    import time

    model = object()
    rounds = [3, 2]
    slept: list[float] = []

    def work_once():
        if not rounds:
            raise _Stop
        return rounds.pop(0)

    monkeypatch.setattr(service, "work_once", work_once)
    monkeypatch.setattr(active_model, "loaded_model", lambda source=None: model)
    freezes: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))

    monkeypatch.setattr(time, "sleep", slept.append)
    with pytest.raises(_Stop):
        runner.invoke(args=["complaints", "work", "--interval", "0.5"])
    assert slept == [0.5, 0.5]  # after the round of 3 and the round of 2
    assert freezes == [1]  # the same model is frozen once


def test_exported_corrections_are_formula_safe_and_read_back(
    runner, trained, submit, db, tmp_path
):
    from surveyapp.models import User
    from surveyapp.services.complaints.training import read_labeled

    assert runner.invoke(args=["complaints", "activate", str(trained)]).exit_code == 0
    text = '=HYPERLINK("http://evil.example","排队太久了")'
    assert submit(full_answers(1, q_complaint=text)).status_code == 303
    assert runner.invoke(args=["complaints", "classify-pending"]).exit_code == 0
    user = User(username="a", role="admin", password_hash="x")
    db.session.add(user)
    db.session.commit()
    service.correct(db.session.scalars(select(Complaint)).one(), "waiting", user)
    out = tmp_path / "fixes.csv"
    assert (
        runner.invoke(
            args=["complaints", "export-corrections", "--out", str(out)]
        ).exit_code
        == 0
    )
    assert pd.read_csv(out)["text"].tolist() == ["'" + text]  # inert in a spreadsheet
    assert read_labeled(out) == ([text], ["waiting"])  # and training reads the text


def test_predict_reads_xlsx_and_writes_xlsx(runner, trained, tmp_path):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    book.active.append(["id", "text"])
    book.active.append([7, "排队等了三个小时"])
    data = tmp_path / "new.xlsx"
    book.save(data)
    out = tmp_path / "pred.xlsx"
    args = ["complaints", "predict", "--model", str(trained), "--data", str(data)]
    result = runner.invoke(args=[*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.values)
    assert rows[0] == ("id", "label", "confidence") and rows[1][:2] == ("7", "waiting")


def test_an_unreadable_data_file_is_a_clear_error(runner, trained, tmp_path):
    data = tmp_path / "train.csv"
    data.write_bytes("text,label\n排队,waiting\n".encode("utf-16"))
    result = runner.invoke(
        args=["complaints", "evaluate", "--model", str(trained), "--data", str(data)]
    )
    assert result.exit_code == 2 and "UTF-16" in result.output
