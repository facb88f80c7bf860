"""The office builder, without JavaScript: plain forms and redirects."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from surveyapp.models import AuditLog, Questionnaire, QuestionnaireAssignment
from surveyapp.services.questionnaires import drafts
from surveyapp.services.questionnaires.definitions import find_question
from surveyapp.services.questionnaires.xlsform import read_xlsform
from tests.xlsform_helpers import CITY_SURVEY, xlsform_bytes

BASE = "/office/questionnaires"


@pytest.fixture()
def admin(client, login):
    login()
    return client


def _new(client, code="NEW", start="blank"):
    response = client.post(
        BASE,
        data={"code": code, "title_zh": "新问卷", "title_en": "New", "start": start},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _add(client, kind, key, **fields):
    data = {
        "kind": kind,
        "key": key,
        "label_zh": f"{key}中文",
        "label_en": key,
        **fields,
    }
    return client.post(f"{BASE}/NEW/questions", data=data)


def _edit(client, name, **fields):
    return client.post(f"{BASE}/NEW/questions/{name}", data=fields)


def _draft(db) -> dict:
    db.session.expire_all()
    return db.session.scalar(
        select(Questionnaire).where(Questionnaire.code == "NEW")
    ).draft


def test_build_every_kind_check_and_publish(admin, db):
    _new(admin)
    page = admin.get(f"{BASE}/NEW").get_data(as_text=True)
    assert "缺少总体评价" in page
    added = _add(admin, "rating5", "overall")
    assert added.headers["Location"].endswith(f"{BASE}/NEW/questions/overall")
    form = admin.get(added.headers["Location"]).get_data(as_text=True)
    assert "5 | 非常满意 | Very satisfied" in form  # starting options
    _edit(
        admin,
        "overall",
        key="overall",
        label_zh="总体评价",
        label_en="Overall",
        required="y",
        options="5 | 非常满意 | Very satisfied\n4|满意\n3|基本满意\n2|不满意\n1|非常不满意",
    )
    for kind, key in (
        ("multi", "problems"),
        ("group", "extra"),
        ("grid", "drivers"),
        ("single", "visits"),
        ("scale10", "recommend"),
        ("integer", "age"),
        ("decimal", "hours"),
        ("text", "comment"),
        ("note", "thanks"),
    ):
        unlabelled = {"label_zh": ""} if key in ("hours", "thanks") else {}
        assert _add(admin, kind, key, **unlabelled).status_code == 302, key
    _edit(
        admin,
        "problems",
        key="problems",
        label_zh="问题",
        options="waiting | 等候 | Waiting\nother | 其他 | Other",
        pick_ref="overall",
        pick_op="<=",
        pick_value="2",
    )
    _edit(
        admin,
        "drivers",
        key="drivers",
        label_zh="打分",
        required="y",
        items="timeliness | 时效 | Speed\nattitude | 态度 | Attitude",
    )
    _edit(admin, "visits", key="visits", label_zh="次数", options="1|一次\n2|两次")
    _edit(admin, "age", key="age", label_zh="年龄", min="16", max="100", group="extra")
    _edit(
        admin,
        "comment",
        key="comment",
        label_zh="意见",
        condition="selected(${problems}, 'other') or ${age} >= 60",
        appearance="multiline",
    )
    definition = _draft(db)
    assert [q["key"] for q in definition["questions"]][:3] == [
        "overall",
        "problems",
        "extra",
    ]
    assert find_question(definition, "extra")["questions"][0]["key"] == "age"
    assert find_question(definition, "problems")["show_if"] == {
        "op": "<=",
        "ref": "overall",
        "value": 2,
    }
    assert find_question(definition, "age")["min"] == 16
    # Both languages side by side, conditions as typed, problems listed.
    page = admin.get(f"{BASE}/NEW").get_data(as_text=True)
    assert "selected(${problems}, &#39;other&#39;) or ${age} &gt;= 60" in page
    assert "hours" in page and 'title="Preview 中文"' not in page  # zh labels used
    publish = admin.post(f"{BASE}/NEW/publish")
    assert publish.status_code == 302
    assert drafts.by_code("NEW").latest_published() is None  # hours, thanks unlabelled
    for key in ("hours", "recommend", "thanks", "extra"):
        _edit(
            admin,
            key,
            key=key,
            label_zh=f"{key}标签",
            group="extra" if key == "hours" else "",
        )
    assert admin.post(f"{BASE}/NEW/publish").status_code == 302
    version = drafts.by_code("NEW").latest_published()
    assert version.number == 1
    assert find_question(version.definition, "hours")["label"]["zh"] == "hours标签"
    assert (
        db.session.scalar(
            select(func.count(AuditLog.id)).where(
                AuditLog.action == "publish_questionnaire"
            )
        )
        == 1
    )


def test_the_builder_names_each_problem_before_publishing(admin, db):
    _new(admin)
    _add(admin, "text", "first", label_zh="")
    _add(admin, "rating5", "overall", condition="${later} = 1")
    _add(admin, "single", "later")
    page = admin.get(f"{BASE}/NEW").get_data(as_text=True)
    assert "题目 first 没有中文题干。" in page
    assert "题目 overall：显示条件引用的 later 不在本题之前" in page
    assert "总体评价必须对所有人提问" in page
    assert '<button type="submit" disabled>' in page  # publishing waits
    duplicate = _add(admin, "text", "first")
    assert duplicate.status_code == 302
    flashed = admin.get(f"{BASE}/NEW").get_data(as_text=True)
    assert "名称 first 重复使用。" in flashed and len(_draft(db)["questions"]) == 3
    bad = _edit(admin, "later", key="later", label_zh="后", condition="${first} +")
    assert bad.status_code == 400
    assert 'value="${first} +"' in bad.get_data(as_text=True)  # what was typed stays


def test_move_and_delete_without_javascript(admin, db):
    _new(admin, start="default")
    keys = [q["key"] for q in _draft(db)["questions"]]
    assert (
        admin.post(
            f"{BASE}/NEW/questions/visits/move", data={"direction": "up"}
        ).status_code
        == 302
    )
    moved = [q["key"] for q in _draft(db)["questions"]]
    assert moved.index("visits") == keys.index("visits") - 1
    admin.post(f"{BASE}/NEW/questions/overall/move", data={"direction": "up"})
    assert _draft(db)["questions"][0]["key"] == "overall"  # already first
    assert admin.post(f"{BASE}/NEW/questions/suggestion/delete").status_code == 302
    assert "suggestion" not in [q["key"] for q in _draft(db)["questions"]]
    assert admin.post(f"{BASE}/NEW/questions/nothing/delete").status_code == 404


def test_preview_at_phone_width_in_each_language(admin, db):
    _new(admin, start="default")
    page = admin.get(f"{BASE}/NEW").get_data(as_text=True)
    assert page.count("<iframe") == 2 and 'width="360"' in page
    zh = admin.get(f"{BASE}/NEW/preview/zh")
    assert zh.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in zh.headers["Content-Security-Policy"]
    assert "您对本次办事服务的总体评价是" in zh.get_data(as_text=True)
    en = admin.get(f"{BASE}/NEW/preview/en").get_data(as_text=True)
    assert "Overall, how satisfied" in en and "Submit" in en
    css = admin.get(f"{BASE}/NEW/preview.css")
    assert "#block-problems" in css.get_data(as_text=True)
    assert "no-cache" in css.headers["Cache-Control"]
    checked = admin.post(f"{BASE}/NEW/preview/en", data={"q_overall": "1"})
    assert checked.status_code == 400
    assert "Please answer this question." in checked.get_data(as_text=True)
    answers = {
        "q_overall": "5",
        **{
            f"q_drivers_{k}": "4"
            for k in (
                "timeliness",
                "attitude",
                "competence",
                "process",
                "information",
                "environment",
            )
        },
    }
    ok = admin.post(f"{BASE}/NEW/preview/en", data=answers).get_data(as_text=True)
    assert "These answers would be stored" in ok and "<code>attitude</code>" in ok
    assert admin.get(f"{BASE}/NEW/preview/fr").status_code == 404


def test_history_shows_what_changed_and_versions_stay(admin, db):
    _new(admin, start="default")
    admin.post(f"{BASE}/NEW/publish")
    admin.post(f"{BASE}/NEW/questions/suggestion/delete")
    _edit(
        admin, "visits", key="visits", label_zh="跑了几次？", options="1|一次\n2|两次"
    )
    admin.post(f"{BASE}/NEW/publish")
    history = admin.get(f"{BASE}/NEW/history").get_data(as_text=True)
    assert (
        "<code>suggestion</code>" in history
        and "<code>visits</code>: label, options" in history
    )
    first = admin.get(f"{BASE}/NEW/preview/zh?version=1").get_data(as_text=True)
    assert "q_suggestion" in first
    xlsx = admin.get(f"{BASE}/NEW/xlsform.xlsx?version=1")
    assert xlsx.status_code == 200
    assert find_question(read_xlsform(xlsx.data).definition, "suggestion")


def test_assign_to_halls_and_windows(admin, demo, survey_path):
    from surveyapp.models import Window

    _new(admin, start="default")
    early = admin.post(f"{BASE}/NEW/assign", data={"place": "hall:1"})
    assert early.status_code == 302
    assert demo.session.scalar(select(func.count(QuestionnaireAssignment.id))) == 0
    admin.post(f"{BASE}/NEW/texts", data={"title_zh": "窗口专用问卷", "title_en": "W"})
    admin.post(f"{BASE}/NEW/publish")
    window = demo.session.scalar(select(Window).where(Window.code == "W450900-01"))
    admin.post(f"{BASE}/NEW/assign", data={"place": [f"window:{window.id}"]})
    page = admin.get(f"{BASE}/NEW/assign").get_data(as_text=True)
    assert "W450900-01" in page
    assert "窗口专用问卷" in admin.get(survey_path(1)).get_data(as_text=True)
    admin.post(
        f"{BASE}/NEW/assign", data={"place": f"window:{window.id}", "remove": "1"}
    )
    assert demo.session.scalar(select(func.count(QuestionnaireAssignment.id))) == 0
    assert (
        admin.post(f"{BASE}/NEW/assign", data={"place": "window:x"}).status_code == 400
    )


def test_upload_an_xlsform_as_a_draft(admin, db):
    good = admin.post(
        f"{BASE}/import",
        data={"code": "CITY", "file": (io.BytesIO(xlsform_bytes()), "city.xlsx")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert drafts.by_code("CITY").draft["title"]["zh"] == "城市服务满意度调查"
    bad = admin.post(
        f"{BASE}/import",
        data={
            "code": "BAD",
            "file": (
                io.BytesIO(
                    xlsform_bytes(
                        survey=[
                            CITY_SURVEY[1],
                            ["geopoint", "where", "", "", "", "", "", "", "", ""],
                        ]
                    )
                ),
                "bad.xlsx",
            ),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert "geopoint" in bad.get_data(as_text=True)
    assert drafts.by_code("BAD") is None
    empty = admin.post(
        f"{BASE}/import", data={"code": "X"}, content_type="multipart/form-data"
    )
    assert empty.status_code == 400


def test_only_admins_build(client, login, db):
    login("analyst", role="analyst")
    assert client.get(BASE).status_code == 403
    assert client.post(BASE, data={"code": "A", "title_zh": "a"}).status_code == 403
