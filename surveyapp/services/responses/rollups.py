"""The responses' daily rollup: counts per local day (TIMEZONE, the days every
period and filter uses), hall, rating and verdict.

The office summary and the responses list's total add the rollup's rows for
the days before its mark to a live count of the responses since (a day or
so, read through the submitted_at index), so they read thousands of rows
instead of millions and still count every response. ``refresh`` recomputes
a range of days and moves the mark (``flask responses rollup``, nightly);
a verdict changed on a rolled-up day moves its count at once (apply_verdict
calls ``move_verdict``). docs/operations.md tells the operator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, delete, func, insert, literal_column, select, update

from surveyapp.extensions import db
from surveyapp.models import Response, ResponseDayCount, RollupMark
from surveyapp.models.base import utcnow

NAME = "response_day_counts"
# A response's rating in the rollup, 0 when it gave none; the 0 is written in
# the SQL (not a parameter) so PostgreSQL sees one expression in SELECT and
# GROUP BY.
RATING = func.coalesce(Response.overall, literal_column("0"))
# A nightly refresh recomputes this many days before the mark as well, so a
# response entered late (a firm's back-dated interview) is counted too.
SETTLE_DAYS = 7


def _offset() -> timedelta:
    """The local zone's offset from UTC. China keeps one all year (no summer
    time since 1991), so a local day is a fixed span of stored UTC times."""
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    return utcnow().replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).utcoffset()


def _day_start(day: date) -> datetime:
    """The local day's first moment as a naive UTC time (as stored); the
    first day of the calendar is the beginning of time."""
    if day <= date.min + timedelta(days=1):
        return datetime.min
    return datetime(day.year, day.month, day.day) - _offset()


def _local_day():
    """SQL: the local day of a response's submitted_at (naive UTC)."""
    hours = int(_offset().total_seconds() // 3600)
    if db.session.get_bind().dialect.name == "sqlite":
        return func.date(Response.submitted_at, f"{hours:+d} hours")
    return func.date(Response.submitted_at + timedelta(hours=hours))


def local_today() -> date:
    return (utcnow() + _offset()).date()


def mark() -> date | None:
    """The first day the rollup does not hold (None: no rollup yet)."""
    return db.session.scalar(select(RollupMark.through).where(RollupMark.name == NAME))


def refresh(start: date | None = None, through: date | None = None) -> int:
    """Recompute the rollup for the days from `start` (default: SETTLE_DAYS
    before the mark; every day when there is no mark) up to `through`
    (default: today, local), and move the mark to `through`. Returns how many
    rows the rollup holds. One transaction: readers see the old rollup or the
    new one."""
    through = through or local_today()
    current = mark()
    if start is None and current is not None:
        start = min(current, through) - timedelta(days=SETTLE_DAYS)
    day = _local_day()
    source = select(
        day,
        Response.hall_id,
        RATING,
        Response.verdict,
        func.count(),
    ).where(Response.submitted_at < _day_start(through))
    stale = delete(ResponseDayCount)
    if start is not None:
        source = source.where(Response.submitted_at >= _day_start(start))
        stale = stale.where(ResponseDayCount.day >= start)
    source = source.group_by(day, Response.hall_id, RATING, Response.verdict)
    db.session.execute(stale)
    db.session.execute(
        insert(ResponseDayCount).from_select(
            ["day", "hall_id", "overall", "verdict", "responses"], source
        )
    )
    if current is None:
        db.session.add(RollupMark(name=NAME, through=through))
    else:
        db.session.execute(
            update(RollupMark).where(RollupMark.name == NAME).values(through=through)
        )
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(ResponseDayCount))


def move_verdict(response: Response, old: str, new: str) -> None:
    """Keep a rolled-up day's counts when a response's verdict changes (in the
    caller's transaction). A response not yet stored is in no rollup: the
    citizen's path pays nothing."""
    if response.id is None or response.submitted_at is None or old == new:
        return
    through = mark()
    if through is None:
        return
    day = (response.submitted_at + _offset()).date()
    if day >= through:
        return  # counted live
    key = (
        ResponseDayCount.day == day,
        ResponseDayCount.hall_id == response.hall_id,
        ResponseDayCount.overall == (response.overall or 0),
    )
    db.session.execute(
        update(ResponseDayCount)
        .where(*key, ResponseDayCount.verdict == old)
        .values(responses=ResponseDayCount.responses - 1)
    )
    moved = db.session.execute(
        update(ResponseDayCount)
        .where(*key, ResponseDayCount.verdict == new)
        .values(responses=ResponseDayCount.responses + 1)
    ).rowcount
    if not moved:
        db.session.execute(
            insert(ResponseDayCount).values(
                day=day,
                hall_id=response.hall_id,
                overall=response.overall or 0,
                verdict=new,
                responses=1,
            )
        )


def counts(filters, verdicts: Iterable[str] | None = None) -> Counter:
    """Responses the filters (summaries.ResponseFilter) select, per (hall id,
    rating; 0 for none), only those of `verdicts` when given: the rollup
    before its mark, a live count after."""
    verdicts = tuple(verdicts) if verdicts is not None else None
    through = mark()
    totals: Counter = Counter()
    live = select(Response.hall_id, RATING, func.count()).group_by(
        Response.hall_id, RATING
    )
    if verdicts is not None:
        live = live.where(Response.verdict.in_(verdicts))
    if through is not None:
        rolled = _rolled(filters, through)
        if verdicts is not None:
            rolled = rolled.where(ResponseDayCount.verdict.in_(verdicts))
        for hall_id, overall, n in db.session.execute(rolled):
            totals[(hall_id, overall)] += int(n)
        live = live.where(Response.submitted_at >= _day_start(through))
    for hall_id, overall, n in db.session.execute(filters.apply(live)):
        totals[(hall_id, overall)] += int(n)
    return totals


def _rolled(filters, through: date) -> Select:
    rows = ResponseDayCount
    query = (
        select(rows.hall_id, rows.overall, func.sum(rows.responses))
        .where(rows.day < through)
        .group_by(rows.hall_id, rows.overall)
    )
    if filters.hall_id:
        query = query.where(rows.hall_id == filters.hall_id)
    if filters.date_from:
        query = query.where(rows.day >= filters.date_from)
    if filters.date_to:
        query = query.where(rows.day <= filters.date_to)
    if filters.rating:
        query = query.where(rows.overall == filters.rating)
    if filters.verdict:
        query = query.where(rows.verdict == filters.verdict)
    return query
