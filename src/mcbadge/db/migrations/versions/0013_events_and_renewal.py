"""Events and renewal: ``webhook_subscriptions``, the outbox (``outbox_events``, ``event_deliveries`` with their
``delivery_attempts`` log), ``microcredentials.validity_days`` (a validity period per version),
``credentials.renewal_of`` and ``expiry_notified_at``, ``submissions.renewal_of``

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mcbadge.db.models

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_DELIVERY_STATUS = sa.Enum('pending', 'delivered', 'failed', 'cancelled', name='deliverystatus', native_enum=False,
                           length=32)
_TIMESTAMP = mcbadge.db.models.Timestamp(timezone=True)
_BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('webhook_subscriptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events', _JSON, nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', _TIMESTAMP, nullable=False),
    sa.Column('deleted_at', _TIMESTAMP, nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_webhook_subscriptions_created_by_people')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_webhook_subscriptions_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions'))
    )
    op.create_index(op.f('ix_webhook_subscriptions_issuer_id'), 'webhook_subscriptions', ['issuer_id'], unique=False)

    op.create_table('outbox_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('data', _JSON, nullable=False),
    sa.Column('created_at', _TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_outbox_events_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events'))
    )
    op.create_index(op.f('ix_outbox_events_issuer_id'), 'outbox_events', ['issuer_id'], unique=False)

    op.create_table('event_deliveries',
    sa.Column('id', _BIGINT, autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('subscription_id', sa.Uuid(), nullable=True),
    sa.Column('recipient', sa.String(length=320), nullable=True),
    sa.Column('message', _JSON, nullable=True),
    sa.Column('target', sa.String(length=400), nullable=False),
    sa.Column('ordering_key', sa.String(length=100), nullable=False),
    sa.Column('status', _DELIVERY_STATUS, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', _TIMESTAMP, nullable=False),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_until', _TIMESTAMP, nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', _TIMESTAMP, nullable=True),
    sa.Column('created_at', _TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['outbox_events.id'], name=op.f('fk_event_deliveries_event_id_outbox_events'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_event_deliveries_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'],
                            name=op.f('fk_event_deliveries_subscription_id_webhook_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_deliveries'))
    )
    op.create_index(op.f('ix_event_deliveries_event_id'), 'event_deliveries', ['event_id'], unique=False)
    op.create_index(op.f('ix_event_deliveries_issuer_id'), 'event_deliveries', ['issuer_id'], unique=False)
    op.create_index(op.f('ix_event_deliveries_subscription_id'), 'event_deliveries', ['subscription_id'], unique=False)
    op.create_index('ix_event_deliveries_due', 'event_deliveries', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_event_deliveries_order', 'event_deliveries', ['target', 'ordering_key', 'id'], unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', _BIGINT, autoincrement=True, nullable=False),
    sa.Column('delivery_id', _BIGINT, nullable=False),
    sa.Column('at', _TIMESTAMP, nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['event_deliveries.id'],
                            name=op.f('fk_delivery_attempts_delivery_id_event_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts'))
    )
    op.create_index(op.f('ix_delivery_attempts_delivery_id'), 'delivery_attempts', ['delivery_id'], unique=False)

    with op.batch_alter_table('microcredentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('validity_days', sa.Integer(), nullable=True))
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renewal_of', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('expiry_notified_at', _TIMESTAMP, nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_credentials_renewal_of'), ['renewal_of'])
        batch_op.create_foreign_key(batch_op.f('fk_credentials_renewal_of_credentials'), 'credentials',
                                    ['renewal_of'], ['id'])
        batch_op.create_index('ix_credentials_valid_until', ['valid_until'], unique=False)
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renewal_of', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_submissions_renewal_of_credentials'), 'credentials',
                                    ['renewal_of'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submissions_renewal_of_credentials'), type_='foreignkey')
        batch_op.drop_column('renewal_of')
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_index('ix_credentials_valid_until')
        batch_op.drop_constraint(batch_op.f('fk_credentials_renewal_of_credentials'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_credentials_renewal_of'), type_='unique')
        batch_op.drop_column('expiry_notified_at')
        batch_op.drop_column('renewal_of')
    with op.batch_alter_table('microcredentials', schema=None) as batch_op:
        batch_op.drop_column('validity_days')
    op.drop_index(op.f('ix_delivery_attempts_delivery_id'), table_name='delivery_attempts')
    op.drop_table('delivery_attempts')
    op.drop_index('ix_event_deliveries_order', table_name='event_deliveries')
    op.drop_index('ix_event_deliveries_due', table_name='event_deliveries')
    op.drop_index(op.f('ix_event_deliveries_subscription_id'), table_name='event_deliveries')
    op.drop_index(op.f('ix_event_deliveries_issuer_id'), table_name='event_deliveries')
    op.drop_index(op.f('ix_event_deliveries_event_id'), table_name='event_deliveries')
    op.drop_table('event_deliveries')
    op.drop_index(op.f('ix_outbox_events_issuer_id'), table_name='outbox_events')
    op.drop_table('outbox_events')
    op.drop_index(op.f('ix_webhook_subscriptions_issuer_id'), table_name='webhook_subscriptions')
    op.drop_table('webhook_subscriptions')
