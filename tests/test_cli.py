"""Command-line interface: demo data, QR export, users, response export."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from surveyapp.models import Hall, Region, Response, User, Window


def test_seed_demo_is_idempotent(runner, db):
    first = runner.invoke(args=["seed-demo", "--responses", "300"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo", "--responses", "300"])
    assert "halls: 0" in second.output and "responses: 0" in second.output
    assert db.session.scalar(select(func.count(Response.id))) == 300
    names = {r.name for r in db.session.scalars(select(Region))}
    assert {
        "玉州区",
        "福绵区",
        "北流市",
        "容县",
        "陆川县",
        "博白县",
        "兴业县",
        "玉林市本级",
    } <= names
    assert db.session.scalar(select(func.count(Hall.id))) == 8
    assert all(w.service_items for w in db.session.scalars(select(Window)))
    halls_used = db.session.scalar(select(func.count(func.distinct(Response.hall_id))))
    assert halls_used == 8
    skipped = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already has data" in skipped.output


def test_demo_responses_fall_in_the_last_90_days(runner, db):
    from datetime import timedelta

    from surveyapp.models.base import utcnow

    runner.invoke(args=["seed-demo", "--responses", "200"])
    oldest = db.session.scalar(select(func.min(Response.submitted_at)))
    newest = db.session.scalar(select(func.max(Response.submitted_at)))
    assert utcnow() - oldest <= timedelta(days=91)
    assert newest <= utcnow()  # never in the future (tests/services/test_demo.py)


def test_qr_export_writes_decodable_codes_and_posters(runner, db, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    runner.invoke(args=["seed-demo"])
    result = runner.invoke(
        args=[
            "qr",
            "export",
            "--out",
            str(tmp_path),
            "--base-url",
            "https://pj.yulin.example",
        ]
    )
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("*.png"))) == 8 + 56
    assert len(list(tmp_path.glob("*.svg"))) == 8 + 56
    assert len(list(tmp_path.glob("*-poster.html"))) == 8
    text = zxingcpp.read_barcodes(Image.open(tmp_path / "W450921-03.png"))[0].text
    assert text.startswith("https://pj.yulin.example/s/")
    poster = (tmp_path / "H450921-poster.html").read_text(encoding="utf-8")
    assert "容县政务服务中心" in poster and "扫码" in poster


def test_create_admin_and_refuse_weak_password(runner, db):
    weak = runner.invoke(
        args=["users", "create-admin", "--username", "a", "--password", "short"]
    )
    assert weak.exit_code != 0 and "at least" in weak.output
    ok = runner.invoke(
        args=[
            "users",
            "create-admin",
            "--username",
            "chief",
            "--password",
            "a long passphrase",
        ]
    )
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(select(User).where(User.username == "chief"))
    assert user.role == "admin" and user.password_hash.startswith("scrypt:")
    again = runner.invoke(
        args=[
            "users",
            "create-admin",
            "--username",
            "chief",
            "--password",
            "a long passphrase",
        ]
    )
    assert again.exit_code != 0 and "exists" in again.output


def test_responses_export_cli(runner, db, tmp_path):
    runner.invoke(args=["seed-demo", "--responses", "50"])
    out = tmp_path / "r.csv"
    result = runner.invoke(
        args=["responses", "export", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 50
    assert rows[0]["hall_code"].startswith("H4509")
    # What citizens wrote: readable by the file's owner only.
    assert out.stat().st_mode & 0o777 == 0o600
    xlsx = tmp_path / "r.xlsx"
    result = runner.invoke(
        args=[
            "responses",
            "export",
            "--format",
            "xlsx",
            "--out",
            str(xlsx),
            "--hall",
            "H450902",
        ]
    )
    assert result.exit_code == 0 and xlsx.stat().st_size > 0
    bad = runner.invoke(
        args=["responses", "export", "--out", str(out), "--hall", "NOPE"]
    )
    assert bad.exit_code != 0 and "no hall" in bad.output


def test_a_locked_out_admin_gets_a_password_link(app, runner, make_user):
    make_user("admin", "admin")
    result = runner.invoke(args=["users", "password-link", "admin"])
    assert result.exit_code == 0, result.output
    link = result.output.splitlines()[0]
    path = "/office/password/" + link.rsplit("/office/password/", 1)[1]
    new = "a fresh long password"
    client = app.test_client()
    assert client.get(path).status_code == 200
    done = client.post(path, data={"new_password": new, "confirm": new})
    assert done.status_code == 302
    login = client.post("/office/login", data={"username": "admin", "password": new})
    assert login.status_code == 302
    missing = runner.invoke(args=["users", "password-link", "nobody"])
    assert missing.exit_code != 0 and "no user" in missing.output
