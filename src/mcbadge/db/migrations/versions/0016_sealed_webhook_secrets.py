"""Webhook signing secrets sealed at rest (``mcbadge.sealing``): ``webhook_subscriptions.secret`` widened from 100
to 200 characters to hold the sealed value (base64 of nonce + ciphertext + tag, 104 characters for a ``whsec_``
secret). The secrets themselves are sealed by the outbox worker when it starts (``events.service
.seal_plaintext_secrets``): sealing needs the key passphrase, which a migration does not have.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=100), type_=sa.String(length=200),
                              existing_nullable=False)


def downgrade() -> None:
    # Back to 100 characters only holds plain-text secrets: an older version cannot open sealed ones anyway.
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=200), type_=sa.String(length=100),
                              existing_nullable=False)
