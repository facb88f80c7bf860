"""The public record: /open/ pages, halls.json and halls.csv, counted as the export."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from sqlalchemy import select, update

from surveyapp.models import Response
from surveyapp.services.publication.records import current_period


@pytest.fixture()
def seeded(app, demo, db):
    from surveyapp.services.admin.demo import seed_responses

    seed_responses(400)
    ids = db.session.scalars(select(Response.id).order_by(Response.id)).all()
    # Some rejected (never counted), some flagged (counted while they wait).
    db.session.execute(
        update(Response).where(Response.id.in_(ids[::7])).values(verdict="rejected")
    )
    db.session.execute(
        update(Response).where(Response.id.in_(ids[1::9])).values(verdict="flagged")
    )
    db.session.commit()
    return db


def _export_counts(client, period) -> Counter:
    """Rows of the office's responses export in the period (local days), by
    hall, with a verdict other than rejected."""
    data = client.get("/office/responses/export.csv").get_data(as_text=True)
    counts: Counter = Counter()
    for row in csv.DictReader(io.StringIO(data.lstrip("\ufeff"))):
        day = row["submitted_at"][:10]
        if (
            row["verdict"] != "rejected"
            and period.start.isoformat() <= day <= period.end.isoformat()
        ):
            counts[row["hall_code"]] += 1
    return counts


@pytest.mark.parametrize("kind", ["quarter", "year"])
def test_halls_json_counts_what_the_export_counts(app, client, login, seeded, kind):
    login()
    with app.app_context():
        period = current_period(kind)
    body = client.get(f"/open/halls.json?period={period.label}").get_json()
    assert body["period"] == period.label
    published = {row["hall_code"]: row["responses"] for row in body["halls"]}
    expected = _export_counts(client, period)
    assert sum(expected.values()) > 0
    assert {code: n for code, n in published.items() if n} == dict(expected)
    for row in body["halls"]:
        for name in (
            "good_rate",
            "rectification_rate",
            "on_time_rate",
            "fix_satisfaction_rate",
        ):
            assert name in row and f"{name}_ci_low" in row and f"{name}_ci_high" in row
        if row["good_rate"] is not None:
            assert (
                row["good_rate_ci_low"] <= row["good_rate"] <= row["good_rate_ci_high"]
            )
            assert row["rated"] >= body["min_responses"]
        elif row["rated"]:
            assert (
                row["rated"] < body["min_responses"]
                and row["good_rate_ci_low"] is not None
            )


def test_default_is_the_current_quarter_and_nothing_personal(app, client, seeded):
    page = client.get("/open/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with app.app_context():
        assert current_period("quarter").label in html
    assert "<svg" in html and "<script" not in html
    assert "halls.json" in html
    for text in seeded.session.scalars(
        select(Response.comment).where(Response.comment != "")
    ):
        assert text not in html
    assert "public_id" not in client.get("/open/halls.json").get_data(as_text=True)


def test_small_numbers_say_too_few(app, client, seeded):
    app.config["PUBLIC_MIN_RESPONSES"] = 10**6
    try:
        html = client.get("/open/?kind=year&lang=en").get_data(as_text=True)
        body = client.get("/open/halls.json?kind=year").get_json()
    finally:
        app.config["PUBLIC_MIN_RESPONSES"] = 30
    assert "too few answers" in html
    assert all(row["good_rate"] is None for row in body["halls"])


def test_csv_is_the_same_rows(client, seeded):
    body = client.get("/open/halls.json?kind=year").get_json()
    response = client.get("/open/halls.csv?kind=year")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(
        csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    )
    assert [r["hall_code"] for r in rows] == [h["hall_code"] for h in body["halls"]]
    assert [int(r["responses"]) for r in rows] == [
        h["responses"] for h in body["halls"]
    ]


def test_a_hall_page_lists_its_departments(client, seeded):
    body = client.get("/open/halls.json?kind=year").get_json()
    busiest = max(body["halls"], key=lambda h: h["responses"])
    page = client.get(f"/open/halls/{busiest['hall_code']}?kind=year&lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Departments" in html and "<svg" in html
    assert client.get("/open/halls/NOPE").status_code == 404


def test_bad_period_is_a_400(client, db):
    assert client.get("/open/?period=2026-13").status_code == 400
    assert client.get("/open/halls.json?period=garbage").status_code == 400
