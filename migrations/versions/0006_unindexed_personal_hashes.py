"""responses: drop the indexes on personal hashes (never queried)

The duplicate checks read a period's responses and compare their hashes in
memory; no query looks a response up by address, device, phone or
transaction-code hash. The indexes only cost every insert their upkeep and
made one person's answers a ready lookup (PIPL data minimisation).

Revision ID: 0006
Revises: 0005
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

COLUMNS = ('ip_hash', 'device_hash', 'phone_hash', 'transaction_code_hash')


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(batch_op.f(f'ix_responses_{column}'))


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.create_index(
                batch_op.f(f'ix_responses_{column}'), [column], unique=False
            )
