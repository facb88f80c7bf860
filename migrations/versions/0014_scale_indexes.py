"""scale: indexes for keyset pages, and the responses' daily rollup

The responses and cases lists page by (timestamp, id) instead of OFFSET, so
their indexes end in the id: a page is one index range whatever its depth,
and rows sharing a timestamp keep one order. The daily rollup of responses
(per UTC day, hall, rating and verdict) lets the office summary and the
lists' totals read a few thousand rows instead of millions
(docs/operations.md says how it is refreshed).

Revision ID: 0014_scale_indexes
Revises: 0013_one_truth
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_scale_indexes"
down_revision = "0013_one_truth"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_submitted_at')
        batch_op.drop_index('ix_responses_hall_submitted')
        batch_op.create_index('ix_responses_submitted_id', ['submitted_at', 'id'], unique=False)
        batch_op.create_index(
            'ix_responses_hall_submitted', ['hall_id', 'submitted_at', 'id'], unique=False
        )
    with op.batch_alter_table('complaint_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_cases_due_at')
        batch_op.drop_index('ix_complaint_cases_hall_id')
        batch_op.drop_index('ix_complaint_cases_state')
        batch_op.create_index('ix_complaint_cases_due_id', ['due_at', 'id'], unique=False)
        batch_op.create_index(
            'ix_complaint_cases_hall_due', ['hall_id', 'due_at', 'id'], unique=False
        )
        batch_op.create_index(
            'ix_complaint_cases_state_due', ['state', 'due_at', 'id'], unique=False
        )
    op.create_table(
        'response_day_counts',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('overall', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('verdict', sa.String(length=16), nullable=False),
        sa.Column('responses', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['hall_id'], ['halls.id'], name=op.f('fk_response_day_counts_hall_id_halls')
        ),
        sa.PrimaryKeyConstraint(
            'day', 'hall_id', 'overall', 'verdict', name=op.f('pk_response_day_counts')
        ),
    )
    op.create_table(
        'rollup_marks',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('through', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_rollup_marks')),
    )


def downgrade():
    op.drop_table('rollup_marks')
    op.drop_table('response_day_counts')
    with op.batch_alter_table('complaint_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_cases_state_due')
        batch_op.drop_index('ix_complaint_cases_hall_due')
        batch_op.drop_index('ix_complaint_cases_due_id')
        batch_op.create_index('ix_complaint_cases_state', ['state'], unique=False)
        batch_op.create_index('ix_complaint_cases_hall_id', ['hall_id'], unique=False)
        batch_op.create_index('ix_complaint_cases_due_at', ['due_at'], unique=False)
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_hall_submitted')
        batch_op.drop_index('ix_responses_submitted_id')
        batch_op.create_index(
            'ix_responses_hall_submitted', ['hall_id', 'submitted_at'], unique=False
        )
        batch_op.create_index('ix_responses_submitted_at', ['submitted_at'], unique=False)
