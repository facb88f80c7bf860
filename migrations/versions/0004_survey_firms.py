"""survey firms: projects, frames, sample plans, quota cells, fieldwork

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('quota_dimensions', sa.JSON(), nullable=False),
    sa.Column('over_quota_policy', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_survey_projects_firm_id_firms')),
    sa.ForeignKeyConstraint(['version_id'], ['questionnaire_versions.id'], name=op.f('fk_survey_projects_version_id_questionnaire_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_projects')),
    sa.UniqueConstraint('code', name=op.f('uq_survey_projects_code'))
    )
    with op.batch_alter_table('survey_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_projects_firm_id'), ['firm_id'], unique=False)

    op.create_table('frame_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('service_item_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('volume', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_frame_rows_hall_id_halls')),
    sa.ForeignKeyConstraint(['project_id'], ['survey_projects.id'], name=op.f('fk_frame_rows_project_id_survey_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_item_id'], ['service_items.id'], name=op.f('fk_frame_rows_service_item_id_service_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frame_rows')),
    sa.UniqueConstraint('project_id', 'hall_id', 'service_item_id', 'period', name=op.f('uq_frame_rows_project_id'))
    )
    with op.batch_alter_table('frame_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frame_rows_project_id'), ['project_id'], unique=False)

    op.create_table('project_halls',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_project_halls_hall_id_halls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['survey_projects.id'], name=op.f('fk_project_halls_project_id_survey_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'hall_id', name=op.f('pk_project_halls'))
    )
    op.create_table('project_service_items',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('service_item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['survey_projects.id'], name=op.f('fk_project_service_items_project_id_survey_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_item_id'], ['service_items.id'], name=op.f('fk_project_service_items_service_item_id_service_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'service_item_id', name=op.f('pk_project_service_items'))
    )
    op.create_table('quota_cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('age_band', sa.String(length=16), nullable=False),
    sa.Column('gender', sa.String(length=16), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_quota_cells_hall_id_halls')),
    sa.ForeignKeyConstraint(['project_id'], ['survey_projects.id'], name=op.f('fk_quota_cells_project_id_survey_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_cells')),
    sa.UniqueConstraint('project_id', 'hall_id', 'category', 'age_band', 'gender', name=op.f('uq_quota_cells_project_id'))
    )
    with op.batch_alter_table('quota_cells', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quota_cells_project_id'), ['project_id'], unique=False)

    op.create_table('sample_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('allocation', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_sample_plans_created_by_users')),
    sa.ForeignKeyConstraint(['project_id'], ['survey_projects.id'], name=op.f('fk_sample_plans_project_id_survey_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_plans'))
    )
    with op.batch_alter_table('sample_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_plans_project_id'), ['project_id'], unique=False)

    op.create_table('service_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('service_item_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('phone_encrypted', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_service_transactions_hall_id_halls')),
    sa.ForeignKeyConstraint(['project_id'], ['survey_projects.id'], name=op.f('fk_service_transactions_project_id_survey_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_item_id'], ['service_items.id'], name=op.f('fk_service_transactions_service_item_id_service_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_transactions'))
    )
    with op.batch_alter_table('service_transactions', schema=None) as batch_op:
        batch_op.create_index('ix_service_transactions_project_time', ['project_id', 'occurred_at'], unique=False)

    op.create_table('screen_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('quota_cell_id', sa.Integer(), nullable=True),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('interviewer_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_screen_outs_hall_id_halls')),
    sa.ForeignKeyConstraint(['interviewer_id'], ['users.id'], name=op.f('fk_screen_outs_interviewer_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['survey_projects.id'], name=op.f('fk_screen_outs_project_id_survey_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quota_cell_id'], ['quota_cells.id'], name=op.f('fk_screen_outs_quota_cell_id_quota_cells'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screen_outs'))
    )
    with op.batch_alter_table('screen_outs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screen_outs_interviewer_id'), ['interviewer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screen_outs_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quota_cell_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('over_quota', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('quota_counted', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('interviewer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_responses_interviewer_id'), ['interviewer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_quota_cell_id'), ['quota_cell_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_responses_project_id_survey_projects'), 'survey_projects', ['project_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_responses_quota_cell_id_quota_cells'), 'quota_cells', ['quota_cell_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_responses_interviewer_id_users'), 'users', ['interviewer_id'], ['id'])


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_responses_interviewer_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_responses_quota_cell_id_quota_cells'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_responses_project_id_survey_projects'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_responses_quota_cell_id'))
        batch_op.drop_index(batch_op.f('ix_responses_project_id'))
        batch_op.drop_index(batch_op.f('ix_responses_interviewer_id'))
        batch_op.drop_column('interviewer_id')
        batch_op.drop_column('quota_counted')
        batch_op.drop_column('over_quota')
        batch_op.drop_column('quota_cell_id')
        batch_op.drop_column('project_id')

    with op.batch_alter_table('screen_outs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screen_outs_project_id'))
        batch_op.drop_index(batch_op.f('ix_screen_outs_interviewer_id'))

    op.drop_table('screen_outs')
    with op.batch_alter_table('service_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_service_transactions_project_time')

    op.drop_table('service_transactions')
    with op.batch_alter_table('sample_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_plans_project_id'))

    op.drop_table('sample_plans')
    with op.batch_alter_table('quota_cells', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quota_cells_project_id'))

    op.drop_table('quota_cells')
    op.drop_table('project_service_items')
    op.drop_table('project_halls')
    with op.batch_alter_table('frame_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frame_rows_project_id'))

    op.drop_table('frame_rows')
    with op.batch_alter_table('survey_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_projects_firm_id'))

    op.drop_table('survey_projects')
