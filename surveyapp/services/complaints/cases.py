"""差评 follow-up cases: working-day deadlines, state transitions, per-unit rates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from surveyapp.extensions import db
from surveyapp.models import Department, Hall, User
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import (
    CASE_STATES,
    CaseEvent,
    Complaint,
    ComplaintCase,
)
from surveyapp.models.users import ROLE_ADMIN, ROLE_ANALYST
from surveyapp.security import decrypt_text
from surveyapp.services.admin.users import audit
from surveyapp.services.complaints.workdays import add_working_days
from surveyapp.services.keyset import Cursor, KeysetPage, keyset_page
from surveyapp.services.responses.counting import case_counts
from surveyapp.tables.cells import has_unstorable

# Allowed moves. A citizen may appeal a reply or a closed case; an appeal goes
# back to the unit (assigned or being fixed) or is answered again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("assigned",),
    "assigned": ("being_fixed", "replied"),
    "being_fixed": ("replied",),
    "replied": ("closed", "appealed"),
    "closed": ("appealed",),
    "appealed": ("assigned", "being_fixed", "replied"),
}
OPEN_STATES = ("new", "assigned", "being_fixed", "appealed")


class CaseError(ValueError):
    """A transition that is not allowed, or a reply without text."""


class UnstorableText(CaseError):
    """A note, reply or name holds characters no export could store."""


def _dates(values: Iterable[str]) -> list[date]:
    return [date.fromisoformat(v.strip()) for v in values if v.strip()]


def deadline(opened_at: datetime) -> datetime:
    """End of the local day N working days after opening, as naive UTC.
    Working days follow China's official calendar (workdays.py);
    CASE_HOLIDAYS and CASE_EXTRA_WORKDAYS override it day by day."""
    config = current_app.config
    tz = ZoneInfo(config.get("TIMEZONE", "Asia/Shanghai"))
    local_day = opened_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date()
    due_day = add_working_days(
        local_day,
        int(config.get("CASE_DEADLINE_WORKING_DAYS", 5)),
        _dates(config.get("CASE_HOLIDAYS", ())),
        _dates(config.get("CASE_EXTRA_WORKDAYS", ())),
    )
    end = datetime.combine(due_day + timedelta(days=1), time(0), tzinfo=tz)
    return end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def case_values(overall: int | None, submitted_at: datetime | None) -> dict | None:
    """When and by when a case opens for a complaint of this rating; None if
    it opens none. Every bad rating (overall <= CASE_MAX_OVERALL) with a
    complaint is a case."""
    if overall is None or overall > current_app.config.get("CASE_MAX_OVERALL", 2):
        return None
    opened = submitted_at or utcnow()
    return {"opened_at": opened, "due_at": deadline(opened)}


def follow_routing(complaint: Complaint) -> None:
    """A new case follows its complaint to the unit it was routed to."""
    case = complaint.case
    if case is not None and case.state == "new":
        case.department_id = complaint.department_id


def transition(
    case: ComplaintCase,
    to_state: str,
    user: User | None,
    *,
    note: str = "",
    reply: str = "",
    assignee: str = "",
    now: datetime | None = None,
    client_address: str | None = None,
) -> ComplaintCase:
    """Move a case; a reply needs its text (sent by phone when the citizen left one).
    A note typed with the reply is kept in the step's history beside it. Closing
    deletes the citizen's call-back phone (audited), as the consent promised."""
    if case.withdrawn_at is not None:
        raise CaseError("a withdrawn case cannot move")
    if to_state not in TRANSITIONS.get(case.state, ()):
        raise CaseError(f"a case cannot go from {case.state} to {to_state}")
    now = now or utcnow()
    note, reply = (note or "").strip(), (reply or "").strip()
    if any(has_unstorable(text) for text in (note, reply, assignee or "")):
        raise UnstorableText("the text holds characters that cannot be stored")
    if to_state == "replied":
        if not reply:
            raise CaseError("a reply needs its text")
        case.reply = reply
        case.reply_channel = (
            "phone" if case.complaint.response.contact_consent else "none"
        )
        case.replied_at = case.replied_at or now
    if to_state == "assigned" and assignee.strip():
        case.assignee = assignee.strip()[:120]
    if to_state == "being_fixed" and note:
        case.rectification = note
    if to_state == "closed":
        case.closed_at = now
        forget_phone(case, user, client_address)
    if to_state == "appealed":
        case.closed_at = None
    case.events.append(
        CaseEvent(
            from_state=case.state,
            to_state=to_state,
            user_id=user.id if user is not None else None,
            note="\n\n".join(t for t in (note, reply) if t),
            created_at=now,
        )
    )
    case.state = to_state
    db.session.commit()
    return case


def forget_phone(
    case: ComplaintCase, user: User | None, client_address: str | None = None
) -> bool:
    """Delete the citizen's call-back phone once the case is handled (closed);
    the salted hash stays for the duplicate checks until the retention purge.
    Audited; no commit. Returns whether there was one."""
    response = case.complaint.response
    if not response.phone_encrypted:
        return False
    response.phone_encrypted = None
    audit(
        user,
        "complaints.delete_phone",
        target=f"case:{case.id}",
        detail={"response": response.id},
        client_address=client_address,
        commit=False,
    )
    return True


def _overdue(state: str, due_at: datetime, now: datetime) -> bool:
    return state in OPEN_STATES and now > due_at


def is_overdue(case: ComplaintCase, now: datetime | None = None) -> bool:
    """Not yet answered and past its deadline (an appeal is owed an answer too);
    a withdrawn case is owed nothing."""
    if case.withdrawn_at is not None:
        return False
    return _overdue(case.state, case.due_at, now or utcnow())


@dataclass
class CaseRates:
    """Counts of a set of cases and the two rates made from them."""

    cases: int = 0
    rectified: int = 0
    on_time: int = 0
    due: int = 0
    overdue: int = 0
    fix_rated: int = 0  # cases whose citizen rated the fix
    fix_satisfied: int = 0  # rated 满意 (3) or 基本满意 (2)

    @property
    def rectification_rate(self) -> float | None:
        return self.rectified / self.cases if self.cases else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def fix_satisfaction_rate(self) -> float | None:
        """整改满意率: 满意 or 基本满意, over the cases whose citizen rated the fix."""
        return self.fix_satisfied / self.fix_rated if self.fix_rated else None

    def count(
        self,
        state: str,
        replied_at: datetime | None,
        due_at: datetime,
        now: datetime,
        fix_rating: int | None = None,
    ) -> None:
        """Add one case: rectified when replied or closed; due once replied or
        past its deadline, and on time when replied by the deadline; its
        citizen's rating of the fix, if any."""
        if fix_rating is not None:
            self.fix_rated += 1
            self.fix_satisfied += fix_rating >= 2
        self.cases += 1
        self.rectified += state in ("replied", "closed")
        if replied_at is not None or now > due_at:
            self.due += 1
            self.on_time += replied_at is not None and replied_at <= due_at
        self.overdue += _overdue(state, due_at, now)


def rate_columns(now: datetime) -> list:
    """CaseRates.count as SQL sums over a query of ComplaintCase rows, in the
    order of CaseRates' fields: the rates of many cases without loading them."""
    cases = ComplaintCase
    past_due = cases.due_at < now
    due = or_(cases.replied_at.is_not(None), past_due)
    on_time = and_(cases.replied_at.is_not(None), cases.replied_at <= cases.due_at)
    overdue = and_(cases.state.in_(OPEN_STATES), past_due)

    def total(condition) -> object:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return [
        func.count(cases.id),
        total(cases.state.in_(("replied", "closed"))),
        total(on_time),
        total(due),
        total(overdue),
        total(cases.fix_rating.is_not(None)),
        total(cases.fix_rating >= 2),
    ]


def rates_of(row) -> CaseRates:
    """The CaseRates of a row of `rate_columns` sums."""
    return CaseRates(*(int(value or 0) for value in row))


@dataclass
class UnitRates(CaseRates):
    hall: str = ""
    department: str = ""


def unit_rates(now: datetime | None = None) -> list[UnitRates]:
    """Per hall and department: rectification rate (replied or closed, of all
    cases) and on-time rate (replied by the deadline, of cases replied or due),
    summed by the database by ids; the names are joined on afterwards (a
    grouping by text would sort every case by its names)."""
    now = now or utcnow()
    cases = ComplaintCase
    query = select(cases.hall_id, cases.department_id, *rate_columns(now)).group_by(
        cases.hall_id, cases.department_id
    )
    sums = db.session.execute(query.where(case_counts())).all()
    halls = dict(db.session.execute(select(Hall.id, Hall.name)).all())
    department_ids = {row[1] for row in sums if row[1] is not None}
    departments = dict(
        db.session.execute(
            select(Department.id, Department.name).where(
                Department.id.in_(department_ids)
            )
        ).all()
    )
    units = [
        UnitRates(
            *(int(value or 0) for value in row[2:]),
            hall=halls.get(row[0], ""),
            department=departments.get(row[1], ""),
        )
        for row in sums
    ]
    return sorted(units, key=lambda u: (u.hall, u.department))


def _case_query(
    state: str | None,
    hall_id: int | None,
    overdue: bool,
    now: datetime,
    withdrawn: bool = False,
) -> Select:
    """The cases that count (or, with `withdrawn`, only the withdrawn ones)."""
    query = select(ComplaintCase).where(~case_counts() if withdrawn else case_counts())
    if state:
        query = query.where(ComplaintCase.state == state)
    if hall_id:
        query = query.where(ComplaintCase.hall_id == hall_id)
    if overdue:
        query = query.where(
            ComplaintCase.state.in_(OPEN_STATES), ComplaintCase.due_at < now
        )
    return query


def list_cases(
    state: str | None = None,
    hall_id: int | None = None,
    overdue: bool = False,
    *,
    withdrawn: bool = False,
    cursor: Cursor | None = None,
    per_page: int = 50,
) -> KeysetPage:
    """One page of the cases, soonest due first (keyset pages by (due_at, id))."""
    query = _case_query(state, hall_id, overdue, utcnow(), withdrawn).options(
        joinedload(ComplaintCase.hall),
        joinedload(ComplaintCase.department),
        joinedload(ComplaintCase.complaint),
    )
    return keyset_page(
        query,
        ComplaintCase.due_at,
        ComplaintCase.id,
        descending=False,
        cursor=cursor,
        per_page=per_page,
    )


def handler_id(case: ComplaintCase) -> int | None:
    """The case's handler: the office user it is assigned to.

    Cases are assigned to a person, not to a user account of a department, so
    the handler is the office user whose username is the case's "assigned to"
    name; when that names no user (a department official), it is the user
    who recorded the latest assignment. A case not yet assigned has none."""
    assigned = [e for e in case.events if e.to_state == "assigned"]
    if not assigned:
        return None
    name = (case.assignee or "").strip()
    if name:
        named = db.session.scalar(
            select(User.id).where(
                User.username == name,
                User.active.is_(True),
                User.role.in_((ROLE_ADMIN, ROLE_ANALYST)),
            )
        )
        if named is not None:
            return named
    return assigned[-1].user_id


def may_reveal_contact(case: ComplaintCase, user: User) -> bool:
    """Admins, and the case's handler (handler_id), may see the citizen's phone."""
    return user.role == ROLE_ADMIN or (
        user.id is not None and user.id == handler_id(case)
    )


class NotHandler(PermissionError):
    """The user is neither an admin nor the case's handler."""


def reveal_contact(
    case: ComplaintCase, user: User, client_address: str | None = None
) -> str | None:
    """The citizen's phone (only with their consent) for the case's handler or
    an admin; raises NotHandler for anyone else. Each look is audited."""
    if not may_reveal_contact(case, user):
        raise NotHandler(f"user {user.id} does not handle case {case.id}")
    response = case.complaint.response
    if not (response.contact_consent and response.phone_encrypted):
        return None
    audit(
        user,
        "complaints.reveal_phone",
        target=f"case:{case.id}",
        client_address=client_address,
    )
    return decrypt_text(response.phone_encrypted)


def state_counts(now: datetime | None = None) -> list[tuple[str, int, int]]:
    """Every state with its number of cases and how many of them are overdue."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            ComplaintCase.state,
            func.count(ComplaintCase.id),
            func.sum(
                case(
                    (
                        ComplaintCase.state.in_(OPEN_STATES)
                        & (ComplaintCase.due_at < now),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .where(case_counts())
        .group_by(ComplaintCase.state)
    ).all()
    found = {state: (int(count), int(late or 0)) for state, count, late in rows}
    return [(state, *found.get(state, (0, 0))) for state in CASE_STATES]
