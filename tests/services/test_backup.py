"""`flask backup create|restore`: back up, lose the data, restore, find it again."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from surveyapp import create_app
from surveyapp.extensions import db
from surveyapp.models import AuditLog, Response
from surveyapp.services.admin.backup import (
    BackupError,
    create_backup,
    libpq_target,
    restore_backup,
)


def _pg_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", "").replace(
        "postgresql://", "postgresql+psycopg://", 1
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A private database (a temp SQLite file, or a temporary PostgreSQL
    database beside the test one), never the shared test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.db'}"
        return
    url = _pg_url()
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL backup test needs TEST_DATABASE_URL=postgresql...")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed")
    name = f"surveyapp_backup_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture()
def live_app(database_url, tmp_path):
    from surveyapp.services.admin.demo import seed_demo

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "BACKUP_DIR": str(tmp_path / "backups"),
        }
    )
    with app.app_context():
        db.create_all()
        seed_demo(12)
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _responses(app) -> list[str]:
    with app.app_context():
        ids = sorted(db.session.scalars(select(Response.public_id)))
        db.session.remove()
        return ids


def test_backup_then_damage_then_restore_finds_the_data(live_app, tmp_path):
    runner = live_app.test_cli_runner()
    before = _responses(live_app)
    assert len(before) == 12

    made = runner.invoke(args=["backup", "create", "--out", str(tmp_path / "out")])
    assert made.exit_code == 0, made.output
    files = list((tmp_path / "out").iterdir())
    assert len(files) == 1 and files[0].stat().st_size > 0
    assert not files[0].name.endswith(".partial")

    with live_app.app_context():  # the damage: answers lost, a table gone
        db.session.execute(Response.__table__.delete())
        db.session.execute(text("DROP TABLE window_service_items"))
        db.session.commit()
        db.session.remove()
    assert _responses(live_app) == []

    refused = runner.invoke(args=["backup", "restore", str(files[0])])
    assert refused.exit_code != 0 and "--yes" in refused.output
    assert _responses(live_app) == []

    done = runner.invoke(args=["backup", "restore", str(files[0]), "--yes"])
    assert done.exit_code == 0, done.output
    assert _responses(live_app) == before
    with live_app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM window_service_items"))
        actions = db.session.scalars(select(AuditLog.action)).all()
        assert "backup_restore" in actions
        db.session.remove()
    # The damaged state was kept too, in case the wrong file was restored.
    assert list((tmp_path / "backups").glob("pre-restore-*"))


def test_backup_file_is_consistent_while_the_app_writes(live_app, tmp_path):
    url = live_app.config["SQLALCHEMY_DATABASE_URI"]
    with live_app.app_context():
        db.session.execute(text("SELECT 1"))  # an open connection in the pool
        first = create_backup(url, tmp_path / "b")
        second = create_backup(url, tmp_path / "b")
        db.session.remove()
    assert first != second and first.exists() and second.exists()


def test_restore_refuses_files_that_are_not_backups(live_app, tmp_path):
    url = live_app.config["SQLALCHEMY_DATABASE_URI"]
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 10)
    with pytest.raises(BackupError, match="not a"):
        restore_backup(url, junk)
    with pytest.raises(BackupError, match="no backup file"):
        restore_backup(url, tmp_path / "missing.sqlite3")
    assert len(_responses(live_app)) == 12


def test_backups_are_readable_by_their_owner_only(live_app, tmp_path):
    """A backup holds every answer and encrypted phone: 0600 in a 0700
    directory, whatever the process's umask."""
    out = tmp_path / "private" / "backups"
    previous = os.umask(0)
    try:
        backup = create_backup(live_app.config["SQLALCHEMY_DATABASE_URI"], out)
    finally:
        os.umask(previous)
    assert backup.stat().st_mode & 0o777 == 0o600
    assert out.stat().st_mode & 0o777 == 0o700
    assert list(out.glob("*.partial")) == []


def test_backup_errors_are_clear(tmp_path, monkeypatch):
    with pytest.raises(BackupError, match="in-memory"):
        create_backup("sqlite://", tmp_path)
    with pytest.raises(BackupError, match="no SQLite database"):
        create_backup(f"sqlite:///{tmp_path / 'nothing.db'}", tmp_path)
    with pytest.raises(BackupError, match="SQLite and PostgreSQL"):
        create_backup("mysql://u@h/db", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump was not found"):
        create_backup("postgresql+psycopg://u:pw@127.0.0.1:5432/db", tmp_path)
    assert list(tmp_path.glob("*.partial")) == []


def test_password_goes_to_the_environment_not_the_command_line():
    target, env = libpq_target("postgresql+psycopg://app:s3cret@db:5432/surveys")
    assert target == "postgresql://app@db:5432/surveys"
    assert env["PGPASSWORD"] == "s3cret"


def test_cli_reports_errors_without_a_traceback(runner, tmp_path):
    result = runner.invoke(args=["backup", "restore", str(tmp_path / "x"), "--yes"])
    assert result.exit_code != 0
    assert "Error" in result.output and "Traceback" not in result.output
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0
