"""one truth: withdrawn cases and a response's earlier answers (一事一评)

A case whose response was rejected is withdrawn (withdrawn_at, withdrawn_reason),
and comes back when the rejection is reversed; a second submission of the same
visit updates the response and keeps the earlier answers in `revisions` (issue 18).

Revision ID: 0013_one_truth
Revises: 0012_public_loop
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_one_truth"
down_revision = "0012_public_loop"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('withdrawn_reason', sa.String(length=32), nullable=False,
                      server_default='')
        )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revisions', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('revisions')
    with op.batch_alter_table('complaint_cases', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_at')
