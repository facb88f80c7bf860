"""complaints: classifier registry, complaints, follow-up cases

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaint_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('version', sa.String(length=80), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('threshold', sa.Double(), nullable=False),
    sa.Column('card', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_models'))
    )
    with op.batch_alter_table('complaint_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_models_active'), ['active'], unique=False)

    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('confidence', sa.Double(), nullable=True),
    sa.Column('model_id', sa.Integer(), nullable=True),
    sa.Column('model_version', sa.String(length=80), nullable=False),
    sa.Column('routing', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('classified_at', sa.DateTime(), nullable=True),
    sa.Column('corrected_category', sa.String(length=64), nullable=True),
    sa.Column('corrected_by_id', sa.Integer(), nullable=True),
    sa.Column('corrected_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['corrected_by_id'], ['users.id'], name=op.f('fk_complaints_corrected_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_complaints_department_id_departments')),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_complaints_hall_id_halls')),
    sa.ForeignKeyConstraint(['model_id'], ['complaint_models.id'], name=op.f('fk_complaints_model_id_complaint_models')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_complaints_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('response_id', name=op.f('uq_complaints_response_id'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_hall_id'), ['hall_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_routing'), ['routing'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('complaint_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('assignee', sa.String(length=120), nullable=False),
    sa.Column('rectification', sa.Text(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('reply_channel', sa.String(length=16), nullable=False),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_cases_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_complaint_cases_department_id_departments')),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_complaint_cases_hall_id_halls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_cases')),
    sa.UniqueConstraint('complaint_id', name=op.f('uq_complaint_cases_complaint_id'))
    )
    with op.batch_alter_table('complaint_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_cases_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_cases_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_cases_hall_id'), ['hall_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_cases_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_cases_state'), ['state'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('from_state', sa.String(length=16), nullable=False),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_cases.id'], name=op.f('fk_case_events_case_id_complaint_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('complaint_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_cases_state'))
        batch_op.drop_index(batch_op.f('ix_complaint_cases_opened_at'))
        batch_op.drop_index(batch_op.f('ix_complaint_cases_hall_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_cases_due_at'))
        batch_op.drop_index(batch_op.f('ix_complaint_cases_department_id'))

    op.drop_table('complaint_cases')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_complaints_routing'))
        batch_op.drop_index(batch_op.f('ix_complaints_hall_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_department_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_category'))

    op.drop_table('complaints')
    with op.batch_alter_table('complaint_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_models_active'))

    op.drop_table('complaint_models')
