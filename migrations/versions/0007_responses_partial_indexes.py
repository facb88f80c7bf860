"""responses: index only what queries look for (a citizen's insert upkeeps less)

Every index on responses is work on every citizen's submission. The columns
a citizen's response leaves empty (project, quota cell, interviewer, service
item) are now indexed only where set, which is all their queries look for
(``col = ?`` implies ``col IS NOT NULL`` in SQLite and PostgreSQL alike). The
review queue gets an index of the flagged rows alone instead of one of every
row's verdict. Nothing looks responses up by questionnaire version or by
rating alone, so those two indexes go. On SQLite this took ~12% off a
submission (benchmarks/load.py).

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

WHERE_SET = ('service_item_id', 'project_id', 'quota_cell_id', 'interviewer_id')
DROPPED = ('version_id', 'overall')
FLAGGED = "verdict = 'flagged'"


def _partial(name, columns, where):
    op.create_index(
        name,
        'responses',
        columns,
        unique=False,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade():
    for column in WHERE_SET:
        op.drop_index(f'ix_responses_{column}', table_name='responses')
        _partial(f'ix_responses_{column}', [column], f'{column} IS NOT NULL')
    for column in DROPPED:
        op.drop_index(f'ix_responses_{column}', table_name='responses')
    op.drop_index('ix_responses_verdict', table_name='responses')
    _partial('ix_responses_review_queue', ['submitted_at', 'id'], FLAGGED)


def downgrade():
    op.drop_index('ix_responses_review_queue', table_name='responses')
    op.create_index('ix_responses_verdict', 'responses', ['verdict'], unique=False)
    for column in DROPPED:
        op.create_index(f'ix_responses_{column}', 'responses', [column], unique=False)
    for column in WHERE_SET:
        op.drop_index(f'ix_responses_{column}', table_name='responses')
        op.create_index(f'ix_responses_{column}', 'responses', [column], unique=False)
