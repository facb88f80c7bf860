"""A phone-sized Chromium goes from a decoded QR image to a stored response."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.services.questionnaires.default import DRIVER_KEYS
from tests.browser.live import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("browser") / "browser.db") as (app, base, _):
        yield app, base


@pytest.fixture()
def phone(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        yield context.new_page()
        browser.close()


def _decoded_url(app) -> str:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    from surveyapp.models import Hall
    from surveyapp.services.organisation.qr import (
        default_base_url,
        hall_codes,
        png_bytes,
    )

    with app.app_context():
        hall = db.session.scalar(select(Hall).where(Hall.code == "H450900"))
        entry = hall_codes(hall, default_base_url())[2]
        png = png_bytes(entry.url)
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text


def test_phone_answers_a_decoded_qr_code(live_server, phone):
    app, base = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    url = _decoded_url(app)
    assert url.startswith(base + "/s/")
    phone.goto(url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(ARTIFACTS / "01-questionnaire.png"), full_page=True)
    # The follow-up questions appear only after a bad rating (CSS, no JavaScript).
    assert not phone.locator("#block-problems").is_visible()
    phone.get_by_label("不满意", exact=True).check()
    assert phone.locator("#block-problems").is_visible()
    # The question appeared when it applies: the words saying when are hidden.
    assert not phone.locator("#block-problems > .condition-hint").is_visible()
    # The 0-10 scale: no number alone on a row ("10" under 0-9).
    tops = phone.eval_on_selector_all(
        ".scale10 .choice",
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))",
    )
    assert len(tops) == 11 and min(tops.count(t) for t in set(tops)) >= 5
    for label in ("等候时间太长", "工作人员态度不好"):
        phone.get_by_label(label).check()
    phone.locator("#q_complaint").fill("取号后等了一个多小时，窗口只开了一个。")
    for item in DRIVER_KEYS:
        phone.locator(f'input[name="q_drivers_{item}"][value="2"]').check()
    box = phone.locator(
        'label.choice:has(input[value="2"][name="q_overall"])'
    ).bounding_box()
    assert box["height"] >= 44
    phone.screenshot(path=str(ARTIFACTS / "02-answered.png"), full_page=True)
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_url("**/thanks/**")
    assert "感谢您的评价" in phone.content()
    phone.screenshot(path=str(ARTIFACTS / "03-thanks.png"), full_page=True)

    from surveyapp.models import Response

    with app.app_context():
        stored = db.session.scalars(select(Response)).one()
        assert stored.overall == 2
        assert stored.window.code == "W450900-02"
        assert stored.answers["problems"] == ["waiting", "attitude"]
        assert stored.comment.startswith("取号后")
        assert stored.ua_family in ("chrome", "headless")


def test_page_works_without_javascript(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    app, base = live_server
    url = _decoded_url(app)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(
            java_script_enabled=False, viewport={"width": 360, "height": 740}
        ).new_page()
        page.goto(url + "?lang=en")
        page.get_by_label("Very satisfied").check()
        for item in DRIVER_KEYS:
            page.locator(f'input[name="q_drivers_{item}"][value="5"]').check()
        page.get_by_role("button", name="Submit").click()
        page.wait_for_url("**/thanks/**")
        assert "Thank you" in page.content()
        browser.close()
