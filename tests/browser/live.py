"""Shared set-up of the browser tests: a live server on a demo database."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from surveyapp import create_app
from surveyapp.extensions import db

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_browser() -> None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@contextmanager
def live_app(
    db_path: Path, setup: Callable[[], object] | None = None
) -> Iterator[tuple[Flask, str, object]]:
    """A CSRF-protected app on a fresh demo database, served on 127.0.0.1;
    yields (app, base URL, whatever `setup` returned inside the app context)."""
    require_browser()
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "WTF_CSRF_ENABLED": True,
            "PUBLIC_BASE_URL": "",
        }
    )
    with app.app_context():
        db.create_all()
        from surveyapp.services.admin.demo import seed_demo

        seed_demo(0)
        extra = setup() if setup else None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, base, extra
    finally:
        server.shutdown()
