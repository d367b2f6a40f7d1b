"""Running it for many organisations: an issuer's ``kind`` and ``disabled_at``, the platform operator's
``operator_keys``, and a lease on in-flight ``Idempotency-Key`` records (so a crashed request frees its key
within seconds)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mcbadge.db.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), server_default='district', nullable=False))
        batch_op.add_column(sa.Column('disabled_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True))
    # A state agency was a flag until now: say so in its kind too.
    op.execute("UPDATE issuers SET kind = 'state_agency' WHERE state_agency")

    op.create_table('operator_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('revoked_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_keys')),
    sa.UniqueConstraint('prefix', name=op.f('uq_operator_keys_prefix'))
    )

    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', mcbadge.db.models.Timestamp(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
    op.drop_table('operator_keys')
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('kind')
