"""Citizens' responses, attributed to hall, window, service item and version."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import db
from surveyapp.models.base import utcnow
from surveyapp.models.org import Hall, ServiceItem, Window
from surveyapp.models.surveys import QuestionnaireVersion


def _partial(name: str, *columns: str, where: str) -> Index:
    """An index of only the rows `where` holds, in SQLite and PostgreSQL."""
    return Index(name, *columns, sqlite_where=text(where), postgresql_where=text(where))


def _where_set(column: str) -> Index:
    """ix_responses_<column>, of the rows where the column is set."""
    return _partial(f"ix_responses_{column}", column, where=f"{column} IS NOT NULL")


# The review queue's rows (services/quality/review.py); a reviewer's decision
# makes a flagged response ok or rejected.
FLAGGED = "verdict = 'flagged'"


class Response(db.Model):
    __tablename__ = "responses"
    # Every index is upkeep on every citizen's insert (migration 0007): the
    # columns a citizen's response leaves empty (project, quota cell,
    # interviewer, service item) are indexed only where set, which is where
    # their queries look (``col = ?`` implies ``col IS NOT NULL``); the
    # review queue's index holds only its own rows. Nothing looks responses
    # up by version or by rating alone.
    __table_args__ = (
        # The lists page by (submitted_at, id) (services/keyset.py, migration
        # 0011): the id settles ties on a timestamp inside the index.
        Index("ix_responses_submitted_id", "submitted_at", "id"),
        Index("ix_responses_hall_submitted", "hall_id", "submitted_at", "id"),
        # The submitting request's look-up of the window's earlier answers of
        # the same device, address+browser or phone (stuffing and 一事一评,
        # services/quality/verdicts.py): a seek that must name the window,
        # time-bounded, of salted hashes only (migration 0015).
        _partial(
            "ix_responses_window_device",
            "window_id",
            "device_hash",
            "submitted_at",
            where="device_hash IS NOT NULL",
        ),
        _partial(
            "ix_responses_window_ip_ua",
            "window_id",
            "ip_hash",
            "ua_family",
            "submitted_at",
            where="ip_hash IS NOT NULL",
        ),
        _partial(
            "ix_responses_window_phone",
            "window_id",
            "phone_hash",
            "submitted_at",
            where="phone_hash IS NOT NULL",
        ),
        *map(
            _where_set,
            ("service_item_id", "project_id", "quota_cell_id", "interviewer_id"),
        ),
        _partial("ix_responses_review_queue", "submitted_at", "id", where=FLAGGED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The idempotency key signed into the form: a resubmission finds this row.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"))
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    started_at: Mapped[datetime]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_s: Mapped[float] = mapped_column(default=0.0)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    mode: Mapped[str] = mapped_column(String(16), default="qr")
    # Privacy: only salted hashes of the client address and device cookie.
    # Not indexed (migration 0006): the duplicate checks read a period's rows
    # and compare them in memory, no query looks a person up by hash, and an
    # index would be a ready-made lookup of one person's answers (PIPL data
    # minimisation) that every insert had to maintain.
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    ua_family: Mapped[str] = mapped_column(String(32), default="other")
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    # Encrypted (Fernet) so the hall can call back; only with explicit consent.
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    contact_consent: Mapped[bool] = mapped_column(default=False)
    overall: Mapped[int | None]
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    verdict: Mapped[str] = mapped_column(String(16), default="ok")
    quality_score: Mapped[float] = mapped_column(default=1.0)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # --- Survey firms (issue 5): the project (wave) the response belongs to, its
    # quota cell, whether it was over quota (kept, not counted), whether it holds a
    # place in the cell's count now, and the interviewer who entered it.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("survey_projects.id"))
    quota_cell_id: Mapped[int | None] = mapped_column(ForeignKey("quota_cells.id"))
    over_quota: Mapped[bool] = mapped_column(default=False, server_default=false())
    quota_counted: Mapped[bool] = mapped_column(default=False, server_default=false())
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # --- end survey firms
    # --- Quality checks (issue 4; see services/quality/verdicts.py): the machine's own
    # verdict (``verdict`` above is the effective one, a reviewer's decision
    # wins until reversed), presence and bot evidence captured at submission.
    auto_verdict: Mapped[str | None] = mapped_column(String(16))
    reviewed: Mapped[bool] = mapped_column(default=False, server_default=false())
    judged_at: Mapped[datetime | None]
    honeypot: Mapped[bool] = mapped_column(default=False, server_default=false())
    has_form_cookie: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Age of the rotating window-screen code when the form was opened (None: poster).
    rotating_token_age_s: Mapped[float | None]
    transaction_code_hash: Mapped[str | None] = mapped_column(String(64))
    # The receipt code's keyed hash (issue 21): set for a bad rating or a
    # complaint; the code itself is never stored (services/responses/receipts.py).
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # --- end quality checks
    # 一事一评: a second submission of the same visit replaces the answers; the
    # earlier ones are kept here, oldest first (services/responses/revisions.py).
    revisions: Mapped[list | None] = mapped_column(JSON)

    version: Mapped[QuestionnaireVersion] = relationship()
    hall: Mapped[Hall] = relationship()
    window: Mapped[Window | None] = relationship()
    service_item: Mapped[ServiceItem | None] = relationship()


class ResponseDayCount(db.Model):
    """Rollup: responses per local day (TIMEZONE), hall, rating (0: none) and verdict, for
    the days before its mark (services/responses/rollups.py; docs/operations.md)."""

    __tablename__ = "response_day_counts"

    day: Mapped[date] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), primary_key=True)
    overall: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    verdict: Mapped[str] = mapped_column(String(16), primary_key=True)
    responses: Mapped[int] = mapped_column(default=0)


class RollupMark(db.Model):
    """How far a rollup reaches: its rows hold every day before `through`."""

    __tablename__ = "rollup_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    through: Mapped[date]
