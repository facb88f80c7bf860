"""Uploads: files up to FIRM_UPLOAD_MAX_BYTES pass the CSRF check and the body
limit, larger ones and zip bombs are refused with a clear message, and an
uploaded naive time is local time."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from surveyapp.models import TransactionVolume
from surveyapp.models.sampling import ServiceTransaction
from surveyapp.tables import reader
from tests.firm_factories import HALL, ITEM, firm, make_project


def _transactions(rows: int) -> bytes:
    lines = ["hall_code,service_item_code,occurred_at,phone,reference"] + [
        f"{HALL},{ITEM},2026-11-03 10:42,138{n:08d},REF-{n:010d}" for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def _csrf_on(app, monkeypatch) -> None:
    """From here on, forms need their CSRF token (the tests' config has it off)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.fixture()
def manager(client, login, demo):
    project = make_project()
    login("m1", "firm_manager", firm=firm("F1"))
    return project


def _token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_107_kb_csv_passes_the_csrf_check_and_is_imported(
    client, manager, db, app, monkeypatch
):
    _csrf_on(app, monkeypatch)
    data = _transactions(1500)
    assert 100_000 < len(data) < 120_000  # above the site's 64 KB body limit
    path = f"/firm/p/{manager.id}/transactions"
    token = _token(client, path)
    done = client.post(
        path, data={"csrf_token": token, "file": (io.BytesIO(data), "t.csv")}
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:300]
    assert _count(db, ServiceTransaction) == 1500
    # CSRF is still checked: the same file without the token is refused.
    refused = client.post(path, data={"file": (io.BytesIO(data), "t.csv")})
    assert refused.status_code == 400
    # Every other form keeps the 64 KB limit.
    assert client.post("/office/login", data={"x": "y" * 100_000}).status_code == 413


def test_the_office_volume_upload_takes_large_files_too(
    client, login, demo, db, app, monkeypatch
):
    login()
    _csrf_on(app, monkeypatch)
    token = _token(client, "/office/indices")
    rows = "".join(
        f"H450900,,{2000 + n // 12:04d}-{n % 12 + 1:02d},{n}\n" for n in range(5000)
    )
    data = ("hall_code,service_item_code,month,count\n" + rows).encode()
    assert len(data) > 100_000
    response = client.post(
        "/office/volumes/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), "v.csv")},
    )
    assert response.status_code == 302
    assert _count(db, TransactionVolume) == 5000


def test_a_file_over_the_upload_limit_is_a_413_in_the_users_language(
    client, manager, app, monkeypatch, db
):
    monkeypatch.setitem(app.config, "FIRM_UPLOAD_MAX_BYTES", 100_000)
    path = f"/firm/p/{manager.id}/transactions"
    big = {"file": (io.BytesIO(_transactions(1900)), "t.csv")}
    response = client.post(path, data=big)
    assert response.status_code == 413
    assert "文件大于 0.1 MB" in response.get_data(as_text=True)
    english = client.post(
        path + "?lang=en", data={"file": (io.BytesIO(_transactions(1900)), "t.csv")}
    )
    assert english.status_code == 413
    assert "larger than 0.1 MB" in english.get_data(as_text=True)
    assert _count(db, ServiceTransaction) == 0


def _bomb() -> bytes:
    """A small XLSX that unpacks to ~60 MB."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["hall_code", "service_item_code", "period", "volume"])
    plain = io.BytesIO()
    book.save(plain)
    row = (
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{HALL}</t></is></c></row>'.encode()
    )
    out = io.BytesIO()
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", row * 1_000_000 + b"</sheetData>")
            target.writestr(item, data)
    return out.getvalue()


def test_a_zip_bomb_is_refused_unread(client, manager, monkeypatch, db):
    bomb = _bomb()
    assert len(bomb) < 1_000_000

    def never(*args, **kwargs):
        raise AssertionError("a refused file must not be parsed")

    monkeypatch.setattr(reader, "load_workbook", never)
    response = client.post(
        f"/firm/p/{manager.id}/frame?lang=en",
        data={"file": (io.BytesIO(bomb), "frame.xlsx")},
    )
    assert response.status_code == 400
    assert "unpacks to more than 25 MB" in response.get_data(as_text=True)
    assert "nothing was imported" in response.get_data(as_text=True)


def test_an_uploaded_naive_time_is_local_time(client, manager, db):
    lines = (
        "hall_code,service_item_code,occurred_at,phone\n"
        f"{HALL},{ITEM},2026-11-03 10:42,13800138000\n"
        f"{HALL},{ITEM},2026-11-03T10:42:00+00:00,13800138001\n"
    )
    path = f"/firm/p/{manager.id}/transactions"
    assert (
        client.post(
            path, data={"file": (io.BytesIO(lines.encode()), "t.csv")}
        ).status_code
        == 302
    )
    exported = client.post(
        f"/firm/p/{manager.id}/callbacks", data={"n": "2", "seed": "0", "fmt": "csv"}
    ).data.decode("utf-8-sig")
    assert "2026-11-03T10:42:00+08:00" in exported  # not 18:42
    assert "2026-11-03T18:42:00+08:00" in exported  # the UTC one keeps its offset
