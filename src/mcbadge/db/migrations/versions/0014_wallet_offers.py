"""Wallet delivery by OpenID for Verifiable Credential Issuance: ``wallet_offers`` (an earner's offer of one
credential: pre-authorized code, transaction code, expiry, the access token it was redeemed for, the holder
it was delivered to) and ``wallet_nonces`` (the nonce endpoint's unused ``c_nonce`` values); ``ob_connections`` (an educator's
account at another host's OB 3.0 API that this issuer pushes credentials to: the client registered there, tokens)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mcbadge.db.models

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wallet_offers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('credential_id', sa.Uuid(), nullable=False),
    sa.Column('educator_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('tx_code_hash', sa.String(length=64), nullable=False),
    sa.Column('tx_code_failures', sa.Integer(), nullable=False),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('expires_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('redeemed_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.Column('access_token_hash', sa.String(length=64), nullable=True),
    sa.Column('access_expires_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.Column('delivered_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.Column('holder', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'],
                            name=op.f('fk_wallet_offers_credential_id_credentials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['educator_id'], ['people.id'], name=op.f('fk_wallet_offers_educator_id_people'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_offers')),
    sa.UniqueConstraint('access_token_hash', name=op.f('uq_wallet_offers_access_token_hash')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_wallet_offers_code_hash'))
    )
    op.create_index(op.f('ix_wallet_offers_credential_id'), 'wallet_offers', ['credential_id'], unique=False)
    op.create_table('wallet_nonces',
    sa.Column('nonce_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce_hash', name=op.f('pk_wallet_nonces'))
    )
    op.create_index(op.f('ix_wallet_nonces_expires_at'), 'wallet_nonces', ['expires_at'], unique=False)
    op.create_table('ob_connections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('educator_id', sa.Uuid(), nullable=False),
    sa.Column('host', sa.String(length=500), nullable=False),
    sa.Column('api_url', sa.String(length=500), nullable=False),
    sa.Column('token_url', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('client_secret', sa.Text(), nullable=True),
    sa.Column('redirect_uri', sa.String(length=500), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=True),
    sa.Column('code_verifier', sa.String(length=128), nullable=True),
    sa.Column('access_token', sa.Text(), nullable=True),
    sa.Column('refresh_token', sa.Text(), nullable=True),
    sa.Column('access_expires_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('connected_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['educator_id'], ['people.id'], name=op.f('fk_ob_connections_educator_id_people'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_ob_connections_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ob_connections')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_ob_connections_state_hash'))
    )
    op.create_index(op.f('ix_ob_connections_issuer_id'), 'ob_connections', ['issuer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ob_connections_issuer_id'), table_name='ob_connections')
    op.drop_table('ob_connections')
    op.drop_index(op.f('ix_wallet_nonces_expires_at'), table_name='wallet_nonces')
    op.drop_table('wallet_nonces')
    op.drop_index(op.f('ix_wallet_offers_credential_id'), table_name='wallet_offers')
    op.drop_table('wallet_offers')
