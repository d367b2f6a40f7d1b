"""Wallet delivery by the OpenID4VCI authorization code flow: an offer also carries an ``issuer_state`` (its
digest in ``wallet_offers.issuer_state_hash``); the earner approves a wallet's authorization request for it on the
consent page, which stores the code's digest, the PKCE challenge, the wallet's client id and redirect URI, the
code's expiry and the credential identifiers its ``authorization_details`` asked for on the offer. Offers made before have none of these: they are redeemed by the pre-authorized code.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mcbadge.db.models

_JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wallet_offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer_state_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('authorization_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('code_challenge', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('client_id', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('redirect_uri', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('authorization_code_expires_at', mcbadge.db.models.Timestamp(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('credential_identifiers', _JSON, nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_wallet_offers_issuer_state_hash'), ['issuer_state_hash'])
        batch_op.create_unique_constraint(batch_op.f('uq_wallet_offers_authorization_code_hash'),
                                          ['authorization_code_hash'])


def downgrade() -> None:
    with op.batch_alter_table('wallet_offers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_wallet_offers_authorization_code_hash'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_wallet_offers_issuer_state_hash'), type_='unique')
        batch_op.drop_column('credential_identifiers')
        batch_op.drop_column('authorization_code_expires_at')
        batch_op.drop_column('redirect_uri')
        batch_op.drop_column('client_id')
        batch_op.drop_column('code_challenge')
        batch_op.drop_column('authorization_code_hash')
        batch_op.drop_column('issuer_state_hash')
