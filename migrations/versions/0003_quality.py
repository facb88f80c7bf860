"""quality: verdict evidence, reviews, transaction codes, window screens

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transaction_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('used_by_public_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_transaction_codes_hall_id_halls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_transaction_codes_code_hash'))
    )
    with op.batch_alter_table('transaction_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_codes_hall_id'), ['hall_id'], unique=False)

    op.create_table('window_screens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_window_screens_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_window_screens')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_window_screens_secret_hash')),
    sa.UniqueConstraint('window_id', name=op.f('uq_window_screens_window_id'))
    )
    op.create_table('quality_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('previous_verdict', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reversed_at', sa.DateTime(), nullable=True),
    sa.Column('reversed_by_id', sa.Integer(), nullable=True),
    sa.Column('reversal_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_quality_reviews_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reversed_by_id'], ['users.id'], name=op.f('fk_quality_reviews_reversed_by_id_users')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_quality_reviews_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_reviews'))
    )
    with op.batch_alter_table('quality_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_reviews_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_reviews_response_id'), ['response_id'], unique=False)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_verdict', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('reviewed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('judged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('honeypot', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('has_form_cookie', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('rotating_token_age_s', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('transaction_code_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_responses_transaction_code_hash'), ['transaction_code_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_transaction_code_hash'))
        batch_op.drop_column('transaction_code_hash')
        batch_op.drop_column('rotating_token_age_s')
        batch_op.drop_column('has_form_cookie')
        batch_op.drop_column('honeypot')
        batch_op.drop_column('judged_at')
        batch_op.drop_column('reviewed')
        batch_op.drop_column('auto_verdict')

    with op.batch_alter_table('quality_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_reviews_response_id'))
        batch_op.drop_index(batch_op.f('ix_quality_reviews_created_at'))

    op.drop_table('quality_reviews')
    op.drop_table('window_screens')
    with op.batch_alter_table('transaction_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transaction_codes_hall_id'))

    op.drop_table('transaction_codes')
