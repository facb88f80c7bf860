"""CLI of the indices: run, export, publish, supersede, volumes, API tokens."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.models import ApiToken, IndexRun
from tests.services.test_indices import demo_period


def test_run_export_publish_supersede(runner, demo, tmp_path):
    from surveyapp.services.admin.demo import seed_responses

    seed_responses(500)
    result = runner.invoke(
        args=["indices", "run", "--period", demo_period(), "--level", "hall"]
    )
    assert result.exit_code == 0, result.output
    assert "run 1:" in result.output and "8 units" in result.output
    assert "above" in result.output and "below the overall" in result.output
    verified = runner.invoke(args=["indices", "verify", "--run", "1"])
    assert verified.exit_code == 0 and "all figures agree" in verified.output
    missing = runner.invoke(args=["indices", "verify", "--run", "99"])
    assert missing.exit_code != 0 and "no index run 99" in missing.output
    for fmt in ("csv", "xlsx", "json"):
        out = tmp_path / f"run.{fmt}"
        result = runner.invoke(
            args=["indices", "export", "--run", "1", "--format", fmt, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
    assert load_workbook(tmp_path / "run.xlsx").sheetnames == ["indices", "method"]
    assert len(json.loads((tmp_path / "run.json").read_text())["results"]) == 8
    assert runner.invoke(args=["indices", "publish", "--run", "1"]).exit_code == 0
    again = runner.invoke(args=["indices", "publish", "--run", "1"])
    assert again.exit_code != 0 and "only a draft" in again.output
    result = runner.invoke(
        args=[
            "indices",
            "run",
            "--period",
            demo_period(),
            "--level",
            "hall",
            "--method",
            "entropy",
        ]
    )
    assert result.exit_code == 0
    result = runner.invoke(
        args=[
            "indices",
            "supersede",
            "--run",
            "1",
            "--by",
            "2",
            "--reason",
            "entropy weights",
        ]
    )
    assert result.exit_code == 0, result.output
    statuses = dict(demo.session.execute(select(IndexRun.id, IndexRun.status)).all())
    assert statuses == {1: "superseded", 2: "published"}
    listed = runner.invoke(args=["indices", "list"])
    assert "superseded" in listed.output


def test_run_refuses_bad_input(runner, demo):
    result = runner.invoke(
        args=["indices", "run", "--period", "2001-Q1", "--level", "hall"]
    )
    assert result.exit_code != 0 and "no responses" in result.output
    result = runner.invoke(
        args=[
            "indices",
            "run",
            "--period",
            "2026-Q3",
            "--level",
            "hall",
            "--method",
            "ahp",
        ]
    )
    assert result.exit_code != 0


def test_volumes_import_and_template(runner, demo, tmp_path):
    path = tmp_path / "volumes.xlsx"
    assert (
        runner.invoke(args=["volumes", "template", "--out", str(path)]).exit_code == 0
    )
    result = runner.invoke(args=["volumes", "import", str(path)])
    assert result.exit_code == 0 and "3 new" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("hall_code,service_item_code,month,count\nX,,2026-07,1\n")
    result = runner.invoke(args=["volumes", "import", str(bad)])
    assert result.exit_code != 0
    assert (
        "row 2, column hall_code" in result.output
        and "nothing was imported" in result.output
    )


def test_api_token_printed_once_and_hashed(runner, demo):
    result = runner.invoke(args=["api-tokens", "create", "--name", "scoring"])
    assert result.exit_code == 0
    token = result.output.strip()
    stored = demo.session.scalar(select(ApiToken))
    assert stored.name == "scoring" and stored.token_hash != token and len(token) > 30


def test_publishing_a_period_that_has_not_ended_warns(runner, demo, client, login):
    from surveyapp.services.admin.demo import seed_responses
    from surveyapp.services.indices.runs import compute_run

    seed_responses(300)
    # demo_period() ends today: the period is still going on.
    result = runner.invoke(
        args=[
            "indices",
            "run",
            "--period",
            demo_period(),
            "--level",
            "hall",
            "--publish",
        ]
    )
    assert result.exit_code == 0 and "has not ended" in result.output
    draft = compute_run(demo_period(), "hall")
    login("boss", "admin")
    page = client.post(f"/office/indices/{draft.id}/publish", follow_redirects=True)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "has not ended" in text or "尚未结束" in text
