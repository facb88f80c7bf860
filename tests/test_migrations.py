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
