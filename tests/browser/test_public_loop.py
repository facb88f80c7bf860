"""The loop closes in the browser: a bad rating gives a receipt code, the
office replies and closes, /track shows the reply and takes one rating, and
the public record counts the response (issue 21)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.services.questionnaires.default import DRIVER_KEYS
from tests.browser.live import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_app

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
REPLY = "已调整窗口排班，高峰期增开两个窗口。"


def _admin():
    from surveyapp.services.admin.users import create_user

    create_user("admin", PASSWORD, "admin")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("loop") / "loop.db", _admin) as (
        app,
        base,
        _,
    ):
        yield app, base


def _survey_url(app) -> str:
    from surveyapp.models import Hall
    from surveyapp.services.organisation.qr import default_base_url, hall_codes

    with app.app_context():
        hall = db.session.scalar(select(Hall).where(Hall.code == "H450900"))
        return hall_codes(hall, default_base_url())[1].url


def test_bad_rating_to_rated_fix(live_server):
    from playwright.sync_api import sync_playwright

    from tests.complaint_helpers import worker_round

    app, base = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # The citizen's phone, without JavaScript.
        phone = browser.new_context(
            java_script_enabled=False,
            viewport={"width": 360, "height": 740},
            locale="zh-CN",
        ).new_page()
        phone.goto(_survey_url(app))
        phone.get_by_label("非常不满意", exact=True).check()
        phone.get_by_label("等候时间太长").check()
        phone.locator("#q_complaint").fill("排队两个小时只开了一个窗口")
        for item in DRIVER_KEYS:
            phone.locator(f'input[name="q_drivers_{item}"][value="1"]').check()
        phone.get_by_role("button", name="提交评价").click()
        phone.wait_for_url("**/thanks/**")
        code = phone.locator("#receipt").inner_text().strip()
        assert len(code) == 14 and code.count("-") == 2
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        phone.screenshot(path=str(ARTIFACTS / "loop-01-receipt.png"), full_page=True)

        # The complaints worker opens the case.
        with app.app_context():
            assert worker_round() == 1
            from surveyapp.models.complaints import ComplaintCase

            case_id = db.session.scalars(select(ComplaintCase.id)).one()

        # The office replies, then closes, in its own browser.
        office = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        office.goto(base + "/office/login?lang=en")
        office.fill('input[name="username"]', "admin")
        office.fill('input[name="password"]', PASSWORD)
        office.get_by_role("button", name="Sign in").click()
        office.wait_for_url("**/office/**")
        assert office.locator("#fig-cases svg").count() == 1
        office.goto(f"{base}/office/cases/{case_id}")
        office.fill('input[name="assignee"]', "admin")
        office.locator('button[name="to_state"][value="assigned"]').click()
        office.fill('textarea[name="reply"]', REPLY)
        office.locator('button[name="to_state"][value="replied"]').click()
        office.locator('button[name="to_state"][value="closed"]').click()
        assert "Closed" in office.locator("h1").inner_text()

        # The citizen follows the code, reads the reply and rates the fix once.
        phone.goto(base + "/track")
        phone.fill('input[name="code"]', code.lower().replace("-", " "))
        phone.get_by_role("button", name="查询").click()
        assert REPLY in phone.locator("#reply").inner_text()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        phone.screenshot(path=str(ARTIFACTS / "loop-02-track.png"), full_page=True)
        phone.get_by_label("基本满意").check()
        phone.get_by_role("button", name="提交我的评价").click()
        assert phone.locator("#rated").count() == 1
        assert phone.locator('input[name="rating"]').count() == 0
        phone.screenshot(path=str(ARTIFACTS / "loop-03-rated.png"), full_page=True)

        # The public record counts it, with the rated fix.
        phone.goto(base + "/open/?lang=zh")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        record = phone.request.get(base + "/open/halls.json").json()
        browser.close()
    hall = next(h for h in record["halls"] if h["hall_code"] == "H450900")
    assert hall["responses"] == 1 and hall["bad_reviews"] == 1
    assert hall["cases"] == 1 and hall["fixes_rated"] == 1
    with app.app_context():
        from surveyapp.models.complaints import ComplaintCase

        assert db.session.get(ComplaintCase, case_id).fix_rating == 2


def test_back_and_resubmit_updates_the_one_rating(live_server):
    """一事一评: after submitting, Back shows the form again; a second submit
    from the same browser updates the visit's rating instead of adding one."""
    from playwright.sync_api import sync_playwright

    from surveyapp.models import Response

    app, base = live_server
    app.config["ONE_VISIT_WINDOW_S"] = 7200
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Response))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(
                viewport={"width": 360, "height": 740}, locale="zh-CN"
            ).new_page()
            page.goto(_survey_url(app))
            page.get_by_label("满意", exact=True).check()
            for item in DRIVER_KEYS:
                page.locator(f'input[name="q_drivers_{item}"][value="4"]').check()
            page.get_by_role("button", name="提交评价").click()
            page.wait_for_url("**/thanks/**")
            assert "您已对本次办事作过评价" not in page.content()
            page.go_back()
            page.wait_for_selector('button:has-text("提交评价")')
            page.get_by_label("非常满意", exact=True).check()
            for item in DRIVER_KEYS:
                page.locator(f'input[name="q_drivers_{item}"][value="5"]').check()
            page.get_by_role("button", name="提交评价").click()
            page.wait_for_url("**/thanks/**")
            page.screenshot(path=str(ARTIFACTS / "loop-05-rated-again.png"))
            assert (
                "您已对本次办事作过评价" in page.locator("[role=status]").inner_text()
            )
            browser.close()
        with app.app_context():
            rows = db.session.scalars(
                select(Response).order_by(Response.id.desc()).limit(1)
            ).all()
            after = db.session.scalar(select(func.count()).select_from(Response))
            assert after == before + 1  # one visit, one row
            assert rows[0].overall == 5 and len(rows[0].revisions) == 1
            assert rows[0].revisions[0]["overall"] == 4
    finally:
        app.config["ONE_VISIT_WINDOW_S"] = 0
