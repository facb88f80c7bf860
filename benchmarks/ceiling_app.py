"""The ceiling for benchmarks/load.py: a minimal Flask app that renders one
template and one that inserts one row, on the same database and server."""

from __future__ import annotations

import os
import uuid

from flask import Flask, render_template, request
from jinja2 import DictLoader
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ title }}</title></head><body><h1>{{ title }}</h1>
<form method="post">{% for i in range(20) %}<label><input type="radio" name="q" value="{{ i }}">
{{ i }}</label>{% endfor %}<button>提交</button></form></body></html>"""

metadata = MetaData()
rows = Table(
    "ceiling_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(36), unique=True),
    Column("value", String(2000)),
)


def create_app() -> Flask:
    app = Flask(__name__)
    # A template file, compiled once and cached as in any Flask app
    # (render_template_string would compile it on every request).
    app.jinja_loader = DictLoader({"page.html": PAGE})
    url = os.environ["CEILING_DATABASE_URL"]
    # The app's own engine settings: a ping before each checkout on a server
    # database, none on a SQLite file (surveyapp/__init__.py).
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, pool_pre_ping=not sqlite)
    if sqlite:

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    metadata.create_all(engine)
    # gunicorn forks after this (preload_app): no pooled connection may be
    # inherited by, and shared between, the workers.
    engine.dispose()

    @app.get("/page")
    def page():
        return render_template("page.html", title="满意度调查")

    @app.post("/insert")
    def insert():
        with engine.begin() as conn:
            conn.execute(
                rows.insert().values(
                    key=uuid.uuid4().hex, value=request.form.get("q", "")
                )
            )
        return "", 303, {"Location": "/page"}

    return app


app = create_app()
