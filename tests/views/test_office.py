"""Office pages: sign-in, summaries, response lists, exports, QR codes."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.conftest import full_answers


def test_office_pages_need_sign_in(client, demo):
    for path in (
        "/office/",
        "/office/halls",
        "/office/responses",
        "/office/responses/export.csv",
        "/office/qr/H450900.png",
        "/office/halls/H450900/poster",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/office/login" in response.headers["Location"]


def test_wrong_password_is_refused(client, make_user):
    make_user("clerk", "analyst")
    response = client.post(
        "/office/login", data={"username": "clerk", "password": "nope"}
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_login_redirects_only_to_local_next(client, make_user):
    make_user("clerk", "analyst")
    data = {"username": "clerk", "password": "correct horse battery"}
    response = client.post("/office/login?next=//evil.example/x", data=data)
    assert response.headers["Location"].endswith("/office/")


def test_summary_counts_ratings_and_good_rate(client, login, submit):
    for overall in (5, 5, 4, 3, 1):
        assert submit(full_answers(overall)).status_code == 303
    login()
    html = client.get("/office/").get_data(as_text=True)
    row = html[html.index("<tbody>") :]
    row = row[: row.index("</tr>")]
    assert ">5<" in row  # five responses
    assert "60.0%" in row  # 好评率 = 3 of 5
    assert "40.0%" in row  # very satisfied = 2 of 5


def test_responses_filter_by_rating_and_hall(client, login, submit):
    submit(full_answers(5))
    submit(full_answers(1, q_complaint="窗口人太少"))
    login()
    bad = client.get("/office/responses?rating=1").get_data(as_text=True)
    assert "窗口人太少" in bad and "(1)" in bad
    other_hall = client.get("/office/responses?hall=999").get_data(as_text=True)
    assert "(0)" in other_hall
    nonsense = client.get("/office/responses?rating=abc&from=notadate")
    assert nonsense.status_code == 200


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_download_has_codes_and_every_answer(client, login, submit, fmt):
    submit(full_answers(2, q_complaint="排队太久", q_recommend="3"))
    login()
    response = client.get(f"/office/responses/export.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
        header, row = lines[0].split(","), lines[1].split(",")
    else:
        sheet = load_workbook(io.BytesIO(response.data)).active
        header, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    record = dict(zip(header, row, strict=True))
    assert record["hall_code"] == "H450900"
    assert record["window_code"] == "W450900-01"
    assert str(record["questionnaire_version"]) == "1"
    assert str(record["overall"]) == "2"
    assert str(record["attitude"]) == "2"  # a grid item by its own name
    assert record["complaint"] == "排队太久"
    assert record["problems"] == "waiting"
    assert {"submitted_at", "started_at", "verdict", "quality_score", "reasons"} <= set(
        header
    )


def test_halls_page_lists_codes_and_poster(client, demo, login):
    login()
    html = client.get("/office/halls").get_data(as_text=True)
    assert "W450900-01" in html and "兴业县政务服务中心" in html
    poster = client.get("/office/halls/H450924/poster").get_data(as_text=True)
    assert "办事完毕，请用手机扫码" in poster and "<svg" in poster and "@page" in poster


def test_qr_png_decodes_to_the_questionnaire(client, demo, login):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    login()
    png = client.get("/office/qr/W450900-01.png?download=1")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert "attachment" in png.headers["Content-Disposition"]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    url = decoded[0].text
    assert url.startswith("http://surveys.example.test/s/")
    page = client.get(url.removeprefix("http://surveys.example.test"))
    assert page.status_code == 200 and "1号窗口" in page.get_data(as_text=True)
    assert client.get("/office/qr/NOPE.png").status_code == 404


def test_summary_shows_case_follow_up_per_hall(client, db, login, submit):
    from datetime import timedelta

    from sqlalchemy import select

    from surveyapp.models.base import utcnow
    from surveyapp.models.complaints import ComplaintCase
    from surveyapp.services.complaints import cases

    assert submit(full_answers(1, q_complaint="材料被退回三次")).status_code == 303
    assert submit(full_answers(2, q_complaint="大厅空调坏了没人修")).status_code == 303
    from tests.complaint_helpers import worker_round

    worker_round()  # the complaints worker opens the cases
    late, fixed = db.session.scalars(select(ComplaintCase).order_by("id")).all()
    late.due_at = utcnow() - timedelta(hours=1)  # still new, past its deadline
    cases.transition(fixed, "assigned", None)
    cases.transition(fixed, "replied", None, reply="已修好")
    login()
    html = client.get("/office/").get_data(as_text=True)
    assert "差评工单数" in html and "整改率" in html
    row = html[html.index("<tbody>") :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="num[^"]*">(.*?)</td>', row, re.S)
    # two cases; one rectified, one of two due answered on time; one overdue
    assert cells[-4:] == ["2", "50.0%", "50.0%", "1"]
    english = client.get("/office/?lang=en").get_data(as_text=True)
    assert "Bad-rating cases" in english and "On-time rate" in english
