"""The office's catalogue pages: upload, preview, apply; edits one unit at a
time; downloads; the new city's checklist; who may use them."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from surveyapp.models import AuditLog, Firm, Hall, Window
from tests.services.test_org_catalogue import line, table

ORG_PAGES = [
    ("GET", "/office/organisation"),
    ("GET", "/office/organisation/hall"),
    ("POST", "/office/organisation/hall"),
    ("GET", "/office/organisation/hall/1"),
    ("POST", "/office/organisation/hall/1"),
    ("POST", "/office/organisation/hall/1/retire"),
    ("POST", "/office/organisation/hall/1/restore"),
    ("GET", "/office/organisation/import"),
    ("POST", "/office/organisation/import"),
    ("POST", "/office/organisation/import/apply"),
    ("GET", "/office/organisation/catalogue.csv"),
    ("GET", "/office/organisation/template.xlsx"),
    ("GET", "/office/setup"),
    ("POST", "/office/setup/questionnaire"),
]


def upload(client, data: bytes, name="c.csv", retire_missing=False):
    form = {"file": (io.BytesIO(data), name)}
    if retire_missing:
        form["retire_missing"] = "y"
    return client.post(
        "/office/organisation/import", data=form, content_type="multipart/form-data"
    )


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]* value="([^"]*)"', html).group(1)


def apply(client, preview_html: str, **override):
    data = {
        name: hidden(preview_html, name)
        for name in ("token", "fingerprint", "retire_missing")
    }
    data.update(override)
    return client.post("/office/organisation/import/apply", data=data)


def windows(db) -> dict[str, bool]:
    return dict(db.session.execute(select(Window.code, Window.active)).all())


@pytest.mark.parametrize("role", ["analyst", "firm_manager", "interviewer"])
def test_only_admins_reach_the_catalogue_pages(client, login, demo, role):
    firm = None
    if role != "analyst":
        firm = Firm(code="F1", name="Firm")
        demo.session.add(firm)
        demo.session.commit()
    login("someone", role, firm=firm)
    for method, url in ORG_PAGES:
        assert client.open(url, method=method).status_code == 403, (method, url)
    assert demo.session.scalar(select(Hall.active).where(Hall.id == 1))


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    for method, url in ORG_PAGES:
        response = client.open(url, method=method)
        assert response.status_code == 302
        assert "/office/login" in response.headers["Location"]


def test_upload_previews_then_applies(client, login, db):
    admin = login()
    client.set_cookie("lang", "en")
    data = table(line(), line(window="W2", item="S2"))
    preview = upload(client, data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "W1" in html and "W2" in html and "Apply these changes" in html
    assert windows(db) == {}  # a preview changes nothing
    done = apply(client, html)
    assert done.status_code == 302
    assert windows(db) == {"W1": True, "W2": True}
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "org_import"))
    assert entry.user_id == admin.id and entry.detail["via"] == "office"
    assert entry.detail["changes"]["window"] == {"added": 2}
    # The upload is spent: applying the same preview again is refused.
    assert apply(client, html).status_code == 410
    # The same file again: the preview says so and offers nothing to apply.
    again = upload(client, data).get_data(as_text=True)
    assert "changes nothing" in again and "Apply these changes" not in again


def test_a_stale_preview_is_not_applied(client, login, db):
    login()
    assert apply(client, upload(client, table(line())).get_data(as_text=True))
    retire = upload(client, table(line(window="W2")), retire_missing=True)
    html = retire.get_data(as_text=True)
    assert "W1" in html  # W1 would be retired
    # Meanwhile somebody adds W3 by hand: the preview no longer tells it all.
    hall_id = db.session.scalar(select(Hall.id))
    client.post(
        "/office/organisation/window",
        data={"code": "W3", "name": "3号窗口", "parent_id": str(hall_id)},
    )
    assert windows(db) == {"W1": True, "W3": True}
    stale = apply(client, html)
    assert stale.status_code == 409
    assert windows(db) == {"W1": True, "W3": True}  # nothing applied
    fresh = stale.get_data(as_text=True)
    assert hidden(fresh, "fingerprint") != hidden(html, "fingerprint")
    # A tampered choice is refused the same way.
    assert apply(client, fresh, retire_missing="").status_code == 409
    assert apply(client, fresh).status_code == 302
    assert windows(db) == {"W1": False, "W2": True, "W3": False}


def test_a_refused_upload_lists_every_row_and_changes_nothing(client, login, db):
    login()
    bad = table(line(), line(hall="H2", item="S2"), line(window="W2", window_name=""))
    response = upload(client, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "hall_code" in html and "window_name" in html
    assert "窗口 W1 在第 2 行属于大厅 H1" in html  # in the user's language
    client.set_cookie("lang", "en")
    assert "window W1 is under hall H1 in row 2" in upload(client, bad).get_data(True)
    assert windows(db) == {}
    assert upload(client, b"").status_code == 400  # an empty file


def test_another_admins_preview_cannot_be_applied(app, client, login, db, make_user):
    login()
    html = upload(client, table(line())).get_data(as_text=True)
    make_user("other", "admin")
    other = app.test_client()
    other.post(
        "/office/login", data={"username": "other", "password": "correct horse battery"}
    )
    assert apply(other, html).status_code == 410
    assert windows(db) == {}


def test_units_are_added_renamed_retired_and_restored(client, login, db):
    login()
    client.set_cookie("lang", "en")
    client.post(
        "/office/organisation/region", data={"code": "450900", "name": "玉林市本级"}
    )
    region_id = db.session.scalar(select(func.max(Hall.id)))  # none yet
    assert region_id is None
    page = client.get("/office/organisation/hall").get_data(as_text=True)
    region_id = re.search(r'<option value="(\d+)">450900', page).group(1)
    added = client.post(
        "/office/organisation/hall",
        data={"code": "H1", "name": "大厅", "parent_id": region_id},
    )
    assert added.status_code == 302
    hall = db.session.scalar(select(Hall))
    client.post(
        "/office/organisation/window",
        data={"code": "W1", "name": "1号窗口", "parent_id": str(hall.id)},
    )
    window = db.session.scalar(select(Window))
    # Refusals keep the page and say why.
    taken = client.post(
        "/office/organisation/hall",
        data={"code": "H1", "name": "x", "parent_id": region_id},
    )
    assert taken.status_code == 400 and "already in use" in taken.get_data(True)
    bad = client.post("/office/organisation/hall", data={"code": "H 2", "name": "x"})
    assert bad.status_code == 400
    renamed = client.post(
        f"/office/organisation/hall/{hall.id}",
        data={"name": "新大厅", "name_en": "New hall", "parent_id": region_id},
    )
    assert renamed.status_code == 302
    db.session.expire_all()
    assert (hall.name, hall.name_en) == ("新大厅", "New hall")
    assert client.post(f"/office/organisation/hall/{hall.id}/retire").status_code == 302
    db.session.expire_all()
    assert not hall.active and not window.active  # its windows go with it
    # A window cannot come back while its hall is retired.
    refused = client.post(f"/office/organisation/window/{window.id}/restore")
    assert refused.status_code == 409
    client.post(f"/office/organisation/hall/{hall.id}/restore")
    client.post(f"/office/organisation/window/{window.id}/restore")
    db.session.expire_all()
    assert hall.active and window.active
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions.count("org_add") == 3
    assert {"org_edit", "org_retire", "org_restore"} <= set(actions)
    assert client.get("/office/organisation/nothing").status_code == 404


def test_service_items_are_offered_at_the_windows_chosen(client, login, demo):
    from surveyapp.models import Department, ServiceItem

    login()
    department = demo.session.scalar(select(Department).order_by(Department.code))
    window_ids = demo.session.scalars(
        select(Window.id).order_by(Window.code).limit(2)
    ).all()
    client.post(
        "/office/organisation/service_item",
        data={
            "code": "S-new",
            "name": "新事项",
            "parent_id": str(department.id),
            "window_ids": [str(i) for i in window_ids],
        },
    )
    item = demo.session.scalar(select(ServiceItem).where(ServiceItem.code == "S-new"))
    offering = demo.session.scalars(
        select(Window.id).where(Window.service_items.contains(item))
    ).all()
    assert sorted(offering) == sorted(window_ids)
    client.post(
        f"/office/organisation/service_item/{item.id}",
        data={
            "name": "新事项",
            "parent_id": str(department.id),
            "window_ids": [str(window_ids[0])],
        },
    )
    offering = demo.session.scalars(
        select(Window.id).where(Window.service_items.contains(item))
    ).all()
    assert offering == [window_ids[0]]


def test_downloads(client, login, demo):
    login()
    csv = client.get("/office/organisation/catalogue.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    assert "W450900-01" in csv.get_data(as_text=True)
    xlsx = client.get("/office/organisation/template.xlsx")
    assert xlsx.data[:2] == b"PK"
    assert client.get("/office/organisation/catalogue.txt").status_code == 404


def test_a_retired_hall_leaves_the_qr_page_and_new_projects(client, login, demo):
    login()
    hall = demo.session.scalar(select(Hall).where(Hall.code == "H450902"))
    client.post(f"/office/organisation/hall/{hall.id}/retire")
    page = client.get("/office/halls").get_data(as_text=True)
    assert "/halls/H450902/poster" not in page and "/halls/H450900/poster" in page
    assert client.get("/office/halls/H450902/poster").status_code == 404
    assert client.get("/office/qr/W450902-01.svg").status_code == 404
    projects = client.get("/office/projects").get_data(as_text=True)
    assert f'name="hall_ids" value="{hall.id}"' not in projects
    assert 'name="hall_ids" value="1"' in projects


def test_the_forms_carry_their_csrf_tokens(csrf_app, make_user):
    make_user()
    client = csrf_app.test_client()
    page = client.get("/office/login").get_data(as_text=True)
    client.post(
        "/office/login",
        data={
            "username": "admin",
            "password": "correct horse battery",
            "csrf_token": hidden(page, "csrf_token"),
        },
    )
    form = client.get("/office/organisation/import").get_data(as_text=True)
    assert upload(client, table(line())).status_code == 400  # no token: refused
    preview = client.post(
        "/office/organisation/import",
        data={
            "file": (io.BytesIO(table(line())), "c.csv"),
            "csrf_token": hidden(form, "csrf_token"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    applied = apply(client, preview, csrf_token=hidden(preview, "csrf_token"))
    assert applied.status_code == 302
    users = client.get("/office/users").get_data(as_text=True)
    created = client.post(
        "/office/users",
        data={
            "username": "an1",
            "role": "analyst",
            "csrf_token": hidden(users, "csrf_token"),
        },
    )
    assert created.status_code == 200


def test_a_department_s_digest_address_is_set_in_the_office(client, login, db):
    from surveyapp.models import Department

    login()
    client.set_cookie("lang", "en")
    form = client.get("/office/organisation/department").get_data(as_text=True)
    assert 'name="contact_email"' in form
    refused = client.post(
        "/office/organisation/department",
        data={"code": "D1", "name": "行政审批局", "contact_email": "not an address"},
    )
    assert refused.status_code == 400 and "name@example.gov.cn" in refused.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count()).select_from(Department)) == 0
    added = client.post(
        "/office/organisation/department",
        data={"code": "D1", "name": "行政审批局", "contact_email": "xzsp@yulin.gov.cn"},
    )
    assert added.status_code == 302
    department = db.session.scalar(select(Department))
    assert department.contact_email == "xzsp@yulin.gov.cn"
    client.post(
        f"/office/organisation/department/{department.id}",
        data={"name": "行政审批局", "contact_email": ""},
    )
    db.session.expire_all()
    assert department.contact_email == ""
