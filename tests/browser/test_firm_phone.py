"""A firm manager reads the quota dashboard on a phone-sized Chromium."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from surveyapp import create_app
from surveyapp.extensions import db

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    path = tmp_path_factory.mktemp("firm-browser") / "browser.db"
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "WTF_CSRF_ENABLED": True,
        }
    )
    with app.app_context():
        db.create_all()
        from surveyapp.services.demo import seed_demo
        from surveyapp.services.users import create_user
        from tests.firm_factories import HALL, make_project

        seed_demo(0)
        project = make_project(
            targets={(HALL, "nr", "", ""): 40, (HALL, "hf", "", ""): 12}
        )
        project.cells[0].completed = 31
        db.session.commit()
        create_user(
            "m1", "correct horse battery", "firm_manager", firm_id=project.firm_id
        )
        project_id = project.id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", project_id
    server.shutdown()


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
