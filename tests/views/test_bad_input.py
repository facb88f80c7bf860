"""Bad input of every kind gets a clear 4xx, never a 500, and nothing half-stored."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveyapp.models import Response
from tests.conftest import full_answers, ticket_from

FIELDS = [
    "q_overall",
    "q_problems",
    "q_complaint",
    "q_visits",
    "q_recommend",
    "q_suggestion",
    "q_drivers_timeliness",
    "q_drivers_attitude",
    "q_drivers_competence",
    "q_drivers_process",
    "q_drivers_information",
    "q_drivers_environment",
    "service_item",
    "phone",
    "contact_consent",
    "website",
    "unknown_field",
]
NASTY = st.sampled_from(
    [
        "",
        "0",
        "1",
        "2",
        "5",
        "6",
        "-1",
        "10",
        "11",
        "1e3",
        "waiting",
        "fees",
        "3+",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "\x00",
        "\u202e",
        "１",
        "长" * 3000,
        "13800138000",
        "y",
        "on",
        "💥",
    ]
)
VALUES = st.one_of(NASTY, st.text(max_size=50))
FORMS = st.dictionaries(
    st.sampled_from(FIELDS),
    st.one_of(VALUES, st.lists(VALUES, max_size=3)),
    max_size=14,
)


def _count(db) -> int:
    return db.session.scalar(select(func.count(Response.id)))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(form=FORMS, base=st.booleans())
def test_random_forms_never_fail_the_server(client, db, survey_path, form, base):
    path = survey_path()
    ticket = ticket_from(client.get(path).get_data(as_text=True))
    data = {**(full_answers(4) if base else {}), **form, "ticket": ticket}
    before = _count(db)
    response = client.post(path, data=data)
    # 413: several 3,000-character values together pass MAX_CONTENT_LENGTH.
    assert response.status_code in (303, 400, 413), response.status_code
    stored = _count(db) - before
    if response.status_code == 303:
        assert stored == 1
        row = db.session.scalars(select(Response).order_by(Response.id.desc())).first()
        assert row.overall in (1, 2, 3, 4, 5)
        assert set(row.answers["drivers"].values()) <= {1, 2, 3, 4, 5}
    else:
        assert stored == 0
        assert "Traceback" not in response.get_data(as_text=True)


def test_oversized_body_is_413(client, survey_path, app):
    path = survey_path()
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post(path, data={"q_suggestion": big})
    assert response.status_code == 413
    assert "提交的内容过大" in response.get_data(as_text=True)


def test_invalid_utf8_is_a_clear_4xx(client, db, survey_path):
    path = survey_path()
    ticket = ticket_from(client.get(path).get_data(as_text=True))
    from urllib.parse import urlencode

    body = urlencode({**full_answers(4), "ticket": ticket}) + "&q_suggestion=%ff%fe%fd"
    response = client.post(
        path, data=body.encode(), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "无法处理该请求" in response.get_data(as_text=True)
    assert _count(db) == 0
    raw = b"q_suggestion=ok" + b"\xff"
    response = client.post(
        path, data=raw, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    bad_name = urlencode({**full_answers(4), "ticket": ticket}) + "&q_%e6%ff=1"
    response = client.post(
        path, data=bad_name.encode(), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert _count(db) == 0


def test_percent_signs_a_citizen_types_are_stored_as_written(client, db, survey_path):
    from urllib.parse import urlencode

    path = survey_path()
    ticket = ticket_from(client.get(path).get_data(as_text=True))
    typed = "满意度100%，编号%E6%FF照抄"
    body = urlencode({**full_answers(4, q_suggestion=typed), "ticket": ticket})
    response = client.post(
        path, data=body.encode(), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.answers["suggestion"] == typed


def test_wrong_method_and_unknown_pages(client, demo):
    assert client.delete("/s/whatever").status_code == 405
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def _multipart(fields: list[tuple[bytes, bytes]], files=()) -> tuple[bytes, str]:
    boundary = "----surveyapp-test-boundary"
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary.encode(), name, value)
        for name, value in fields
    ] + [
        b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="f.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n%s\r\n"
        % (boundary.encode(), name, value)
        for name, value in files
    ]
    body = b"".join(parts) + b"--%s--\r\n" % boundary.encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_multipart_forms_are_held_to_the_same_utf8_rule(client, db, survey_path):
    path = survey_path()
    ticket = ticket_from(client.get(path).get_data(as_text=True))
    answers = [(k.encode(), str(v).encode()) for k, v in full_answers(4).items()]
    base = [(b"ticket", ticket.encode()), *answers]
    for bad in ((b"q_suggestion", b"ok\xff\xfe"), (b"q_\xe6\xff", b"1")):
        body, content_type = _multipart([*base, bad])
        response = client.post(path, data=body, content_type=content_type)
        assert response.status_code == 400, bad
        assert "无法处理该请求" in response.get_data(as_text=True)
    assert _count(db) == 0
    # Valid UTF-8, percent signs as typed, and a file's bytes (not text) pass.
    typed = "满意度100%，编号%E6%FF照抄"
    body, content_type = _multipart(
        [*base, (b"q_suggestion", typed.encode())], files=[(b"photo", b"\x89\xff\x00")]
    )
    response = client.post(path, data=body, content_type=content_type)
    assert response.status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.answers["suggestion"] == typed
