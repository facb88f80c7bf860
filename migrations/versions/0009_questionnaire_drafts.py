"""questionnaires: a draft being built, and assignments to halls and windows

A questionnaire keeps the definition being edited (office builder, XLSForm
import) beside its immutable published versions; publishing copies it into a
new version. An assignment makes a questionnaire the one a hall's QR codes
(or one window's) open, whatever questionnaire the printed code names.

Revision ID: 0009_questionnaire_drafts
Revises: 0008_org_catalogue
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_questionnaire_drafts"
down_revision = "0008_org_catalogue"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("questionnaires", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("draft_updated_at", sa.DateTime(), nullable=True))
    op.create_table(
        "questionnaire_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=True),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"],
            ["halls.id"],
            name=op.f("fk_questionnaire_assignments_hall_id_halls"),
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaires.id"],
            name=op.f("fk_questionnaire_assignments_questionnaire_id_questionnaires"),
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["windows.id"],
            name=op.f("fk_questionnaire_assignments_window_id_windows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_assignments")),
        sa.UniqueConstraint(
            "hall_id", name=op.f("uq_questionnaire_assignments_hall_id")
        ),
        sa.UniqueConstraint(
            "window_id", name=op.f("uq_questionnaire_assignments_window_id")
        ),
    )
    with op.batch_alter_table("questionnaire_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_assignments_questionnaire_id"),
            ["questionnaire_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("questionnaire_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_assignments_questionnaire_id"))
    op.drop_table("questionnaire_assignments")
    with op.batch_alter_table("questionnaires", schema=None) as batch_op:
        batch_op.drop_column("draft_updated_at")
        batch_op.drop_column("draft")
