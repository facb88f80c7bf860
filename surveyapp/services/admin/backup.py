"""Backups: SQLite's online backup API or pg_dump, and restoring either."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_SUFFIX = ".sqlite3"
# A backup holds every citizen's answers and encrypted phone: its owner only.
FILE_MODE = 0o600
DIR_MODE = 0o700
PG_SUFFIX = ".pgdump"
_PG_MAGIC = b"PGDMP"
_SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def database_kind(database_url: str) -> str:
    backend = make_url(database_url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


def backup_name(
    kind: str, now: datetime | None = None, label: str = "surveyapp"
) -> str:
    now = now or datetime.now(UTC)
    suffix = SQLITE_SUFFIX if kind == "sqlite" else PG_SUFFIX
    return f"{label}-{now:%Y%m%dT%H%M%S%fZ}{suffix}"


def create_backup(
    database_url: str, out_dir: Path, *, label: str = "surveyapp"
) -> Path:
    """Write a consistent copy of the database to a new timestamped file in
    `out_dir` while the app keeps running. Returns its path."""
    kind = database_kind(database_url)
    out_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    target = out_dir / backup_name(kind, label=label)
    partial = target.with_name(target.name + ".partial")
    try:
        # Created empty with the owner-only mode before anything is written:
        # SQLite and pg_dump write into it and keep its mode (never 0644 for a
        # moment, whatever the umask).
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        os.chmod(partial, FILE_MODE)
        if kind == "sqlite":
            _sqlite_copy(_sqlite_path(database_url, must_exist=True), partial)
        else:
            _run_pg("pg_dump", database_url, ["--format=custom", f"--file={partial}"])
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    # Only a complete backup gets its final name.
    partial.rename(target)
    return target


def check_backup(database_url: str, backup: Path) -> None:
    """Refuse a file that is not a readable backup for this kind of database."""
    kind = database_kind(database_url)
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    with backup.open("rb") as handle:
        head = handle.read(16)
    if kind == "sqlite":
        if not head.startswith(_SQLITE_MAGIC):
            raise BackupError(f"{backup} is not a SQLite backup")
        _check_sqlite_backup(backup)
    elif not head.startswith(_PG_MAGIC):
        raise BackupError(f"{backup} is not a pg_dump custom-format backup")


def restore_backup(database_url: str, backup: Path) -> None:
    """Replace the configured database's contents with the backup. Stop the
    app (or expect errors while it runs) before calling this."""
    check_backup(database_url, backup)
    if database_kind(database_url) == "sqlite":
        _sqlite_copy(backup, _sqlite_path(database_url, must_exist=False))
    else:
        _run_pg(
            "pg_restore",
            database_url,
            [
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                str(backup),
            ],
        )


def _sqlite_path(database_url: str, *, must_exist: bool) -> Path:
    name = make_url(database_url).database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up")
    path = Path(name)
    if must_exist and not path.is_file():
        raise BackupError(f"no SQLite database at {path}")
    return path


def _sqlite_copy(source: Path, target: Path) -> None:
    """sqlite3's online backup: a consistent snapshot even while others write."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        with dst:
            src.backup(dst, pages=1024)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _check_sqlite_backup(backup: Path) -> None:
    conn = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error as exc:
        raise BackupError(f"{backup} cannot be read: {exc}") from exc
    finally:
        conn.close()
    if ok != "ok":
        raise BackupError(f"{backup} is damaged: {ok}")
    if "responses" not in tables:
        raise BackupError(f"{backup} is not a surveyapp database (no responses table)")


def libpq_target(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL for PostgreSQL's own tools, with the password moved to the
    environment so it never shows in the process list."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False), env


def _run_pg(tool: str, database_url: str, args: list[str]) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} was not found on PATH: install the PostgreSQL client tools "
            "of the server's major version (Debian: apt-get install postgresql-client)"
        )
    target, env = libpq_target(database_url)
    command = [executable, "--no-owner", "--no-privileges", f"--dbname={target}", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise BackupError(f"{tool} failed: " + " / ".join(message))
