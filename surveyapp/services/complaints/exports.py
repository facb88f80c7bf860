"""Export of the 差评 follow-up cases (CSV/XLSX), for the office's own reports."""

from __future__ import annotations

from typing import IO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import Complaint, ComplaintCase
from surveyapp.services.complaints.cases import OPEN_STATES, is_overdue
from surveyapp.services.responses.counting import case_counts
from surveyapp.tables.times import local_iso
from surveyapp.tables.writer import Sheet, check_format, table_file

CASE_COLUMNS = [
    "case_id",
    "hall_code",
    "window_code",
    "department_code",
    "state",
    "overdue",
    "opened_at",
    "due_at",
    "replied_at",
    "closed_at",
    "overall",
    "category",
    "complaint",
    "assignee",
    "rectification",
    "reply",
    "reply_channel",
    "fix_rating",
    "callback_at",
    "callback_outcome",
]
BATCH = 500


def _query(state: str | None, hall_id: int | None, overdue: bool):
    query = (
        select(ComplaintCase)
        .options(
            joinedload(ComplaintCase.hall),
            joinedload(ComplaintCase.department),
            joinedload(ComplaintCase.complaint)
            .joinedload(Complaint.response)
            .joinedload(Response.window),
        )
        .order_by(ComplaintCase.opened_at, ComplaintCase.id)
        .where(case_counts())
    )
    if state:
        query = query.where(ComplaintCase.state == state)
    if hall_id:
        query = query.where(ComplaintCase.hall_id == hall_id)
    if overdue:
        query = query.where(
            ComplaintCase.state.in_(OPEN_STATES), ComplaintCase.due_at < utcnow()
        )
    return query.execution_options(yield_per=BATCH)


def _rows(query, tz: str):
    now = utcnow()
    for case in db.session.scalars(query):
        complaint = case.complaint
        response = complaint.response
        yield [
            case.id,
            case.hall.code,
            response.window.code if response.window else "",
            case.department.code if case.department else "",
            case.state,
            int(is_overdue(case, now)),
            local_iso(case.opened_at, tz),
            local_iso(case.due_at, tz),
            local_iso(case.replied_at, tz),
            local_iso(case.closed_at, tz),
            response.overall,
            complaint.effective_category or "",
            complaint.text,
            case.assignee,
            case.rectification,
            case.reply,
            case.reply_channel,
            case.fix_rating,
            local_iso(case.callback_at, tz),
            case.callback_outcome,
        ]


def export_cases(
    fmt: str,
    state: str | None = None,
    hall_id: int | None = None,
    overdue: bool = False,
) -> IO[bytes]:
    """The cases the list shows (same filters), with the citizen's complaint
    and the unit's reply, never the phone; a file to send and close."""
    check_format(fmt)
    return table_file(fmt, [case_sheet(state, hall_id, overdue)])


def case_sheet(
    state: str | None = None, hall_id: int | None = None, overdue: bool = False
) -> Sheet:
    """The cases export's one sheet; its rows are read as they are iterated
    (a streamed download, downloads.stream_csv)."""
    tz = current_app.config.get("TIMEZONE", "Asia/Shanghai")
    return Sheet("cases", CASE_COLUMNS, _rows(_query(state, hall_id, overdue), tz))
