"""Storing a citizen's response: one short transaction, idempotent on retries."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.models.base import utcnow
from surveyapp.observability import count_submission
from surveyapp.security import encrypt_text, salted_hash
from surveyapp.services.complaints.withdrawal import follow_revision
from surveyapp.services.fieldwork.quotas import attach_response
from surveyapp.services.organisation.catalogue import ServiceChoice, service_items_for
from surveyapp.services.quality.verdicts import (
    earlier_sharing,
    judge_on_submit,
    presence_errors,
    settings_from_config,
)
from surveyapp.services.questionnaires.answers import Getter, clean_answers
from surveyapp.services.questionnaires.versions import FormVersion, Place
from surveyapp.services.responses.receipts import needs_receipt, receipt_hash_for
from surveyapp.services.responses.revisions import revise, same_visit

_TICKET_SALT = "form-ticket"
TICKET_MAX_AGE = 24 * 3600
_PHONE = re.compile(r"^1[3-9][0-9]{9}$")


class InvalidTicket(Exception):
    """The signed form ticket is missing, altered or too old."""


class InvalidSubmission(Exception):
    """Answers that do not fit the questionnaire version; `errors` per question."""

    def __init__(self, errors: dict):
        super().__init__("invalid submission")
        self.errors = errors


@dataclass(frozen=True)
class Ticket:
    """Signed into the form when it is shown: who started, when, on which
    form (the questionnaire version, hall and window of the code it was shown
    on) and, for the citizen's form, to which browser (`binding`)."""

    key: str
    started_at: datetime
    version_id: int
    hall_id: int
    window_id: int | None
    binding: str | None = None


def _ticket_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_TICKET_SALT)


def issue_ticket(
    version_id: int,
    hall_id: int,
    window_id: int | None,
    *,
    binding: str | None = None,
    now: datetime | None = None,
) -> str:
    now = now or utcnow()
    payload = [uuid.uuid4().hex, now.timestamp(), version_id, hall_id, window_id]
    return _ticket_serializer().dumps([*payload, binding])


def read_ticket(token: str | None) -> Ticket:
    if not token:
        raise InvalidTicket("missing")
    try:
        payload = _ticket_serializer().loads(token, max_age=TICKET_MAX_AGE)
        key, started, version_id, hall_id, window_id, binding = payload
        return Ticket(
            str(key),
            datetime.fromtimestamp(float(started)),
            int(version_id),
            int(hall_id),
            None if window_id is None else int(window_id),
            None if binding is None else str(binding),
        )
    except (BadSignature, ValueError, TypeError):
        raise InvalidTicket("bad") from None


class TicketForAnotherCode(InvalidTicket):
    """The ticket was issued on another hall's or window's code."""


@dataclass
class SubmissionContext:
    """Where the answer came from; everything personal is hashed before storing."""

    hall: Place
    window: Place | None
    version: FormVersion
    ticket: Ticket
    language: str = "zh"
    client_address: str | None = None
    user_agent: str = ""
    device_id: str | None = None
    mode: str = "qr"
    interviewer_id: int | None = None
    extra: dict = field(default_factory=dict)


def normalise_phone(raw: str) -> str | None:
    digits = re.sub(r"[\s\-+]", "", raw or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE.match(digits) else None


def ua_family(user_agent: str) -> str:
    ua = (user_agent or "").lower()
    for needle, family in (
        ("micromessenger", "wechat"),
        ("alipay", "alipay"),
        ("headless", "headless"),
        ("bot", "bot"),
        ("spider", "bot"),
        ("curl", "script"),
        ("python", "script"),
        ("wget", "script"),
        ("edg/", "edge"),
        ("firefox", "firefox"),
        ("chrome", "chrome"),
        ("safari", "safari"),
    ):
        if needle in ua:
            return family
    return "other"


def validate_submission(
    ctx: SubmissionContext, getlist: Getter
) -> tuple[dict, dict, ServiceChoice | None, str | None, bool]:
    """Check everything before anything is written. Returns answers, errors,
    service item, normalised phone and consent."""
    from flask_babel import lazy_gettext as _l

    text_max = current_app.config["FREE_TEXT_MAX"]
    answers, errors = clean_answers(ctx.version.definition, getlist, text_max=text_max)
    item = None
    raw_item = (getlist("service_item") or [""])[0]
    if raw_item:
        allowed = {str(i.id): i for i in service_items_for(ctx.hall, ctx.window)}
        item = allowed.get(raw_item)
        if item is None:
            errors["service_item"] = _l("Please choose one of the options.")
    phone = None
    consent = (getlist("contact_consent") or [""])[0] in ("y", "1", "on", "true")
    raw_phone = (getlist("phone") or [""])[0].strip()
    if raw_phone:
        phone = normalise_phone(raw_phone)
        if phone is None:
            errors["phone"] = _l(
                "Please enter an 11-digit mobile number, or leave it empty."
            )
        elif not consent:
            errors["phone"] = _l("Please tick the box to allow us to contact you.")
    return answers, errors, item, phone, consent


def submit_response(ctx: SubmissionContext, getlist: Getter) -> Stored:
    """Validate and store one response in one short transaction. A retry with
    the same ticket (the idempotency key) returns the stored response instead
    of a second one: the unique public_id refuses the second row and the
    whole attempt, quota claim included, is rolled back."""
    window_id = ctx.window.id if ctx.window else None
    if (ctx.ticket.hall_id, ctx.ticket.window_id) != (ctx.hall.id, window_id):
        raise TicketForAnotherCode("target")
    if ctx.ticket.version_id != ctx.version.id:
        raise InvalidTicket("version")
    answers, errors, item, phone, consent = validate_submission(ctx, getlist)
    # The 一事一评 transaction code, when the hall requires one.
    errors.update(presence_errors(ctx))
    if errors:
        raise InvalidSubmission(errors)
    now = utcnow()
    started = min(ctx.ticket.started_at, now)
    comment = " ".join(
        answers[q["key"]]
        for q in ctx.version.definition["questions"]
        if q["kind"] == "text" and answers.get(q["key"]) and q.get("show_if")
    )
    response = Response(
        public_id=ctx.ticket.key,
        version_id=ctx.version.id,
        hall_id=ctx.hall.id,
        window_id=window_id,
        service_item_id=item.id if item else None,
        started_at=started,
        submitted_at=now,
        duration_s=max((now - started) / timedelta(seconds=1), 0.0),
        language=ctx.language,
        mode=ctx.mode,
        ip_hash=salted_hash(ctx.client_address, purpose="ip"),
        device_hash=salted_hash(ctx.device_id, purpose="device"),
        ua_family=ua_family(ctx.user_agent),
        phone_hash=salted_hash(phone, purpose="phone"),
        phone_encrypted=encrypt_text(phone) if phone and consent else None,
        contact_consent=bool(phone and consent),
        overall=answers.get("overall"),
        answers=answers,
        comment=comment,
    )
    # 一事一评: the same browser's second submission for this window's visit
    # updates that rating (services/responses/revisions.py).
    max_overall = current_app.config.get("CASE_MAX_OVERALL", 2)
    # The window's earlier answers sharing a key with this one: read once,
    # for the visit and the live duplicate check.
    settings = settings_from_config()
    shared = earlier_sharing(response, settings)
    earlier = same_visit(response, now, shared.get("device"))
    if earlier is not None:
        before = earlier.overall
        if revise(earlier, response, now):
            follow_revision(earlier, before, now)
        if not earlier.receipt_hash and needs_receipt(
            earlier.overall, earlier.comment, max_overall
        ):
            earlier.receipt_hash = receipt_hash_for(earlier.public_id)
        db.session.commit()
        return Stored.of(earlier, created=False, revised=True)
    if needs_receipt(response.overall, comment, max_overall):
        response.receipt_hash = receipt_hash_for(response.public_id)
    try:
        # The cheap quality verdict comes before the quota claim; it never raises.
        judge_on_submit(response, ctx, shared, settings)
        # Attach to a survey project and claim a quota place with a conditional
        # UPDATE in this same transaction (see services/fieldwork/quotas.py).
        attach_response(response, ctx)
        # Core on the session's connection: its transaction, without the ORM's
        # execution layer for a statement that needs none of it.
        response.id = (
            db.session.connection()
            .execute(_INSERT_RESPONSE, _row_values(response))
            .scalar_one()
        )
        db.session.commit()
    except IntegrityError:
        # The same ticket was stored before (a retry, or a concurrent one
        # that won the race): return that row.
        db.session.rollback()
        existing = find_by_key(ctx.ticket.key)
        if existing is None:
            raise
        return Stored.of(existing, created=False)
    count_submission()
    return Stored.of(response, created=True)


# The citizen's row is one Core INSERT ... RETURNING in the session's
# transaction (with the quota place or transaction code claimed in it, if
# any): the ORM's unit of work would add its flush bookkeeping for a row
# nothing reads back in this request. The table's defaults fill the columns
# the submission left unset.
_INSERT_RESPONSE = insert(Response.__table__).returning(Response.__table__.c.id)
_COLUMN_KEYS = tuple(column.key for column in Response.__table__.columns)


def _row_values(response: Response) -> dict:
    """The column values set on the (never added) Response object."""
    given = inspect(response).dict
    return {key: given[key] for key in _COLUMN_KEYS if key in given}


@dataclass(frozen=True)
class Stored:
    """What the caller needs of a stored response."""

    id: int
    public_id: str
    has_comment: bool
    over_quota: bool
    created: bool
    # 一事一评: this submission updated the visit's earlier rating.
    revised: bool = False

    @classmethod
    def of(cls, response: Response, created: bool, revised: bool = False) -> Stored:
        return cls(
            response.id,
            response.public_id,
            bool(response.comment),
            bool(response.over_quota),
            created,
            revised,
        )


def find_by_key(key: str) -> Response | None:
    return db.session.scalar(select(Response).where(Response.public_id == key))
