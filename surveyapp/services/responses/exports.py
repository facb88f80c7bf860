"""Exports of responses as CSV or XLSX: one row per response, codes not names."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion, Response
from surveyapp.services.questionnaires import answers as questionnaire_answers
from surveyapp.services.responses.summaries import ResponseFilter

FIXED_COLUMNS = [
    "response_id",
    "public_id",
    "hall_code",
    "window_code",
    "service_item_code",
    "department_code",
    "questionnaire",
    "questionnaire_version",
    "started_at",
    "submitted_at",
    "duration_s",
    "language",
    "mode",
    "ua_family",
    "contact_consent",
    "verdict",
    "quality_score",
    "reasons",
    "reasons_text",  # quality (issue 4): the reasons in Chinese / English
]
FORMATS = ("csv", "xlsx")


def local_iso(value: datetime | None, tz: str = "Asia/Shanghai") -> str:
    if value is None:
        return ""
    return (
        value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")
    )


def _answer_columns(version_ids: list[int]) -> list[str]:
    versions = db.session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.id.in_(version_ids))
        .order_by(QuestionnaireVersion.id)
    )
    return questionnaire_answers.answer_columns(v.definition for v in versions)


def response_rows(filters: ResponseFilter) -> tuple[list[str], list[list]]:
    query = filters.apply(
        select(Response).options(
            joinedload(Response.hall),
            joinedload(Response.window),
            joinedload(Response.service_item),
            joinedload(Response.version).joinedload(QuestionnaireVersion.questionnaire),
        )
    ).order_by(Response.submitted_at, Response.id)
    responses = db.session.scalars(query).unique().all()
    answer_columns = _answer_columns(sorted({r.version_id for r in responses}))
    header = FIXED_COLUMNS + answer_columns
    rows = []
    for r in responses:
        flat = questionnaire_answers.answer_cells(r.version.definition, r.answers or {})
        item = r.service_item
        department = (
            item.department.code
            if item
            else (r.window.department.code if r.window and r.window.department else "")
        )
        rows.append(
            [
                r.id,
                r.public_id,
                r.hall.code,
                r.window.code if r.window else "",
                item.code if item else "",
                department,
                r.version.questionnaire.code,
                r.version.number,
                local_iso(r.started_at),
                local_iso(r.submitted_at),
                round(r.duration_s, 1),
                r.language,
                r.mode,
                r.ua_family,
                int(r.contact_consent),
                r.verdict,
                round(r.quality_score, 3),
                "|".join(r.reasons or []),
                _reasons_text(r.reasons),
            ]
            + [flat.get(column) for column in answer_columns]
        )
    return header, rows


def _reasons_text(codes: list | None) -> str:
    from surveyapp.services.quality.verdicts import reason_texts

    zh, en = reason_texts(codes, "zh"), reason_texts(codes, "en")
    return "；".join(f"{a} / {b}" for a, b in zip(zh, en, strict=True))


def export_responses(filters: ResponseFilter, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    header, rows = response_rows(filters)
    return table_bytes(header, rows, fmt, sheet="responses")


def table_bytes(
    header: list[str], rows: list[list], fmt: str, sheet: str = "data"
) -> bytes:
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(rows)
        # UTF-8 with BOM so Excel opens Chinese text correctly.
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_export(filters: ResponseFilter, fmt: str, out: Path) -> int:
    data = export_responses(filters, fmt)
    out.write_bytes(data)
    return len(data)
