"""The citizen's path: open a QR code, answer, and find the answer stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveyapp.models import Response
from tests.conftest import full_answers, ticket_from


def _count(db) -> int:
    return db.session.scalar(select(func.count(Response.id)))


def test_questionnaire_page_shows_every_question_in_chinese(client, survey_path):
    page = client.get(survey_path())
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in ("非常满意", "基本满意", "非常不满意", "工作人员服务态度", "提交评价"):
        assert text in html
    assert 'name="csrf_token"' in html or "csrf" not in html  # CSRF is off in tests
    assert "玉林市政务服务中心" in html


def test_english_by_accept_language_and_switch(client, survey_path):
    page = client.get(survey_path(), headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Very satisfied" in page.get_data(as_text=True)
    switched = client.get(survey_path() + "?lang=zh")
    assert "非常满意" in switched.get_data(as_text=True)
    # The choice is remembered in a cookie over the browser's preference.
    again = client.get(survey_path(), headers={"Accept-Language": "en"})
    assert "非常满意" in again.get_data(as_text=True)


def test_submission_is_stored_with_hall_window_version(client, db, submit):
    response = submit(
        full_answers(5), headers={"User-Agent": "Mozilla/5.0 MicroMessenger"}
    )
    assert response.status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.hall.code == "H450900"
    assert stored.window.code == "W450900-01"
    assert stored.version.number == 1
    assert stored.overall == 5
    assert stored.answers["drivers"]["attitude"] == 5
    assert stored.ua_family == "wechat"
    assert (
        stored.ip_hash and stored.ip_hash != "127.0.0.1" and len(stored.ip_hash) == 64
    )
    assert stored.device_hash and len(stored.device_hash) == 64
    assert stored.started_at <= stored.submitted_at
    # columns the submission leaves to the table's defaults (one Core INSERT)
    assert stored.created_at is not None and stored.reasons == []
    assert stored.verdict == "ok" and stored.quality_score == 1.0
    assert (stored.reviewed, stored.over_quota, stored.quota_counted) == (False,) * 3
    assert stored.public_id in response.headers["Location"]
    thanks = client.get(response.headers["Location"])
    assert "感谢您的评价" in thanks.get_data(as_text=True)


def test_double_submit_stores_one_response(client, db, survey_path):
    path = survey_path()
    ticket = ticket_from(client.get(path).get_data(as_text=True))
    data = {"ticket": ticket, **full_answers(4)}
    first = client.post(path, data=data)
    second = client.post(path, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(db) == 1


def test_missing_answer_rerenders_with_message_and_keeps_values(client, db, submit):
    answers = full_answers(4)
    del answers["q_drivers_attitude"]
    answers["q_suggestion"] = "希望增加自助机"
    response = submit(answers)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请为每一项打分" in html
    assert "希望增加自助机" in html  # what the citizen wrote is kept
    assert 'value="4" checked' in html
    assert _count(db) == 0


def test_bad_rating_requires_the_reason_and_accepts_a_comment(client, db, submit):
    answers = full_answers(1)
    del answers["q_problems"]
    refused = submit(answers)
    assert refused.status_code == 400
    assert "请回答此题" in refused.get_data(as_text=True)
    answers["q_problems"] = ["attitude", "waiting"]
    answers["q_complaint"] = "<script>alert('x')</script> 窗口' OR 1=1 --"
    accepted = submit(answers)
    assert accepted.status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.answers["problems"] == ["attitude", "waiting"]
    assert stored.comment == "<script>alert('x')</script> 窗口' OR 1=1 --"


def test_conditional_answers_are_dropped_when_the_rating_is_good(client, db, submit):
    response = submit(full_answers(5, q_problems=["fees"], q_complaint="不该保存"))
    assert response.status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert "problems" not in stored.answers and "complaint" not in stored.answers
    assert stored.comment == ""


def test_free_text_is_limited_and_escaped(client, db, login, submit):
    too_long = submit(full_answers(4, q_suggestion="长" * 2001))
    assert too_long.status_code == 400
    assert "2000" in too_long.get_data(as_text=True)
    answers = full_answers(2, q_complaint="<b>bold</b>")
    assert submit(answers).status_code == 303
    login()
    page = client.get("/office/responses").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page


def test_out_of_range_and_unknown_options_are_refused(client, db, submit):
    for bad in (
        {"q_overall": "7"},
        {"q_overall": "abc"},
        {"q_visits": "9"},
        {"q_drivers_attitude": "0"},
        {"q_recommend": "11"},
    ):
        response = submit({**full_answers(4), **bad})
        assert response.status_code == 400, bad
    assert _count(db) == 0


def test_control_characters_are_refused(client, db, submit):
    response = submit(full_answers(4, q_suggestion="hello\x00world"))
    assert response.status_code == 400
    assert _count(db) == 0


def test_forged_or_altered_code_shows_friendly_page(client, survey_path):
    path = survey_path()
    for bad in ("/s/garbage", path[:-2] + "xx", "/s/WzEsMSw5OTld.abc"):
        response = client.get(bad)
        assert response.status_code == 404
        assert "二维码无效" in response.get_data(as_text=True)
        assert client.post(bad, data=full_answers()).status_code == 404


def test_forged_ticket_is_refused_and_form_kept(client, db, survey_path):
    path = survey_path()
    response = client.post(path, data={"ticket": "forged", **full_answers(3)})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "表单已过期" in html
    assert ticket_from(html) != "forged"
    assert _count(db) == 0


def test_phone_needs_consent_and_is_never_stored_raw(client, db, submit):
    no_consent = submit(full_answers(1, phone="13800138000"))
    assert no_consent.status_code == 400
    bad_number = submit(full_answers(1, phone="12345", contact_consent="y"))
    assert bad_number.status_code == 400
    ok = submit(full_answers(1, phone="138 0013 8000", contact_consent="y"))
    assert ok.status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.contact_consent and stored.phone_hash
    assert "13800138000" not in (stored.phone_encrypted or "")
    from surveyapp.security import decrypt_text

    assert decrypt_text(stored.phone_encrypted) == "13800138000"
    thanks = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "回访" in thanks


def test_questionnaire_page_is_light(client, survey_path):
    page = client.get(survey_path())
    css = client.get("/static/css/app.css")
    form_css = client.get("/q/1/form.css")
    total = len(page.data) + len(css.data) + len(form_css.data)
    assert total < 60 * 1024, total
    html = page.get_data(as_text=True)
    assert "http://" not in html.replace("http://surveys.example.test", "")
    assert "https://" not in html


def test_every_input_has_a_label(client, survey_path):
    import re

    html = client.get(survey_path()).get_data(as_text=True)
    # Radios and checkboxes sit inside <label>; text inputs have <label for=...>.
    for match in re.finditer(r"<(input|textarea|select)[^>]*>", html):
        tag = match.group(0)
        if 'type="hidden"' in tag or 'name="website"' in tag:
            continue
        if 'type="radio"' in tag or 'type="checkbox"' in tag:
            before = html[: match.start()]
            assert before.rfind("<label") > before.rfind("</label>"), tag
        else:
            ident = re.search(r'id="([^"]+)"', tag).group(1)
            assert f'for="{ident}"' in html, tag


def test_hall_level_code_offers_the_halls_services(client, db, survey_path, submit):
    hall_path = survey_path(0)
    html = client.get(hall_path).get_data(as_text=True)
    assert "不动产转移登记" in html and "公积金" in html
    from surveyapp.models import ServiceItem

    item = db.session.scalar(
        select(ServiceItem).where(ServiceItem.code == "S450900-hf-loan")
    )
    assert (
        submit(full_answers(4, service_item=str(item.id)), path=hall_path).status_code
        == 303
    )
    stored = db.session.scalars(select(Response)).one()
    assert stored.window_id is None and stored.service_item.code == "S450900-hf-loan"
    assert (
        submit(full_answers(4, service_item="99999"), path=hall_path).status_code == 400
    )


def test_thank_you_address_is_the_routers_under_a_path_prefix(
    app, client, db, survey_path
):
    """The submission builds the thank-you address itself; it must be the one
    url_for gives, also behind a proxy that mounts the site under a prefix."""
    from flask import url_for

    prefix = "http://localhost/yulin"
    page = client.get(survey_path(), base_url=prefix).get_data(as_text=True)
    response = client.post(
        survey_path(),
        data={**full_answers(4), "ticket": ticket_from(page)},
        base_url=prefix,
    )
    assert response.status_code == 303
    key = db.session.scalars(select(Response.public_id)).one()
    with app.test_request_context("/", base_url=prefix):
        assert response.headers["Location"] == url_for("public.thanks", key=key)
    assert response.headers["Location"].startswith("/yulin/thanks/")


@pytest.mark.parametrize(
    ("lang", "hint", "label"),
    [
        (
            "zh",
            "上题选择“非常不满意”或“不满意”时请回答",
            'aria-label="办理时效与等候时间 3"',
        ),
        (
            "en",
            "Answer this if you chose",
            'aria-label="Speed of service and waiting time 3"',
        ),
    ],
)
def test_hints_say_when_and_grid_radios_are_named_once(
    client, survey_path, lang, hint, label
):
    html = client.get(survey_path() + f"?lang={lang}").get_data(as_text=True)
    assert 'class="hint condition-hint"' in html
    assert label in html
    assert "&#34;" not in html and "&quot;" not in html
