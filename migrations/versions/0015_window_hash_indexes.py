"""responses: the live duplicate look-up seeks the window's salted hashes

Issue 18 asks the submitting request to catch stuffing with an indexed,
time-bounded look-up of the salted hashes. Migration 0006 had dropped the
indexes of the hashes alone (a person's answers across the city, a ready
look-up that no query needed); these start with the window, so a look-up must
name one window, and hold only rows where the hash is set. Without them each
submission read every answer of its window's day (ix_responses_window_submitted)
to compare hashes, a cost that grew with the window's traffic; that index had
no other reader and goes, so an insert keeps two indexes more, not three.

Revision ID: 0015_window_hash_indexes
Revises: 0014_scale_indexes
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_window_hash_indexes"
down_revision = "0014_scale_indexes"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_responses_window_device", ["window_id", "device_hash", "submitted_at"], "device_hash"),
    ("ix_responses_window_ip_ua", ["window_id", "ip_hash", "ua_family", "submitted_at"], "ip_hash"),
    ("ix_responses_window_phone", ["window_id", "phone_hash", "submitted_at"], "phone_hash"),
)


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_window_submitted")
        for name, columns, column in INDEXES:
            where = sa.text(f"{column} IS NOT NULL")
            batch_op.create_index(
                name, columns, unique=False, sqlite_where=where, postgresql_where=where
            )


def downgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        for name, _columns, _column in reversed(INDEXES):
            batch_op.drop_index(name)
        batch_op.create_index(
            "ix_responses_window_submitted", ["window_id", "submitted_at"], unique=False
        )
