"""index runs: significance bands, the overall index, intervals of the rates and drivers

Each unit's band (above / same / below the overall index) and the test behind it,
the run's overall index, and a design-based SE and interval for 好评率, 差评率 and
every driver score (issue 22).

Revision ID: 0010_index_bands
Revises: 0009_questionnaire_drafts
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_index_bands"
down_revision = "0009_questionnaire_drafts"
branch_labels = None
depends_on = None

RATE_COLUMNS = tuple(
    f'{rate}_{part}' for rate in ('good_rate', 'bad_rate') for part in ('se', 'ci_low', 'ci_high')
)


def upgrade():
    with op.batch_alter_table('index_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overall', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('index_results', schema=None) as batch_op:
        for column in RATE_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column('driver_intervals', sa.JSON(), nullable=False, server_default='{}')
        )
        batch_op.add_column(sa.Column('band', sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column('vs_overall', sa.JSON(), nullable=False, server_default='{}')
        )
    # The defaults only fill the rows that exist; new rows get theirs from the app.
    with op.batch_alter_table('index_runs', schema=None) as batch_op:
        batch_op.alter_column('overall', server_default=None)
    with op.batch_alter_table('index_results', schema=None) as batch_op:
        batch_op.alter_column('driver_intervals', server_default=None)
        batch_op.alter_column('vs_overall', server_default=None)


def downgrade():
    with op.batch_alter_table('index_results', schema=None) as batch_op:
        batch_op.drop_column('vs_overall')
        batch_op.drop_column('band')
        batch_op.drop_column('driver_intervals')
        for column in reversed(RATE_COLUMNS):
            batch_op.drop_column(column)
    with op.batch_alter_table('index_runs', schema=None) as batch_op:
        batch_op.drop_column('overall')
