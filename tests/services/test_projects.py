"""Projects, frames, sample plans, callback lists and interviewer figures."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from surveyapp.models import AuditLog, Response
from surveyapp.models.sampling import FrameRow, QuotaCell, ScreenOut, ServiceTransaction
from surveyapp.services.fieldwork import frames, plans
from surveyapp.services.fieldwork import progress as fieldwork
from surveyapp.services.fieldwork.projects import (
    NotYours,
    ProjectError,
    active_project_for,
    create_project,
    project_for_user,
)
from surveyapp.services.memory import forget_all
from tests.firm_factories import HALL, hall, item, make_project

H2 = "H450902"


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


FRAME = _csv(
    "hall_code,service_item_code,period,volume",
    "H450900,S450900-re-transfer,2026-10,600",
    "H450900,S450900-re-mortgage,2026-10,300",
    "H450900,S450900-hf-withdraw,2026-10,100",
    "H450902,S450902-re-transfer,2026-10,0",
)


def test_create_project_checks_everything_first(demo):
    project = make_project()
    with pytest.raises(ProjectError):
        create_project(
            "W1",
            "again",
            project.version_id,
            date(2026, 1, 1),
            date(2026, 2, 1),
            hall_ids=[hall().id],
        )
    with pytest.raises(ProjectError):
        create_project(
            "W2",
            "bad period",
            project.version_id,
            date(2026, 2, 1),
            date(2026, 1, 1),
            hall_ids=[hall().id],
        )
    with pytest.raises(ProjectError):
        create_project(
            "W3", "no hall", project.version_id, date(2026, 1, 1), date(2026, 2, 1)
        )
    with pytest.raises(ProjectError):
        create_project(
            "W4",
            "policy",
            project.version_id,
            date(2026, 1, 1),
            date(2026, 2, 1),
            hall_ids=[hall().id],
            over_quota_policy="x",
        )


def test_isolation_rule(demo, make_user):
    mine = make_project("A", firm_code="F1")
    theirs = make_project("B", firm_code="F2", halls=(H2,))
    manager = make_user("m1", "firm_manager", firm=mine.firm)
    analyst = make_user("an", "analyst")
    assert project_for_user(mine.id, manager) is mine
    with pytest.raises(NotYours):
        project_for_user(theirs.id, manager)
    with pytest.raises(NotYours):
        project_for_user(999_999, manager)
    assert project_for_user(theirs.id, analyst) is theirs


def test_latest_started_active_project_wins(demo):
    older = make_project("OLD", days=(-20, 10))
    newer = make_project("NEW", days=(-2, 10))
    assert active_project_for(hall().id).id == newer.id
    newer.active = False
    demo.session.commit()
    forget_all()  # as a service that changes a project does
    assert active_project_for(hall().id).id == older.id
    assert active_project_for(hall(H2).id) is None
    assert active_project_for(hall().id, older.period_end + timedelta(days=1)) is None


def test_frame_import_and_refusal_with_row_and_column(demo):
    project = make_project(halls=(HALL, H2))
    assert frames.import_frame(project, FRAME, "frame.csv") == 4
    bad = _csv(
        "hall_code,service_item_code,period,volume",
        "H450900,S450900-re-transfer,2026-10,600",
        "NOPE,S450900-re-transfer,2026-13,-1",
        "H450900,S450900-re-transfer,2026-10,5",
    )
    with pytest.raises(frames.FileRefused) as refused:
        frames.import_frame(project, bad, "frame.csv")
    found = {(p.row, p.column) for p in refused.value.problems}
    assert {(3, "hall_code"), (3, "period"), (3, "volume"), (4, "period")} <= found
    # Nothing of the bad file was imported; the earlier frame is intact.
    assert sum(r.volume for r in db_rows(FrameRow)) == 1000
    with pytest.raises(frames.FileRefused) as missing:
        frames.import_frame(project, _csv("hall_code,volume", "H450900,1"), "f.csv")
    assert [(p.row, p.column) for p in missing.value.problems] == [
        (1, "service_item_code"),
        (1, "period"),
    ]


def db_rows(model):
    from surveyapp.extensions import db

    return db.session.scalars(select(model)).all()


def test_frame_import_from_xlsx_and_templates(demo):
    project = make_project()
    book = Workbook()
    sheet = book.active
    sheet.append(["hall_code", "service_item_code", "period", "volume"])
    sheet.append(["H450900", "S450900-re-transfer", "2026-10", 42])
    buffer = io.BytesIO()
    book.save(buffer)
    assert frames.import_frame(project, buffer.getvalue(), "frame.xlsx") == 1
    template = load_workbook(io.BytesIO(frames.template_bytes("frame", "xlsx")))
    assert [c.value for c in template.active[1]] == frames.FRAME_COLUMNS
    assert (
        frames.template_bytes("transactions", "csv")
        .decode("utf-8-sig")
        .startswith(",".join(frames.TRANSACTION_COLUMNS))
    )


def test_plan_allocates_exactly_n_and_sets_targets(demo):
    project = make_project(halls=(HALL, H2))
    frames.import_frame(project, FRAME, "frame.csv")
    plan = plans.save_plan(project, plans.PlanInput(n=101, method="proportional"), None)
    targets = {(r["hall_code"], r["category"]): r["target"] for r in plan.allocation}
    # 900 nr : 100 hf at H450900, 0 at H450902: 90.9 -> 91, 10.1 -> 10, 0.
    assert targets == {(HALL, "nr"): 91, (HALL, "hf"): 10, (H2, "nr"): 0}
    cells = db_rows(QuotaCell)
    assert sum(c.target for c in cells) == 101
    again = plans.save_plan(
        project, plans.PlanInput(n=10, method="equal", minimum=2), None
    )
    assert sum(r["target"] for r in again.allocation) == 10
    assert min(r["target"] for r in again.allocation) >= 2
    assert len(db_rows(QuotaCell)) == 3  # cells kept, targets replaced
    csv_text = plans.export_plan(again, "csv").decode("utf-8-sig")
    assert csv_text.splitlines()[0] == ",".join(plans.PLAN_COLUMNS)
    assert csv_text.splitlines()[-1].startswith("TOTAL")


def test_neyman_uses_the_stated_guess_and_refuses_bad_inputs(demo):
    project = make_project(dims=("gender",))
    frames.import_frame(project, FRAME[: FRAME.index(b"H450902")], "frame.csv")
    table = plans.compute_plan(
        project, plans.PlanInput(n=40, method="neyman", sd_guess=1.0)
    )
    assert len(table) == 4 and table["target"].sum() == 40  # 2 categories x 2 genders
    with pytest.raises(plans.PlanError):
        plans.compute_plan(project, plans.PlanInput(n=3, method="equal", minimum=5))
    empty = make_project("EMPTY")
    with pytest.raises(plans.PlanError):
        plans.compute_plan(empty, plans.PlanInput(n=3))


def test_transactions_callback_list_is_systematic_and_audited(demo, make_user):
    project = make_project()
    lines = ["hall_code,service_item_code,occurred_at,phone,reference"] + [
        f"H450900,S450900-re-transfer,2026-10-{d:02d} 09:00,138001380{d:02d},R{d}"
        for d in range(1, 21)
    ]
    assert frames.import_transactions(project, _csv(*lines), "t.csv") == 20
    stored = db_rows(ServiceTransaction)
    assert all(
        "13800" not in t.phone_encrypted and len(t.phone_hash) == 64 for t in stored
    )
    seed, picked = frames.callback_list(project, 5, seed=7)
    positions = [p for p, _t in picked]
    assert len(positions) == 5 and len(set(positions)) == 5
    assert {b - a for a, b in zip(positions, positions[1:], strict=False)} == {4}
    manager = make_user("m1", "firm_manager", firm=project.firm)
    with frames.export_callbacks(project, 5, "csv", manager, seed=7) as data:
        text = data.read().decode("utf-8-sig")
    assert "13800138" in text and len(text.strip().splitlines()) == 6
    # Uploaded naive times are local (Asia/Shanghai) and come back so.
    assert "2026-10-" in text and "T09:00:00+08:00" in text
    log = db_rows(AuditLog)[-1]
    assert log.action == "export_callbacks" and log.detail["seed"] == 7
    bad = _csv("hall_code,service_item_code,occurred_at,phone", "H450900,x,soon,123")
    with pytest.raises(frames.FileRefused) as refused:
        frames.import_transactions(project, bad, "t.csv")
    assert {p.column for p in refused.value.problems} == {
        "service_item_code",
        "occurred_at",
        "phone",
    }
    assert len(db_rows(ServiceTransaction)) == 20


def test_fill_progress_and_interviewer_figures(demo, make_user):
    from surveyapp.extensions import db

    project = make_project(targets={(HALL, "nr", "", ""): 10, (HALL, "hf", "", ""): 4})
    cells = {c.category: c for c in project.cells}
    interviewer = make_user("iv", "interviewer", firm=project.firm)
    base = dict(
        version_id=project.version_id,
        hall_id=hall().id,
        mode="interviewer",
        project_id=project.id,
        interviewer_id=interviewer.id,
    )
    for i, (duration, verdict) in enumerate(
        [(60, "ok"), (120, "flagged"), (300, "ok"), (30, "rejected")]
    ):
        db.session.add(
            Response(
                public_id=f"k{i}",
                started_at=project.created_at,
                duration_s=duration,
                verdict=verdict,
                quota_cell_id=cells["nr"].id,
                quota_counted=True,
                **base,
            )
        )
    db.session.add(
        ScreenOut(
            project_id=project.id,
            hall_id=hall().id,
            interviewer_id=interviewer.id,
            mode="interviewer",
        )
    )
    cells["nr"].completed = 3
    db.session.commit()
    figures = fieldwork.interviewer_figures(project)[0]
    assert figures.responses == 4 and figures.completes == 3
    assert figures.median_duration_s == 90.0
    assert figures.screen_out_share == pytest.approx(1 / 5)
    assert figures.flagged_share == pytest.approx(2 / 4)
    fill = {f.cell.category: f for f in fieldwork.cell_fill(project)}
    assert fill["nr"].percent == 30.0
    assert fill["hf"].at_risk and fill["hf"].percent == 0.0
    progress = fieldwork.daily_progress(project)
    assert progress[-1][2] == 3
    assert db.session.scalar(select(func.count(Response.id))) == 4
    text = fieldwork.export_fill(project, "csv").decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(fieldwork.FILL_COLUMNS)


def test_cli_creates_firms_and_refuses_bad_frames(runner, demo, tmp_path):
    assert (
        "created firm ACME"
        in runner.invoke(args=["firms", "create", "ACME", "Acme"]).output
    )
    make_project("CLI")
    bad = tmp_path / "frame.csv"
    bad.write_bytes(
        _csv(
            "hall_code,service_item_code,period,volume",
            "H450900,S450900-re-transfer,2026-10,x",
        )
    )
    result = runner.invoke(args=["firms", "import-frame", "CLI", str(bad)])
    assert result.exit_code != 0 and "row 2, column volume" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(FRAME[: FRAME.index(b"H450902")])
    assert (
        "imported 3 frame rows"
        in runner.invoke(args=["firms", "import-frame", "CLI", str(good)]).output
    )
    assert "recounted 0 cells" in runner.invoke(args=["firms", "recount", "CLI"]).output


def test_neyman_takes_standard_deviations_from_the_previous_wave(demo):
    from surveyapp.extensions import db

    previous = make_project("PREV", days=(-60, -31))
    for i, overall in enumerate([1, 5, 1, 5, 3, 3, 3, 3]):
        item_code = "S450900-re-transfer" if i < 4 else "S450900-hf-withdraw"
        db.session.add(
            Response(
                public_id=f"p{i}",
                version_id=previous.version_id,
                hall_id=hall().id,
                service_item_id=item(item_code).id,
                started_at=previous.created_at,
                overall=overall,
                project_id=previous.id,
            )
        )
    db.session.commit()
    assert plans.previous_sd(previous.id) == {
        (hall().id, "nr"): pytest.approx(2.3094, abs=1e-4),
        (hall().id, "hf"): 0.0,
    }
    current = make_project("CUR")
    frames.import_frame(current, FRAME[: FRAME.index(b"H450902")], "frame.csv")
    table = plans.compute_plan(
        current,
        plans.PlanInput(
            n=30, method="neyman", sd_guess=1.0, previous_project_id=previous.id
        ),
    )
    # hf had no spread last wave: Neyman gives it nothing, nr takes all 30.
    assert dict(zip(table["category"], table["target"], strict=True)) == {
        "nr": 30,
        "hf": 0,
    }
