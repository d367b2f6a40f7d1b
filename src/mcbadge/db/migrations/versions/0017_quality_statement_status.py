"""Quality statements can be withdrawn: ``quality_statements.revocation_entry_id`` (the statement's entry in its
issuer's revocation list, which the credential carries as ``credentialStatus``) and ``withdrawn_at``. Statements
published before have no entry (None): they verify as before and cannot be withdrawn, only superseded.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mcbadge.db.models

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quality_statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_entry_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_quality_statements_revocation_entry_id_status_entries'),
                                    'status_entries', ['revocation_entry_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_quality_statements_revocation_entry_id'),
                                          ['revocation_entry_id'])


def downgrade() -> None:
    with op.batch_alter_table('quality_statements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_quality_statements_revocation_entry_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_quality_statements_revocation_entry_id_status_entries'),
                                 type_='foreignkey')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('revocation_entry_id')
