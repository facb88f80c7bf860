"""Quality service: verdicts at submission, 一事一评 codes, rescore, reviews."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from surveyapp.analysis.quality import QualitySettings
from surveyapp.models import AuditLog, Response
from surveyapp.models.base import utcnow
from surveyapp.models.quality import QualityReview
from surveyapp.services.fieldwork.quotas import recount_quotas
from surveyapp.services.quality.presence import (
    import_transaction_codes,
    issue_rotating_token,
)
from surveyapp.services.quality.review import ReviewError, decide, reverse
from surveyapp.services.quality.verdicts import (
    apply_verdict,
    reason_texts,
    rescore_period,
    settings_from_config,
)
from surveyapp.services.questionnaires.default import DRIVER_KEYS
from tests.services.quality_helpers import (
    hall,
    new_browser,
    post_answers,
    responses,
    varied_answers,
)


@pytest.fixture()
def judged(app, monkeypatch):
    monkeypatch.setitem(app.config, "QUALITY_ON_SUBMIT", True)
    return app


def test_config_defaults_are_the_documented_settings(app):
    settings = asdict(settings_from_config(app.config))
    assert settings == asdict(QualitySettings())
    assert settings["speeder_ratio"] == pytest.approx(1 / 3)


def test_config_overrides_a_threshold(app, monkeypatch):
    before = settings_from_config(app.config)
    monkeypatch.setitem(app.config, "QUALITY_SPEEDER_RATIO", 0.25)
    assert settings_from_config(app.config).speeder_ratio == 0.25
    # Remembered per set of values, so a change takes effect at once...
    assert before.speeder_ratio == pytest.approx(1 / 3)
    # ... and a list (as a dict config may give a tuple field) is taken.
    monkeypatch.setitem(app.config, "QUALITY_WEAK_SIGNALS", ["outside_hours"])
    assert settings_from_config(app.config).weak_signals == ("outside_hours",)


def test_reason_texts_in_both_languages():
    assert reason_texts(["honeypot"], "zh") == ["隐藏字段被填写，疑似自动程序"]
    assert reason_texts(["honeypot", "nope"], "en") == [
        "Hidden honeypot field was filled in",
        "nope",
    ]


def test_genuine_answer_is_ok_and_judged(judged, client, survey_path, db):
    assert post_answers(client, survey_path()).status_code == 303
    (response,) = responses()
    assert (response.verdict, response.auto_verdict) == ("ok", "ok")
    assert response.reasons == [] and response.judged_at is not None
    assert response.has_form_cookie and not response.honeypot


@pytest.mark.parametrize(
    ("kwargs", "verdict", "reason"),
    [
        ({"website": "http://spam.example"}, "rejected", "honeypot"),
        ({"ua": "curl/8.4.0"}, "rejected", "bot_user_agent"),
        ({"ua": "python-requests/2.31"}, "rejected", "bot_user_agent"),
        ({"seconds": 1.0}, "rejected", "too_fast"),
        (
            {"answers": varied_answers(**{f"q_drivers_{k}": "3" for k in DRIVER_KEYS})},
            "flagged",
            "straightline",
        ),
    ],
)
def test_bots_and_careless_answers_are_stored_with_a_verdict(
    judged, client, survey_path, db, kwargs, verdict, reason
):
    assert post_answers(client, survey_path(), **kwargs).status_code == 303
    (response,) = responses()  # stored, never refused
    assert response.verdict == verdict
    assert reason in response.reasons


def test_post_without_the_form_cookie_is_noted_and_flagged_when_corroborated(
    judged, app, survey_path, db
):
    client = app.test_client()
    html = client.get(survey_path()).get_data(as_text=True)
    from tests.services.quality_helpers import PHONE_UA, aged_ticket

    all_top = varied_answers(**{f"q_drivers_{k}": "5" for k in DRIVER_KEYS})
    for answers in (varied_answers(), all_top):
        fresh = app.test_client()  # posting without ever opening the form
        data = {"ticket": aged_ticket(html, 90), **answers}
        headers = {"User-Agent": PHONE_UA}
        assert fresh.post(survey_path(), data=data, headers=headers).status_code == 303
    alone, with_grid = sorted(responses(), key=lambda r: r.id)
    # a missing cookie alone is a note (browsers that refuse cookies) ...
    assert (alone.verdict, alone.has_form_cookie) == ("ok", False)
    assert alone.reasons == ["no_form_cookie"]
    # ... and with a second note (an all-top straightline) a flag
    assert with_grid.verdict == "flagged"
    assert set(with_grid.reasons) == {"no_form_cookie", "straightline"}


def _window_id(db, path):
    from surveyapp.services.organisation.qr import parse_token

    return parse_token(path.rsplit("/", 1)[-1]).window_id


def test_fresh_rotating_code_is_ok_and_stale_one_flagged(
    judged, client, survey_path, db
):
    path = survey_path()
    window_id = _window_id(db, path)
    fresh = issue_rotating_token(window_id)
    stale = issue_rotating_token(window_id, now=utcnow() - timedelta(minutes=30))
    assert post_answers(client, path, query=f"?rt={fresh}").status_code == 303
    new_browser(client)  # one device twice is a duplicate (test_live_stuffing.py)
    assert post_answers(client, path, query=f"?rt={stale}").status_code == 303
    first, second = responses()
    assert first.verdict == "ok" and first.rotating_token_age_s < 300
    assert second.verdict == "flagged" and second.reasons == ["stale_token"]
    assert second.rotating_token_age_s > 1700


def test_rotating_code_of_another_window_is_ignored(judged, client, survey_path, db):
    other = _window_id(db, survey_path(2))
    token = issue_rotating_token(other, now=utcnow() - timedelta(hours=2))
    assert post_answers(client, survey_path(1), query=f"?rt={token}").status_code == 303
    (response,) = responses()
    assert response.rotating_token_age_s is None and response.verdict == "ok"


def test_transaction_code_rates_once(judged, app, client, survey_path, db, monkeypatch):
    monkeypatch.setitem(app.config, "QUALITY_TRANSACTION_HALLS", ("H450900",))
    assert import_transaction_codes(hall(), ["A1001", "a1002", "A1001"]) == 2
    assert import_transaction_codes(hall(), ["A1001"]) == 0
    page = client.get(survey_path()).get_data(as_text=True)
    assert 'name="transaction_code"' in page
    missing = post_answers(client, survey_path())
    unknown = post_answers(client, survey_path(), transaction_code="ZZ999")
    assert (missing.status_code, unknown.status_code) == (400, 400)
    assert "queue ticket" in unknown.get_data(
        as_text=True
    ) or "排队" in unknown.get_data(as_text=True)
    assert responses() == []  # bad input: nothing stored
    assert (
        post_answers(client, survey_path(), transaction_code="a1001").status_code == 303
    )
    new_browser(client)
    assert (
        post_answers(client, survey_path(), transaction_code="A1001").status_code == 303
    )
    first, second = responses()
    assert first.verdict == "ok"
    assert second.verdict == "rejected" and second.reasons == ["transaction_reused"]
    assert first.transaction_code_hash == second.transaction_code_hash


def _seed(db, survey_path, n=3, minutes=10, **fields):
    """Responses stored directly, as if submitted `minutes` apart yesterday."""
    from surveyapp.services.organisation.qr import parse_token
    from surveyapp.services.questionnaires.versions import current_version

    target = parse_token(survey_path().rsplit("/", 1)[-1])
    version = current_version(target.questionnaire_id)
    start = datetime(2026, 11, 18, 2, 0)  # a Wednesday, 10:00 Beijing time
    rows = []
    for i in range(n):
        at = start + timedelta(minutes=minutes * i)
        row = Response(
            public_id=f"seed-{i}-{fields.get('device_hash', 'x')}",
            version_id=version.id,
            hall_id=target.hall_id,
            window_id=target.window_id,
            started_at=at - timedelta(seconds=90),
            submitted_at=at,
            duration_s=90.0,
            ua_family="wechat",
            answers={
                "overall": 4,
                "drivers": {
                    "timeliness": 4,
                    "attitude": 5,
                    "competence": 3,
                    "process": 4,
                    "information": 5,
                    "environment": 4,
                },
            },
            overall=4,
            **fields,
        )
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    return rows, at.date()


def test_rescore_flags_stuffing_and_keeps_reviewer_decisions(
    app, survey_path, db, make_user
):
    rows, day = _seed(db, survey_path, n=4, device_hash="same-phone")
    reviewer = make_user("rev", "analyst")
    decide(rows[3], reviewer, "accept", "seen on CCTV: four relatives")
    result = rescore_period(day - timedelta(days=1), day + timedelta(days=1))
    assert result.scored == 4
    verdicts = [r.verdict for r in responses()]
    # the chain reached the reject count, so its first is flagged too
    assert verdicts == ["flagged", "flagged", "rejected", "ok"]  # last: reviewer's
    last = responses()[3]
    assert last.auto_verdict == "rejected" and last.reviewed
    assert "duplicate_device" in last.reasons
    # Rescoring again changes nothing.
    assert rescore_period(day - timedelta(days=1), day + timedelta(days=1)).changed == 0


def test_decisions_are_audited_and_reversible(app, survey_path, db, make_user):
    (row,), _day = _seed(db, survey_path, n=1)
    row.verdict = row.auto_verdict = "flagged"
    row.reasons = ["speeder"]
    db.session.commit()
    reviewer = make_user("rev", "analyst")
    review = decide(row, reviewer, "reject", "typed by staff")
    assert (row.verdict, row.reviewed) == ("rejected", True)
    with pytest.raises(ReviewError):
        decide(row, reviewer, "accept")
    reverse(review, reviewer, "mistake")
    assert (row.verdict, row.reviewed) == ("flagged", False)
    assert review.reversed_by_id == reviewer.id
    with pytest.raises(ReviewError):
        reverse(review, reviewer)
    with pytest.raises(ReviewError):
        decide(row, reviewer, "maybe")
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["quality.reject", "quality.reverse"]
    assert db.session.scalars(select(QualityReview)).one().note == "typed by staff"


def test_rejecting_releases_the_quota_place(app, client, survey_path, db, make_user):
    from tests.firm_factories import HALL, make_project
    from tests.services.test_quotas import _cell, _screen_and_submit

    project = make_project(targets={(HALL, "nr", "", ""): 1})
    _screen_and_submit(client, survey_path())
    response = db.session.scalars(select(Response)).one()
    response.verdict = "flagged"
    db.session.commit()
    cell = _cell(db, project)
    assert cell.completed == 1 and response.quota_counted
    review = decide(response, make_user("rev", "analyst"), "reject")
    db.session.refresh(cell)
    assert cell.completed == 0 and not response.quota_counted
    reverse(review, response and review.reviewer)
    db.session.refresh(cell)
    assert cell.completed == 1 and response.quota_counted


@pytest.mark.parametrize("count_flagged", [True, False])
def test_flagged_responses_hold_a_quota_place_by_the_configured_rule(
    app, client, survey_path, db, make_user, monkeypatch, count_flagged
):
    from tests.firm_factories import HALL, make_project
    from tests.services.test_quotas import _cell, _screen_and_submit

    monkeypatch.setitem(app.config, "QUOTA_COUNT_FLAGGED", count_flagged)
    project = make_project(targets={(HALL, "nr", "", ""): 1})
    _screen_and_submit(client, survey_path())
    response = db.session.scalars(select(Response)).one()
    cell = _cell(db, project)
    assert cell.completed == 1 and response.quota_counted  # ok: counted
    apply_verdict(response, "flagged")  # as a rescore would
    db.session.commit()
    db.session.refresh(cell)
    assert (cell.completed, response.quota_counted) == (int(count_flagged),) * 2
    assert recount_quotas(project) == {cell.id: int(count_flagged)}
    decide(response, make_user("rev", "analyst"), "accept")
    db.session.refresh(cell)
    assert cell.completed == 1 and response.quota_counted  # accepted: counted


def test_cli_rescore_and_import_codes(runner, survey_path, db, tmp_path):
    _seed(db, survey_path, n=3, device_hash="same-phone")
    result = runner.invoke(args=["quality", "rescore", "--from", "2026-11-18"])
    assert result.exit_code == 0, result.output
    assert "3 responses scored, 3 verdicts changed" in result.output
    result = runner.invoke(args=["quality", "rescore", "--period", "2026-11"])
    assert "0 verdicts changed" in result.output
    bad = runner.invoke(args=["quality", "rescore", "--period", "2026-13"])
    assert bad.exit_code != 0 and "period" in bad.output
    both = runner.invoke(
        args=["quality", "rescore", "--period", "2026", "--from", "2026-01-01"]
    )
    assert both.exit_code != 0
    codes = tmp_path / "codes.csv"
    codes.write_text("B2001,2026-11-18\nB2002,2026-11-18\n", encoding="utf-8")
    result = runner.invoke(
        args=["quality", "import-codes", str(codes), "--hall", "H450900"]
    )
    assert result.exit_code == 0 and "2 new codes" in result.output
    missing = runner.invoke(args=["quality", "import-codes", str(codes), "--hall", "X"])
    assert missing.exit_code != 0 and "no hall" in missing.output


def test_stored_agent_families_are_the_ones_the_checks_read():
    """services/submissions.ua_family stores a family; the quality signals
    judge that stored family directly, with no translation between them."""
    from surveyapp.analysis.quality_signals import agent_kind
    from surveyapp.services.responses.submit import ua_family

    cases = {
        "curl/8.5.0": (True, False),
        "python-requests/2.32": (True, False),
        "Mozilla/5.0 (compatible; Googlebot/2.1)": (True, False),
        "Mozilla/5.0 (X11; Linux) HeadlessChrome/126.0": (True, False),
        "Mozilla/5.0 (Linux; Android 14) Chrome/126 Mobile": (False, False),
        "Mozilla/5.0 (iPhone) Version/17.0 Mobile Safari/604.1": (False, False),
        "a strange agent": (False, True),
        "": (False, True),
    }
    for agent, expected in cases.items():
        assert agent_kind(ua_family(agent)) == expected, agent
