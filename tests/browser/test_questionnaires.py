"""A city's own questionnaire in a real browser: an imported XLSForm answered
on a phone with JavaScript on and off, and a questionnaire built in the
office builder (without JavaScript), previewed at 360 px, published,
assigned to a window and answered by that window's QR code."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp.extensions import db
from tests.browser.live import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_app
from tests.xlsform_helpers import DRIVERS, xlsform_bytes

pytestmark = pytest.mark.browser
WINDOW = "W450900-01"


def _city_and_admin() -> None:
    from surveyapp.models import Window
    from surveyapp.services.admin.users import create_user
    from surveyapp.services.questionnaires import drafts
    from surveyapp.services.questionnaires.assignments import assign
    from surveyapp.services.questionnaires.xlsform import read_xlsform

    city, _created = drafts.import_draft(
        "CITY", read_xlsform(xlsform_bytes()).definition
    )
    drafts.publish_draft(city)
    window = db.session.scalar(select(Window).where(Window.code == WINDOW))
    assign(city, window.hall, window)
    create_user("admin", "correct horse battery", "admin")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("questionnaires") / "browser.db"
    with live_app(path, _city_and_admin) as (app, base, _):
        yield app, base


def _window_url(app, code: str = WINDOW) -> str:
    from surveyapp.models import Window
    from surveyapp.services.organisation.qr import default_base_url, hall_codes

    with app.app_context():
        window = db.session.scalar(select(Window).where(Window.code == code))
        entries = hall_codes(window.hall, default_base_url())
        return next(e.url for e in entries if e.code == code)


def _latest(app):
    from surveyapp.models import Response

    with app.app_context():
        response = db.session.scalars(
            select(Response).order_by(Response.id.desc())
        ).first()
        return response.version.label, dict(response.answers)


@pytest.fixture()
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _phone(browser, javascript: bool = True, locale: str = "zh-CN"):
    return browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale=locale,
        java_script_enabled=javascript,
    ).new_page()


def test_the_imported_xlsform_on_a_phone_with_javascript(live_server, browser):
    app, _base = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    page = _phone(browser)
    page.goto(_window_url(app))
    assert "城市服务满意度调查" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Conditions CSS can test: shown as the citizen answers.
    for hidden in ("problems", "other_problem", "recommend"):
        assert not page.locator(f"#block-{hidden}").is_visible(), hidden
    page.get_by_label("不满意", exact=True).check()
    assert page.locator("#block-problems").is_visible()
    assert page.locator("#block-recommend").is_visible()
    assert not page.locator("#block-other_problem").is_visible()
    page.get_by_label("其他", exact=True).check()
    page.get_by_label("等候太久").check()
    assert page.locator("#block-other_problem").is_visible()
    page.locator("#q_other_problem").fill("材料要求不清楚")
    # A condition on a number cannot be tested in CSS: shown, with when to answer.
    elderly = page.locator("#block-elderly")
    assert elderly.is_visible() and "仅在以下情况下作答" in elderly.inner_text()
    for key in DRIVERS:
        page.locator(f'input[name="q_drivers_{key}"][value="2"]').check()
    page.get_by_label("2 次").check()
    page.locator("#q_age").fill("70")
    page.locator("#q_wait_hours").fill("2.5")
    page.locator("#q_helped").select_option("no")
    page.locator("#q_help_note").fill("希望有人引导")
    page.locator('input[name="q_recommend"][value="4"]').check()
    page.screenshot(path=str(ARTIFACTS / "city-questionnaire.png"), full_page=True)
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/thanks/**")
    label, answers = _latest(app)
    assert label == "CITY-v1"
    assert answers["problems"] == ["waiting", "other"]
    assert answers["drivers"] == dict.fromkeys(DRIVERS, 2)
    assert (answers["age"], answers["wait_hours"], answers["helped"]) == (70, 2.5, "no")


def test_the_imported_xlsform_without_javascript(live_server, browser):
    app, _base = live_server
    page = _phone(browser, javascript=False, locale="en-US")
    page.goto(_window_url(app) + "?lang=en")
    page.get_by_label("Very satisfied").check()
    for key in DRIVERS:
        page.locator(f'input[name="q_drivers_{key}"][value="5"]').check()
    page.locator("#q_age").fill("35")
    # Asked only of older citizens: answered anyway, and dropped by the server.
    page.locator("#q_helped").select_option("yes")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/thanks/**")
    assert "Thank you" in page.content()
    _label, answers = _latest(app)
    assert answers["overall"] == 5 and answers["age"] == 35
    assert "helped" not in answers and "problems" not in answers
    # A bad number comes back beside its question, every answer kept.
    page.goto(_window_url(app) + "?lang=en")
    page.get_by_label("Satisfied", exact=True).check()
    for key in DRIVERS:
        page.locator(f'input[name="q_drivers_{key}"][value="4"]').check()
    page.locator("#q_age").fill("12")
    page.get_by_role("button", name="Submit").click()
    assert "Please enter a number from 16 to 100." in page.content()
    assert page.locator('input[name="q_overall"][value="4"]').is_checked()


def test_build_preview_publish_assign_and_answer(live_server, browser):
    app, base = live_server
    office = browser.new_context(
        viewport={"width": 1280, "height": 900},
        java_script_enabled=False,
        locale="zh-CN",
    ).new_page()
    office.goto(base + "/office/login")
    office.locator("#username").fill("admin")
    office.locator("#password").fill("correct horse battery")
    office.locator("button[type=submit]").last.click()
    office.goto(base + "/office/questionnaires")
    create = office.locator("form", has=office.locator('input[name="title_zh"]'))
    create.locator('input[name="code"]').fill("SMALL")
    create.locator('input[name="title_zh"]').fill("窗口小问卷")
    create.locator('input[name="title_en"]').fill("Window survey")
    create.get_by_label("空白问卷").check()
    create.get_by_role("button", name="创建问卷").click()
    office.wait_for_url("**/questionnaires/SMALL")
    for kind, key, zh, en in (
        ("rating5", "overall", "您对本窗口满意吗？", "Are you satisfied?"),
        ("text", "why", "请说说原因", "Please tell us why"),
    ):
        add = office.locator("form", has=office.locator('select[name="kind"]'))
        add.locator('select[name="kind"]').select_option(kind)
        add.locator('input[name="key"]').fill(key)
        add.locator('input[name="label_zh"]').fill(zh)
        add.locator('input[name="label_en"]').fill(en)
        add.get_by_role("button", name="添加题目").click()
        office.wait_for_url(f"**/questions/{key}")
        if kind == "rating5":
            office.get_by_label("必答（在显示时）").check()
        else:
            office.locator('select[name="pick_ref"]').select_option("overall")
            office.locator('select[name="pick_op"]').select_option("<=")
            office.locator('input[name="pick_value"]').fill("2")
        office.get_by_role("button", name="保存题目").click()
        office.wait_for_url("**/questionnaires/SMALL")
    assert "可以发布。" in office.content()
    assert "${overall} &lt;= 2" in office.content()
    # The previews: 360 px wide, one per language, conditions live in them.
    frame_box = office.locator('iframe[title="预览 中文"]').bounding_box()
    assert round(frame_box["width"]) == 360
    preview = office.frame_locator('iframe[title="预览 English"]')
    assert preview.get_by_text("Are you satisfied?").is_visible()
    assert not preview.locator("#block-why").is_visible()
    zh = office.frame_locator('iframe[title="预览 中文"]')
    zh.get_by_label("非常不满意").check()
    assert zh.locator("#block-why").is_visible()
    office.screenshot(path=str(ARTIFACTS / "builder.png"), full_page=True)
    office.get_by_role("button", name="发布为新版本").click()
    office.wait_for_url("**/SMALL/history")
    assert "已发布为第 1 版。" in office.content()
    office.goto(base + "/office/questionnaires/SMALL/assign")
    window_id = _window_id(app, "W450900-02")
    office.locator('select[name="place"]').select_option(f"window:{window_id}")
    office.get_by_role("button", name="分配 SMALL").click()
    assert "W450900-02" in office.locator("table").inner_text()
    # The window's printed code now opens it; answered on a phone.
    phone = _phone(browser)
    phone.goto(_window_url(app, "W450900-02"))
    assert "窗口小问卷" in phone.content()
    phone.get_by_label("不满意", exact=True).check()
    phone.locator("#q_why").fill("等了很久")
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_url("**/thanks/**")
    label, answers = _latest(app)
    assert label == "SMALL-v1"
    assert answers == {"overall": 2, "why": "等了很久"}


def _window_id(app, code: str) -> int:
    from surveyapp.models import Window

    with app.app_context():
        return db.session.scalar(select(Window.id).where(Window.code == code))
