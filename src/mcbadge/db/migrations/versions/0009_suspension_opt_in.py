"""Suspension becomes an issuer's opt-in: ``issuers.suspension_status`` (off by default), and a credential's
``suspension_entry_id`` may be empty (a credential issued without a suspension entry has none reserved)

What every credential carried until now (a revocation and a suspension entry) fails the unmodified 1EdTech
OB 3.0 JSON Schema, which allows one ``credentialStatus`` object (docs/DECISIONS.md, "One status entry").
Existing credentials keep both entries and their reserved indexes; existing issuers start with suspension
off like new ones, and an admin who needs it turns it back on (``PATCH /api/v1/issuer``).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspension_status', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.alter_column('suspension_entry_id', existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # Credentials issued without a suspension entry cannot go back to a schema that requires one.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM credentials WHERE suspension_entry_id IS NULL")).scalar():
        raise RuntimeError("credentials without a suspension entry exist: revision 0008 cannot hold them")
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.alter_column('suspension_entry_id', existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.drop_column('suspension_status')
