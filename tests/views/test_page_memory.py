"""The questionnaire page: its blank questions' markup is rendered once per
version and language; every citizen gets a fresh ticket bound to their own
browser, and nothing of one citizen's reaches another's page."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from surveyapp.models import Hall, Response
from tests.conftest import full_answers, ticket_from

TICKET = re.compile(r'name="ticket" value="[^"]+"')


def _get(client, path: str) -> str:
    return client.get(path).get_data(as_text=True)


def test_each_citizen_gets_own_ticket_bound_to_their_browser(
    csrf_app, demo, survey_path
):
    path = survey_path()
    one, two = csrf_app.test_client(), csrf_app.test_client()
    first = _get(one, path)
    second = _get(two, path)
    assert ticket_from(first) != ticket_from(second)
    assert TICKET.sub("", first) == TICKET.sub("", second)
    # No session for citizens: the only cookie is the browser's device cookie.
    assert one.get_cookie("session") is None
    assert one.get_cookie("sa_device") is not None
    # Each ticket belongs to its own browser: swapped, both are refused.
    for client, html, other in ((one, first, second), (two, second, first)):
        swapped = {"ticket": ticket_from(other), **full_answers(4)}
        refused = client.post(path, data=swapped)
        assert refused.status_code == 400
        assert "表单已过期" in refused.get_data(as_text=True)
        own = {**swapped, "ticket": ticket_from(html)}
        assert client.post(path, data=own).status_code == 303
    assert demo.session.scalar(select(func.count(Response.id))) == 2


def test_languages_are_kept_apart_and_a_forgotten_hall_name_is_renewed(
    client, demo, survey_path
):
    from surveyapp.services.memory import forget_all

    path = survey_path()
    assert "玉林市政务服务中心" in client.get(path).get_data(as_text=True)
    english = client.get(path + "?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and "Submit" in english
    assert "非常满意" not in english
    hall = demo.session.scalar(select(Hall).where(Hall.code == "H450900"))
    hall.name = "玉林市民服务中心"
    demo.session.commit()
    forget_all()  # what the service that renames a hall does
    page = client.get(path + "?lang=zh").get_data(as_text=True)
    assert "玉林市民服务中心" in page and "提交" in page and "Submit" not in page


def test_one_citizens_answers_never_reach_anothers_page(client, csrf_app, survey_path):
    path = survey_path()
    one, two = csrf_app.test_client(), csrf_app.test_client()
    html = one.get(path).get_data(as_text=True)
    answers = full_answers(4, q_suggestion="私人意见-甲", phone="13800138000")
    del answers["q_drivers_attitude"]  # refused: the form comes back filled in
    refused = one.post(path, data={"ticket": ticket_from(html), **answers})
    assert refused.status_code == 400
    assert "私人意见-甲" in refused.get_data(as_text=True)
    page = two.get(path).get_data(as_text=True)
    for private in ("私人意见-甲", "13800138000", "checked", ticket_from(html)):
        assert private not in page


def test_a_rotating_code_is_carried_on_the_page(client, survey_path):
    path = survey_path()
    client.get(path)  # the blank page is remembered ...
    page = client.get(path + "?rt=abc123").get_data(as_text=True)
    # ... but a page opened from a window screen carries its code.
    assert '<input type="hidden" name="rt" value="abc123">' in page
