"""The Alembic history builds exactly the schema the models describe."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from surveyapp import create_app
from surveyapp.extensions import db


@pytest.fixture()
def empty_database_url(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"surveyapp_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_match_models(empty_database_url):
    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": empty_database_url}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()


def test_the_partial_indexes_serve_the_queries_that_need_them(tmp_path):
    """Migration 0007 indexes the review queue's rows and the columns a
    citizen's response leaves empty only where set; the services' own
    queries must still find their rows through those indexes (SQLite's
    planner, on the migrated schema)."""
    from types import SimpleNamespace

    from sqlalchemy import event

    from surveyapp.services.fieldwork.quotas import recount_quotas
    from surveyapp.services.quality.review import flagged_queue

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'plans.db'}",
        }
    )
    with app.app_context():
        upgrade()
        statements = []
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda conn, cursor, sql, params, *_: statements.append((sql, params)),
        )
        flagged_queue()  # the whole city's queue
        recount_quotas(SimpleNamespace(id=1, cells=[]))
        plans = {}
        raw = db.engine.raw_connection()
        for sql, params in statements:
            if sql.lstrip().upper().startswith(("SELECT", "UPDATE")):
                rows = raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
                plans[sql] = " / ".join(row[-1] for row in rows)
        raw.close()
        db.engine.dispose()
    used = " ".join(plans.values())
    assert "INDEX ix_responses_review_queue" in used, plans
    # the recount's count and its update both find the project's rows by index
    assert used.count("INDEX ix_responses_project_id") == 2, plans
