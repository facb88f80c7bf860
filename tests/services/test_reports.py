"""Office summary per hall: 好差评 counts and the 差评 follow-up of the same responses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from surveyapp.models.complaints import ComplaintCase
from surveyapp.services.complaints import cases
from surveyapp.services.responses.summaries import ResponseFilter, hall_summaries
from tests.complaint_helpers import worker_round
from tests.conftest import full_answers


def _one_hall(filters: ResponseFilter, now=None):
    [summary] = [s for s in hall_summaries(filters, now) if s.responses]
    return summary


def test_case_rates_follow_the_report_filters(db, submit):
    assert submit(full_answers(1, q_complaint="材料被退回三次")).status_code == 303
    assert submit(full_answers(2, q_complaint="大厅空调坏了没人修")).status_code == 303
    assert submit(full_answers(5)).status_code == 303
    worker_round()  # the complaints worker opens the cases
    late, fixed = db.session.scalars(select(ComplaintCase).order_by("id")).all()
    cases.transition(fixed, "assigned", None)
    cases.transition(fixed, "replied", None, reply="已修好", now=fixed.opened_at)
    after = late.due_at + timedelta(hours=1)

    rates = _one_hall(ResponseFilter(), after).case_rates
    assert (rates.cases, rates.rectified, rates.on_time, rates.due) == (2, 1, 1, 2)
    assert rates.rectification_rate == 0.5 and rates.on_time_rate == 0.5
    assert rates.overdue == 1
    # Before the deadline the open case is neither due nor overdue.
    early = _one_hall(ResponseFilter(), late.opened_at).case_rates
    assert (early.on_time_rate, early.overdue) == (1.0, 0)
    # The rating filter of the report selects the cases of those responses only.
    only_ones = _one_hall(ResponseFilter(rating=1), after).case_rates
    assert (only_ones.cases, only_ones.overdue, only_ones.rectified) == (1, 1, 0)
    # A period without responses has no cases either.
    later = late.opened_at.date() + timedelta(days=1)
    for summary in hall_summaries(ResponseFilter(date_from=later), after):
        assert summary.case_rates.cases == 0
        assert summary.case_rates.rectification_rate is None
