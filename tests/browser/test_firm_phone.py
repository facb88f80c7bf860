"""A firm manager reads the quota dashboard on a phone-sized Chromium."""

from __future__ import annotations

import pytest

from surveyapp.extensions import db
from tests.browser.live import ARTIFACTS, CHROMIUM, live_app

pytestmark = pytest.mark.browser


def _firm_project() -> int:
    from surveyapp.services.admin.users import create_user
    from tests.firm_factories import HALL, make_project

    project = make_project(targets={(HALL, "nr", "", ""): 40, (HALL, "hf", "", ""): 12})
    project.cells[0].completed = 31
    db.session.commit()
    create_user("m1", "correct horse battery", "firm_manager", firm_id=project.firm_id)
    return project.id


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("firm-browser") / "browser.db"
    with live_app(path, _firm_project) as (_app, base, project_id):
        yield base, project_id


def test_dashboard_fits_a_phone(live_server):
    from playwright.sync_api import sync_playwright

    base, project_id = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(
            viewport={"width": 360, "height": 740}, is_mobile=True, locale="zh-CN"
        ).new_page()
        page.goto(base + "/office/login")
        page.locator("#username").fill("m1")
        page.locator("#password").fill("correct horse battery")
        page.locator("button[type=submit]").last.click()
        page.wait_for_url("**/firm/")
        page.goto(f"{base}/firm/p/{project_id}")
        assert "配额完成情况" in page.content()
        assert "77.5" in page.content()  # 31 of 40
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(ARTIFACTS / "firm-dashboard.png"), full_page=True)
        browser.close()
