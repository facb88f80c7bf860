"""organisation catalogue: retire regions, departments and service items; uploads

Regions, departments and service items get ``active`` as halls and windows
have it: a unit the city stops using is retired, never deleted, so past
responses keep their codes. ``catalogue_uploads`` holds an uploaded catalogue
file between the office's preview and its apply.

Revision ID: 0008_org_catalogue
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_org_catalogue'
down_revision = '0007'
branch_labels = None
depends_on = None

RETIRABLE = ('regions', 'departments', 'service_items')


def upgrade():
    for table in RETIRABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    'active', sa.Boolean(), server_default=sa.true(), nullable=False
                )
            )
    op.create_table(
        'catalogue_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_catalogue_uploads_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_uploads')),
        sa.UniqueConstraint('token', name=op.f('uq_catalogue_uploads_token')),
    )
    with op.batch_alter_table('catalogue_uploads', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_catalogue_uploads_created_at'), ['created_at'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_catalogue_uploads_user_id'), ['user_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('catalogue_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_uploads_user_id'))
        batch_op.drop_index(batch_op.f('ix_catalogue_uploads_created_at'))
    op.drop_table('catalogue_uploads')
    for table in reversed(RETIRABLE):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('active')
