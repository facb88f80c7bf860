"""The citizen's receipt code and /track: states, reply, one rating of the fix."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from surveyapp.models import Response
from surveyapp.models.complaints import ComplaintCase
from surveyapp.services.complaints.cases import transition
from surveyapp.services.responses.receipts import (
    ALPHABET,
    needs_receipt,
    normalise,
    receipt_code,
)
from tests.complaint_helpers import worker_round
from tests.conftest import full_answers

TEXT = "窗口工作人员态度很差，对群众不耐烦"


def _receipt(page) -> str | None:
    match = re.search(r'id="receipt">([^<]+)<', page.get_data(as_text=True))
    return match.group(1) if match else None


@pytest.fixture()
def receipt(client, submit):
    posted = submit(full_answers(1, q_complaint=TEXT))
    assert posted.status_code == 303
    code = _receipt(client.get(posted.location))
    assert code
    return code


def test_code_shape(db):
    code = receipt_code("2b6f0c9e-0000-4000-8000-000000000001")
    assert re.fullmatch(
        r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code
    )
    assert len(ALPHABET) ** 12 >= 2**60  # at least 40 bits, with room
    # Read out and typed back in any case, with spaces, i/l for 1 and o for 0.
    typed = code.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    assert normalise(typed) == code
    assert normalise("ABCD-EFGH-IJKU") is None  # U is no Crockford character
    assert normalise("") is None and normalise("1234") is None


def test_good_rating_without_comment_gets_no_receipt(client, submit):
    posted = submit(full_answers(5))
    assert _receipt(client.get(posted.location)) is None


def test_who_gets_a_receipt():
    assert needs_receipt(1, "", 2) and needs_receipt(2, "", 2)
    assert needs_receipt(4, "大厅空调太冷", 2) and needs_receipt(None, "太慢", 2)
    assert not needs_receipt(3, "  ", 2) and not needs_receipt(None, "", 2)


def test_the_code_is_stored_only_as_a_hash(client, submit, db, receipt):
    stored = db.session.scalars(select(Response)).one()
    assert stored.receipt_hash and receipt not in stored.receipt_hash
    assert receipt.replace("-", "") not in str(stored.answers)


def test_track_follows_the_case_to_one_rating(client, db, receipt):
    page = client.get(f"/track?code={receipt}&lang=en")
    assert page.status_code == 200
    assert "registered as a case within minutes" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"].startswith("no-store")
    worker_round()
    case = db.session.scalars(select(ComplaintCase)).one()
    html = client.get(f"/track?code={receipt.lower()}&lang=en").get_data(as_text=True)
    assert "Deadline" in html and 'name="rating"' not in html
    # The language switch keeps the code.
    assert f"?code={receipt.lower()}&amp;lang=zh" in html
    transition(case, "assigned", None, assignee="张三")
    transition(case, "replied", None, reply="已对窗口人员进行批评教育")
    html = client.get(f"/track?code={receipt}&lang=en").get_data(as_text=True)
    assert "已对窗口人员进行批评教育" in html and 'name="rating"' not in html
    # Not yet closed: no rating.
    refused = client.post("/track/rate", data={"code": receipt, "rating": "3"})
    assert refused.status_code == 409
    transition(case, "closed", None)
    html = client.get(f"/track?code={receipt}&lang=en").get_data(as_text=True)
    assert html.count('name="rating"') == 3
    assert (
        client.post("/track/rate", data={"code": receipt, "rating": "7"}).status_code
        == 400
    )
    done = client.post("/track/rate", data={"code": receipt, "rating": "2"})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(ComplaintCase, case.id).fix_rating == 2
    html = client.get(done.location + "&lang=en").get_data(as_text=True)
    assert 'name="rating"' not in html and "Basically satisfied" in html
    again = client.post("/track/rate", data={"code": receipt, "rating": "1"})
    assert again.status_code == 409
    db.session.expire_all()
    assert db.session.get(ComplaintCase, case.id).fix_rating == 2


def test_unknown_code_is_a_friendly_404(client, db):
    for code in ("AAAA-BBBB-CCCC", "nonsense", "<script>"):
        page = client.get("/track", query_string={"code": code, "lang": "zh"})
        assert page.status_code == 404
        assert "回执码" in page.get_data(as_text=True)
        assert "<script>" not in page.get_data(as_text=True)
    assert (
        client.post("/track/rate", data={"code": "x", "rating": "3"}).status_code == 404
    )


def test_track_form_is_plain_html(client, db):
    html = client.get("/track").get_data(as_text=True)
    assert 'name="code"' in html and "<script" not in html


def test_lookups_are_rate_limited(app, db):
    from surveyapp import create_app

    limited = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_TRACK": "3/minute",
        }
    )
    client = limited.test_client()
    statuses = [client.get("/track?code=AAAA-BBBB-CCCC").status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]


def test_bad_rating_without_comment_is_told_plainly(client, submit, db):
    posted = submit(full_answers(2))
    code = _receipt(client.get(posted.location))
    assert code
    worker_round()
    html = client.get(f"/track?code={code}&lang=en").get_data(as_text=True)
    assert "without one there is no deadline" in html


def test_the_fix_rating_counts_in_the_office_rates(client, login, db, receipt):
    worker_round()
    case = db.session.scalars(select(ComplaintCase)).one()
    transition(case, "assigned", None)
    transition(case, "replied", None, reply="已整改")
    transition(case, "closed", None)
    assert (
        client.post("/track/rate", data={"code": receipt, "rating": "3"}).status_code
        == 303
    )
    login()
    html = client.get("/office/cases").get_data(as_text=True)
    assert 'id="fix-satisfaction-1">100% (n=1)' in html
