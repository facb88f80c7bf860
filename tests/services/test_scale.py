"""At scale: keyset pages, the daily rollup and streamed exports (issue 22).

Small data: the big benchmark (benchmarks/scale.py) is never needed here.
"""

from __future__ import annotations

import tracemalloc
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from surveyapp.models import Hall, Response, Window
from surveyapp.services.keyset import Cursor, keyset_page, parse_cursor
from surveyapp.services.quality.verdicts import apply_verdict
from surveyapp.services.questionnaires.versions import current_version
from surveyapp.services.responses import rollups
from surveyapp.services.responses.exports import export_responses, response_sheet
from surveyapp.services.responses.summaries import (
    ResponseFilter,
    hall_summaries,
    list_responses,
)
from surveyapp.tables.writer import csv_chunks, table_bytes

START = datetime(2026, 9, 1, 2, 0)


def _add(db, times: list[datetime], overall=lambda i: 1 + i % 5) -> list[int]:
    """Responses at these instants, spread over the demo's windows."""
    from surveyapp.services.admin.demo import seed_questionnaire

    version = current_version(seed_questionnaire().id)
    windows = db.session.scalars(select(Window).order_by(Window.id)).all()
    rows = []
    for i, at in enumerate(times):
        window = windows[i % len(windows)]
        rows.append(
            {
                "public_id": f"scale-{len(times)}-{i}-{at.isoformat()}",
                "version_id": version.id,
                "hall_id": window.hall_id,
                "window_id": window.id,
                "started_at": at - timedelta(seconds=60),
                "submitted_at": at,
                "overall": overall(i),
                "answers": {"overall": overall(i), "complaint": f"意见 {i}"},
                "comment": f"意见 {i}",
                "verdict": "ok",
                "created_at": at,
            }
        )
    db.session.execute(insert(Response), rows)
    db.session.commit()
    return sorted(db.session.scalars(select(Response.id)))


def _tied_times(count: int) -> list[datetime]:
    # Three responses share each timestamp: the id must settle their order.
    return [START + timedelta(minutes=i // 3) for i in range(count)]


def _newest_first(db, filters: ResponseFilter) -> list[int]:
    query = filters.apply(select(Response.id)).order_by(
        Response.submitted_at.desc(), Response.id.desc()
    )
    return list(db.session.scalars(query))


def _ids(page) -> list[int]:
    return [r.id for r in page.rows]


@pytest.mark.parametrize("hall", [False, True])
def test_keyset_pages_walk_every_row_once_both_ways(demo, hall):
    db = demo
    _add(db, _tied_times(23))
    hall_id = db.session.scalar(select(Hall.id).order_by(Hall.id)) if hall else None
    filters = ResponseFilter(hall_id=hall_id)
    expected = _newest_first(db, filters)
    assert len(expected) >= 3

    # Forwards from the first page with "next".
    page, total = list_responses(filters, per_page=2)
    assert total == len(expected) and not page.has_prev
    seen = _ids(page)
    while page.has_next:
        cursor = parse_cursor(page.next_args()["after"], None, False)
        page, _total = list_responses(filters, cursor=cursor, per_page=2)
        assert page.has_prev
        seen += _ids(page)
    assert seen == expected

    # Backwards from the last page with "previous".
    page, _total = list_responses(filters, cursor=Cursor("last"), per_page=2)
    assert _ids(page) == expected[-2:] and not page.has_next
    seen = _ids(page)
    while page.has_prev:
        cursor = parse_cursor(None, page.prev_args()["before"], False)
        page, _total = list_responses(filters, cursor=cursor, per_page=2)
        assert page.has_next
        seen = _ids(page) + seen
    assert seen == expected


def test_keyset_ascending_and_ties_inside_one_timestamp(demo):
    db = demo
    _add(db, [START] * 7)  # all at one instant
    ascending = sorted(db.session.scalars(select(Response.id)))
    query = select(Response)
    first = keyset_page(
        query,
        Response.submitted_at,
        Response.id,
        descending=False,
        cursor=None,
        per_page=3,
    )
    assert _ids(first) == ascending[:3]
    second = keyset_page(
        query,
        Response.submitted_at,
        Response.id,
        descending=False,
        cursor=Cursor("after", *first.last_key),
        per_page=3,
    )
    assert _ids(second) == ascending[3:6] and second.has_next
    back = keyset_page(
        query,
        Response.submitted_at,
        Response.id,
        descending=False,
        cursor=Cursor("before", *second.first_key),
        per_page=3,
    )
    assert _ids(back) == ascending[:3] and not back.has_prev and back.has_next


def test_a_mangled_cursor_is_the_first_page():
    assert parse_cursor("not-a-key", None, False) is None
    assert parse_cursor(None, "2026-01-01T00:00:00_x", False) is None
    assert parse_cursor(None, None, True) == Cursor("last")


def test_responses_page_links_first_next_previous_last(demo, client, login):
    db = demo
    login()
    _add(db, _tied_times(120))
    newest = _newest_first(db, ResponseFilter())
    first = client.get("/office/responses").get_data(as_text=True)
    assert 'rel="next"' in first and "last=1" in first
    assert 'rel="prev"' not in first
    last = client.get("/office/responses?last=1").get_data(as_text=True)
    assert 'rel="next"' not in last and 'rel="prev"' in last
    oldest = db.session.get(Response, newest[-1])
    shown = oldest.submitted_at + timedelta(hours=8)  # Asia/Shanghai
    assert shown.strftime("%Y-%m-%d %H:%M") in last
    # A cursor that is not a key shows the first page, not an error.
    assert client.get("/office/responses?after=garbage").status_code == 200


def _summary_counts(filters: ResponseFilter) -> dict:
    return {
        s.hall.code: (s.responses, dict(s.rating_counts))
        for s in hall_summaries(filters)
        if s.responses
    }


def test_rollup_counts_equal_the_live_counts(demo):
    db = demo
    days = [datetime(2026, 8, 1, 3) + timedelta(days=d, minutes=d) for d in range(40)]
    _add(db, days)
    filters = [
        ResponseFilter(),
        ResponseFilter(date_from=date(2026, 8, 5), date_to=date(2026, 8, 20)),
        ResponseFilter(rating=1),
        ResponseFilter(verdict="ok"),
    ]
    live = [_summary_counts(f) for f in filters]
    rollups.refresh(through=date(2026, 8, 25))
    assert rollups.mark() == date(2026, 8, 25)
    assert [_summary_counts(f) for f in filters] == live
    # A reviewer's decision on a rolled-up day moves its count at once.
    old = db.session.scalars(select(Response).order_by(Response.id)).first()
    counted = sum(n for n, _levels in _summary_counts(ResponseFilter()).values())
    apply_verdict(old, "rejected")
    db.session.commit()
    assert dict(rollups.counts(ResponseFilter(verdict="rejected"))) == {
        (old.hall_id, old.overall): 1
    }
    # The summary counts only the responses that count.
    assert _summary_counts(ResponseFilter(verdict="rejected")) == {}
    assert (
        sum(n for n, _levels in _summary_counts(ResponseFilter()).values())
        == counted - 1
    )
    before = sum(n for n, _levels in _summary_counts(ResponseFilter()).values())
    # A response after the mark is counted live.
    _add(db, [datetime(2026, 9, 10, 3)])
    after = sum(n for n, _levels in _summary_counts(ResponseFilter()).values())
    assert after == before + 1
    # A refresh over everything agrees with the moved count.
    moved = rollups.counts(ResponseFilter(verdict="rejected"))
    rollups.refresh(start=date.min, through=date(2026, 9, 30))
    assert rollups.counts(ResponseFilter(verdict="rejected")) == moved
    assert sum(n for n, _levels in _summary_counts(ResponseFilter()).values()) == after


def test_streamed_export_equals_the_file(demo, client, login):
    db = demo
    login()
    _add(db, _tied_times(450))
    streamed = client.get("/office/responses/export.csv")
    assert streamed.status_code == 200 and streamed.is_streamed is False
    assert streamed.headers["Cache-Control"] == "no-store"
    assert "attachment" in streamed.headers["Content-Disposition"]
    whole = table_bytes("csv", [response_sheet(ResponseFilter())])
    assert streamed.data == whole
    spooled = export_responses(ResponseFilter(), "csv")
    try:
        assert spooled.read() == whole
    finally:
        spooled.close()
    assert whole.startswith(b"\xef\xbb\xbf") and whole.count(b"\r\n") == 451


def _export_peak(db) -> int:
    tracemalloc.start()
    try:
        size = sum(len(c) for c in csv_chunks(response_sheet(ResponseFilter())))
        assert size > 0
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streamed_export_memory_does_not_grow_with_its_rows(demo):
    db = demo
    # Both sizes span several batches of rows (exports.BATCH).
    _add(db, _tied_times(1500))
    _export_peak(db)  # the first run fills the caches of compiled statements
    small = _export_peak(db)
    _add(db, _tied_times(4500))
    large = _export_peak(db)
    # Four times the rows, and the peak stays that of a batch or two.
    assert large < 1.5 * small, (small, large)


def test_rollup_command(demo, runner):
    db = demo
    _add(db, [datetime(2026, 8, 1, 3), datetime(2026, 8, 2, 3)])
    result = runner.invoke(args=["responses", "rollup", "--all"])
    assert result.exit_code == 0, result.output
    assert "rollup through" in result.output
    assert rollups.mark() is not None
    assert sum(n for n, _levels in _summary_counts(ResponseFilter()).values()) == 2
