"""What the server benchmarks share: app code run against a benchmark's
database, gunicorn on a free local port, and a private PostgreSQL database.

Every server listens on 127.0.0.1 only; every wait is bounded in time.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PG_SERVER = f"postgresql+psycopg://postgres@{HOST}:5432"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pg_available() -> bool:
    try:
        socket.create_connection((HOST, 5432), timeout=1).close()
        return True
    except OSError:
        return False


def pg_database(name: str, create: bool) -> str:
    """Create (afresh) or drop a database of the benchmark's own, never the
    shared one; returns its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{PG_SERVER}/{name}"


def in_app(code: str, env: dict[str, str], timeout: float = 300) -> str:
    """Run Python `code` in the app's environment; return what it printed."""
    out = subprocess.run(
        [str(BIN / "python"), "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return out.stdout


def last_line(code: str, env: dict[str, str], timeout: float = 300) -> str:
    return in_app(code, env, timeout).strip().splitlines()[-1]


class Server:
    """gunicorn serving `app` on a free port of 127.0.0.1, ready on return."""

    def __init__(
        self,
        app: str,
        env: dict[str, str],
        cwd: Path = ROOT,
        options: Sequence[str] = ("--config", str(ROOT / "gunicorn.conf.py")),
    ):
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        # The app logs one JSON line per request: to a file, never a pipe that fills.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), *options, "--bind", f"{HOST}:{self.port}", app],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                time.sleep(1.0)
                return
            except OSError:
                if self.proc.poll() is not None:
                    self.log.seek(0)
                    raise RuntimeError(self.log.read().decode()[-2000:]) from None
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
