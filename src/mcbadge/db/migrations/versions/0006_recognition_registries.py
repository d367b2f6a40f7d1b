"""State agencies and their recognition registries: the issuer's ``state_agency`` flag and
``recognition_registries`` (each published registry, signed, with the revocation bit that withdraws it)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mcbadge.db.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_agency', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('recognition_registries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('revocation_entry_id', sa.Uuid(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('published_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('withdrawn_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_recognition_registries_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revocation_entry_id'], ['status_entries.id'],
                            name=op.f('fk_recognition_registries_revocation_entry_id_status_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_registries')),
    sa.UniqueConstraint('revocation_entry_id', name=op.f('uq_recognition_registries_revocation_entry_id'))
    )
    with op.batch_alter_table('recognition_registries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognition_registries_issuer_id'), ['issuer_id'], unique=False)


def downgrade() -> None:
    op.drop_table('recognition_registries')
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.drop_column('state_agency')
