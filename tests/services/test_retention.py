"""`flask retention purge`: personal fields go, anonymous answers stay."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select

from surveyapp import models
from surveyapp.models import AuditLog, Hall, QuestionnaireVersion, Response
from surveyapp.services.admin.retention import (
    cutoff_instant,
    default_cutoff,
    personal_columns,
    purge_personal_data,
)


def _response(db, submitted_at: datetime, *, phone: bool = True) -> Response:
    hall = db.session.scalars(select(Hall)).first()
    version = db.session.scalars(select(QuestionnaireVersion)).first()
    response = Response(
        public_id=uuid.uuid4().hex,
        version_id=version.id,
        hall_id=hall.id,
        started_at=submitted_at,
        submitted_at=submitted_at,
        ip_hash="a" * 64,
        device_hash="b" * 64,
        phone_hash="c" * 64 if phone else None,
        phone_encrypted="gAAAA-encrypted" if phone else None,
        contact_consent=phone,
        overall=4,
        answers={"overall": 4, "drivers": {"attitude": 5}},
        comment="窗口很好",
    )
    db.session.add(response)
    db.session.commit()
    return response


def _personal(response: Response) -> tuple:
    return (
        response.ip_hash,
        response.device_hash,
        response.phone_hash,
        response.phone_encrypted,
        response.contact_consent,
    )


def test_purge_clears_personal_fields_before_the_date_only(demo):
    db = demo
    old = _response(db, datetime(2025, 1, 10, 3, 0))
    old_no_phone = _response(db, datetime(2025, 2, 1), phone=False)
    recent = _response(db, datetime(2025, 9, 1))
    result = purge_personal_data(datetime(2025, 6, 1))
    assert result.rows["responses"] == 2
    fields = result.fields["responses"]
    assert fields["ip_hash"] == 2 and fields["phone_hash"] == 1
    assert fields["contact_consent"] == 1
    db.session.expire_all()
    assert _personal(old) == (None, None, None, None, False)
    assert _personal(old_no_phone) == (None, None, None, None, False)
    assert _personal(recent) == ("a" * 64, "b" * 64, "c" * 64, "gAAAA-encrypted", True)
    # What the indices need is untouched.
    assert old.overall == 4 and old.answers["drivers"]["attitude"] == 5
    assert old.submitted_at == datetime(2025, 1, 10, 3, 0) and old.hall_id
    entry = db.session.scalars(select(AuditLog)).one()
    assert entry.action == "retention_purge"
    assert entry.detail["rows"]["responses"] == 2
    # A second run finds nothing left to clear.
    assert purge_personal_data(datetime(2025, 6, 1)).rows["responses"] == 0


def test_dry_run_counts_and_changes_nothing(demo):
    db = demo
    old = _response(db, datetime(2025, 1, 10))
    result = purge_personal_data(datetime(2025, 6, 1), dry_run=True)
    assert result.rows["responses"] == 1 and result.dry_run
    db.session.expire_all()
    assert old.ip_hash == "a" * 64 and old.contact_consent
    assert db.session.scalars(select(AuditLog)).all() == []


def test_cli_purge_with_date_and_default(demo, runner, app):
    db = demo
    old = _response(db, datetime(2020, 3, 1))
    dry = runner.invoke(
        args=["retention", "purge", "--before", "2021-01-01", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "responses: 1 rows" in dry.output and "dry run" in dry.output
    done = runner.invoke(args=["retention", "purge"])  # today - RETENTION_DAYS
    assert done.exit_code == 0, done.output
    assert "responses: 1 rows" in done.output
    db.session.expire_all()
    assert old.ip_hash is None
    bad = runner.invoke(args=["retention", "purge", "--before", "last year"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_cutoff_is_midnight_in_the_city_and_default_from_retention_days():
    # Midnight in Yulin (UTC+8) is 16:00 UTC the day before.
    assert cutoff_instant(date(2025, 6, 1), "Asia/Shanghai") == datetime(
        2025, 5, 31, 16
    )
    assert default_cutoff(180, today=date(2025, 12, 31)) == date(2025, 7, 4)


def test_every_personal_field_that_exists_is_covered():
    covered = {
        (model.__tablename__, column.name)
        for model, _age, cols in personal_columns()
        for column in cols
    }
    assert ("responses", "phone_encrypted") in covered
    # Hashed or encrypted phones anywhere in the models are purged too.
    for mapper in models.AuditLog.registry.mappers:
        table = mapper.class_.__table__
        for column in table.columns:
            if column.name.startswith("phone") and table.name != "audit_logs":
                assert (table.name, column.name) in covered
