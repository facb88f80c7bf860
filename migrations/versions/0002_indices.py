"""indices: transaction volumes, index runs and results

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('index_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('dimension_weights', sa.JSON(), nullable=False),
    sa.Column('method_notes', sa.JSON(), nullable=False),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.Column('cutoff', sa.DateTime(), nullable=False),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.Column('response_count', sa.Integer(), nullable=False),
    sa.Column('inputs_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('supersede_reason', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_index_runs_created_by_id_users')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['index_runs.id'], name=op.f('fk_index_runs_supersedes_id_index_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_runs'))
    )
    with op.batch_alter_table('index_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_runs_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_index_runs_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_index_runs_status'), ['status'], unique=False)

    op.create_table('index_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('n_eff', sa.Double(), nullable=True),
    sa.Column('deff', sa.Double(), nullable=True),
    sa.Column('df', sa.Double(), nullable=True),
    sa.Column('index', sa.Double(), nullable=True),
    sa.Column('se', sa.Double(), nullable=True),
    sa.Column('ci_low', sa.Double(), nullable=True),
    sa.Column('ci_high', sa.Double(), nullable=True),
    sa.Column('good_rate', sa.Double(), nullable=True),
    sa.Column('bad_rate', sa.Double(), nullable=True),
    sa.Column('overall_mean', sa.Double(), nullable=True),
    sa.Column('driver_scores', sa.JSON(), nullable=False),
    sa.Column('trend', sa.JSON(), nullable=False),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.Column('excluded_total', sa.Integer(), nullable=False),
    sa.Column('rankable', sa.Boolean(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('points', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['index_runs.id'], name=op.f('fk_index_results_run_id_index_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_results')),
    sa.UniqueConstraint('run_id', 'unit_code', name=op.f('uq_index_results_run_id'))
    )
    with op.batch_alter_table('index_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_results_run_id'), ['run_id'], unique=False)

    op.create_table('transaction_volumes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('service_item_id', sa.Integer(), nullable=True),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_transaction_volumes_hall_id_halls')),
    sa.ForeignKeyConstraint(['service_item_id'], ['service_items.id'], name=op.f('fk_transaction_volumes_service_item_id_service_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_volumes')),
    sa.UniqueConstraint('hall_id', 'service_item_id', 'month', name=op.f('uq_transaction_volumes_hall_id'))
    )
    with op.batch_alter_table('transaction_volumes', schema=None) as batch_op:
        batch_op.create_index('ix_transaction_volumes_month_hall', ['month', 'hall_id'], unique=False)


def downgrade():
    with op.batch_alter_table('transaction_volumes', schema=None) as batch_op:
        batch_op.drop_index('ix_transaction_volumes_month_hall')

    op.drop_table('transaction_volumes')
    with op.batch_alter_table('index_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_results_run_id'))

    op.drop_table('index_results')
    with op.batch_alter_table('index_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_runs_status'))
        batch_op.drop_index(batch_op.f('ix_index_runs_period'))
        batch_op.drop_index(batch_op.f('ix_index_runs_level'))

    op.drop_table('index_runs')
