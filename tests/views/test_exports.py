"""Every export (responses, callbacks, cases, indices, frames) goes through the
one writer: what a citizen or a file typed comes out inert in CSV and XLSX,
an unstorable character never breaks an XLSX, downloads are never cached."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.extensions import db as _db
from surveyapp.models import Hall, Response, ServiceItem
from surveyapp.services.fieldwork import frames, plans
from surveyapp.services.indices.runs import compute_run
from surveyapp.tables.writer import table_bytes
from tests.complaint_helpers import worker_round
from tests.conftest import full_answers
from tests.firm_factories import HALL, ITEM, firm, make_project
from tests.services.test_indices import demo_period

# What a citizen types into a free-text answer, as the issue lists it.
PAYLOADS = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)"]


def inert(data: bytes, fmt: str, payloads=PAYLOADS) -> None:
    """Each payload is in the file, as text behind a quote, and no XLSX cell
    is a formula."""
    if fmt == "csv":
        cells = [
            c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row
        ]
        kinds = ["s"] * len(cells)
    else:
        book = load_workbook(io.BytesIO(data))  # not read-only: formulas show as 'f'
        found = [c for sheet in book for row in sheet.iter_rows() for c in row]
        assert not any(c.data_type == "f" for c in found)
        cells = ["" if c.value is None else str(c.value) for c in found]
        kinds = [c.data_type for c in found]
    for payload in payloads:
        holding = [(c, k) for c, k in zip(cells, kinds, strict=True) if payload in c]
        assert holding, f"{payload!r} is not in the {fmt} export"
        for cell, kind in holding:
            assert cell.startswith("'") and not cell.startswith("''"), cell
            assert kind == "s"


def _download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_responses_export(client, login, submit, fmt):
    for text in PAYLOADS:
        assert submit(full_answers(2, q_complaint=text)).status_code == 303
    login()
    assert client.get("/office/responses").headers["Cache-Control"] == "no-store"
    inert(_download(client, f"/office/responses/export.{fmt}"), fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cases_export(client, login, submit, fmt):
    for text in PAYLOADS:
        assert submit(full_answers(1, q_complaint=text)).status_code == 303
    worker_round()
    login()
    inert(_download(client, f"/office/cases/export.{fmt}"), fmt)
    # The filters of the list apply.
    none = _download(client, f"/office/cases/export.{fmt}?state=closed")
    if fmt == "csv":
        assert len(none.decode("utf-8-sig").strip().splitlines()) == 1


def test_streamed_cases_csv_equals_the_file(client, login, submit):
    from surveyapp.services.complaints.exports import case_sheet, export_cases

    for text in PAYLOADS:
        assert submit(full_answers(1, q_complaint=text)).status_code == 303
    worker_round()
    login()
    streamed = _download(client, "/office/cases/export.csv")
    with client.application.app_context():
        spooled = export_cases("csv")
        try:
            assert streamed == spooled.read()
        finally:
            spooled.close()
        assert table_bytes("csv", [case_sheet()]) == streamed


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_callbacks_export(client, login, demo, fmt):
    project = make_project()
    lines = ["hall_code,service_item_code,occurred_at,phone,reference"] + [
        f'{HALL},{ITEM},2026-10-0{i + 1} 09:30,1380013800{i},"{p.replace(chr(34), 2 * chr(34))}"'
        for i, p in enumerate(PAYLOADS)
    ]
    frames.import_transactions(project, "\n".join(lines).encode(), "t.csv")
    login("m1", "firm_manager", firm=firm("F1"))
    response = client.post(
        f"/firm/p/{project.id}/callbacks", data={"n": "4", "seed": "1", "fmt": fmt}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    # References are cut to 64 characters on import: the shorter payloads.
    inert(response.data, fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_indices_export(client, login, demo, fmt):
    from surveyapp.services.admin.demo import seed_responses

    seed_responses(300)
    halls = _db.session.scalars(select(Hall).order_by(Hall.id)).all()
    for hall, payload in zip(halls, PAYLOADS, strict=False):
        hall.name = payload  # e.g. an organisation catalogue imported as typed
    _db.session.commit()
    run = compute_run(demo_period(), "hall")
    login()
    inert(_download(client, f"/office/indices/{run.id}/export.{fmt}"), fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_frame_exports(client, login, demo, fmt):
    """The firm's plan and quota fill carry the service categories as typed."""
    items = _db.session.scalars(select(ServiceItem).order_by(ServiceItem.id)).all()
    for item, payload in zip(items, PAYLOADS * 100, strict=False):
        item.category = payload
    _db.session.commit()
    project = make_project()
    rows = "\n".join(f"{HALL},{i.code},2026-10,{n + 1}" for n, i in enumerate(items))
    frame = f"hall_code,service_item_code,period,volume\n{rows}\n".encode()
    frames.import_frame(project, frame, "f.csv")
    plans.save_plan(project, plans.PlanInput(n=200), None)
    login("m1", "firm_manager", firm=firm("F1"))
    inert(_download(client, f"/firm/p/{project.id}/plan.{fmt}"), fmt)
    inert(_download(client, f"/firm/p/{project.id}/quotas.{fmt}"), fmt)


def test_an_answer_xml_cannot_hold_still_gives_a_readable_xlsx(client, login, submit):
    """Refused at input now; a row stored before (or by any other way) is
    cleaned on export, never a file Excel refuses to open."""
    assert submit(full_answers(1, q_complaint="好\ufffe评")).status_code == 400
    assert submit(full_answers(1, q_complaint="先占位")).status_code == 303
    response = _db.session.scalars(select(Response)).one()
    response.answers = {**response.answers, "complaint": "好\ufffe评\uffff\x01"}
    _db.session.commit()
    login()
    data = _download(client, "/office/responses/export.xlsx")
    book = load_workbook(io.BytesIO(data))
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert "好评" in values
