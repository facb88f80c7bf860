"""the public loop: receipt codes, the citizen's rating of a fix, call-backs, digest e-mail

A response's receipt hash (a bad rating or a complaint gets a receipt code the
citizen follows at /track), the case's fix rating and call-back record, and a
department's contact e-mail for the daily case digest (issue 21).

Revision ID: 0012_public_loop
Revises: 0011_session_version
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012_public_loop"
down_revision = "0011_session_version"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_responses_receipt_hash'), ['receipt_hash']
        )
    with op.batch_alter_table('complaint_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fix_rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('fix_rated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('callback_at', sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('callback_outcome', sa.String(length=16), nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('callback_note', sa.Text(), nullable=False, server_default='')
        )
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('contact_email', sa.String(length=254), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('contact_email')
    with op.batch_alter_table('complaint_cases', schema=None) as batch_op:
        for column in ('callback_note', 'callback_outcome', 'callback_at', 'fix_rated_at', 'fix_rating'):
            batch_op.drop_column(column)
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_responses_receipt_hash'), type_='unique')
        batch_op.drop_column('receipt_hash')
