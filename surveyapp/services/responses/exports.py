"""Exports of responses as CSV or XLSX: one row per response, codes not names.

Rows are read in batches and written as they are read (tables.writer), so an
export of a year's responses stays in bounded memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from surveyapp.extensions import db
from surveyapp.models import (
    Department,
    Hall,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    ServiceItem,
    Window,
)
from surveyapp.services.quality.verdicts import reason_texts
from surveyapp.services.questionnaires.answers import answer_cells, answer_columns
from surveyapp.services.responses.summaries import ResponseFilter
from surveyapp.tables.times import local_iso
from surveyapp.tables.writer import (
    FORMATS,
    Sheet,
    check_format,
    table_file,
    write_table,
)

__all__ = [
    "FIXED_COLUMNS",
    "FORMATS",
    "export_responses",
    "response_sheet",
    "write_export",
]

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
# Rows fetched from the database at a time.
BATCH = 500

_ITEM_DEPARTMENT = aliased(Department)
_WINDOW_DEPARTMENT = aliased(Department)


def _versions(filters: ResponseFilter) -> dict[int, tuple[str, int, dict]]:
    """The questionnaire versions the selected responses answered:
    {id: (questionnaire code, version number, definition)}."""
    ids = filters.apply(select(Response.version_id).distinct())
    rows = db.session.execute(
        select(
            QuestionnaireVersion.id,
            Questionnaire.code,
            QuestionnaireVersion.number,
            QuestionnaireVersion.definition,
        )
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(QuestionnaireVersion.id.in_(ids))
        .order_by(QuestionnaireVersion.id)
    )
    return {row.id: (row.code, row.number, row.definition) for row in rows}


def _answer_columns(versions: dict[int, tuple[str, int, dict]]) -> list[str]:
    return answer_columns(
        definition for _code, _number, definition in versions.values()
    )


def _query(filters: ResponseFilter):
    return (
        filters.apply(
            select(
                Response.id,
                Response.public_id,
                Hall.code.label("hall_code"),
                Window.code.label("window_code"),
                ServiceItem.code.label("item_code"),
                func.coalesce(_ITEM_DEPARTMENT.code, _WINDOW_DEPARTMENT.code).label(
                    "department_code"
                ),
                Response.version_id,
                Response.started_at,
                Response.submitted_at,
                Response.duration_s,
                Response.language,
                Response.mode,
                Response.ua_family,
                Response.contact_consent,
                Response.verdict,
                Response.quality_score,
                Response.reasons,
                Response.answers,
            )
            .join(Hall, Hall.id == Response.hall_id)
            .outerjoin(Window, Window.id == Response.window_id)
            .outerjoin(ServiceItem, ServiceItem.id == Response.service_item_id)
            .outerjoin(
                _ITEM_DEPARTMENT, _ITEM_DEPARTMENT.id == ServiceItem.department_id
            )
            .outerjoin(
                _WINDOW_DEPARTMENT, _WINDOW_DEPARTMENT.id == Window.department_id
            )
        )
        .order_by(Response.submitted_at, Response.id)
        .execution_options(yield_per=BATCH)
    )


def response_rows(filters: ResponseFilter) -> tuple[list[str], Iterator[list]]:
    """The header, and the rows as an iterator that reads them in batches."""
    versions = _versions(filters)
    answer_columns = _answer_columns(versions)
    tz = current_app.config.get("TIMEZONE", "Asia/Shanghai")

    def rows() -> Iterator[list]:
        for r in db.session.execute(_query(filters)):
            code, number, definition = versions[r.version_id]
            flat = answer_cells(definition, r.answers or {})
            yield [
                r.id,
                r.public_id,
                r.hall_code,
                r.window_code or "",
                r.item_code or "",
                r.department_code or "",
                code,
                number,
                local_iso(r.started_at, tz),
                local_iso(r.submitted_at, tz),
                round(r.duration_s, 1),
                r.language,
                r.mode,
                r.ua_family,
                int(r.contact_consent),
                r.verdict,
                round(r.quality_score, 3),
                "|".join(r.reasons or []),
                _reasons_text(r.reasons),
            ] + [flat.get(column) for column in answer_columns]

    return FIXED_COLUMNS + answer_columns, rows()


def _reasons_text(codes: list | None) -> str:
    zh, en = reason_texts(codes, "zh"), reason_texts(codes, "en")
    return "；".join(f"{a} / {b}" for a, b in zip(zh, en, strict=True))


def response_sheet(filters: ResponseFilter) -> Sheet:
    """The export's one sheet; its rows are read as they are iterated."""
    header, rows = response_rows(filters)
    return Sheet("responses", header, rows)


def export_responses(filters: ResponseFilter, fmt: str) -> IO[bytes]:
    """The export as a file to send and close (tables.writer.table_file)."""
    check_format(fmt)
    return table_file(fmt, [response_sheet(filters)])


def write_export(filters: ResponseFilter, fmt: str, out: Path) -> int:
    """Write the export to `out`, readable by its owner only (it holds what
    citizens wrote); returns its size in bytes."""
    check_format(fmt)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file was there before
    with os.fdopen(descriptor, "wb") as handle:
        write_table(handle, fmt, [response_sheet(filters)])
    return out.stat().st_size
