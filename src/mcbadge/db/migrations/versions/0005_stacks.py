"""Stacks and designations: ``stacks`` (versioned), ``designations`` (one per educator and stack version),
designation credentials in ``credentials`` (``stack_id`` instead of a submission), and the issuer's
``auto_award_designations`` setting

Revision ID: 0005
Revises: 0004

A designation credential is a ``credentials`` row like an award, so revocation, suspension, status lists,
the public page and verification serve it unchanged; it has no submission, so ``submission_id`` and
``microcredential_id`` become nullable and a check keeps exactly one of ``submission_id`` / ``stack_id``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import mcbadge.db.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), 'postgresql')
_STACK_STATUS = sa.Enum('draft', 'published', 'retired', name='stackstatus', native_enum=False, length=32)
_DESIGNATION_STATUS = sa.Enum('pending', 'awarded', name='designationstatus', native_enum=False, length=32)


def upgrade() -> None:
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_award_designations', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    op.create_table('stacks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', _STACK_STATUS, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('criteria', sa.Text(), nullable=False),
    sa.Column('achievement_type', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('rule', sa.String(length=16), nullable=False),
    sa.Column('required_count', sa.Integer(), nullable=True),
    sa.Column('components', _JSON, nullable=False),
    sa.Column('image_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('published_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_stacks_issuer_id_issuers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stacks')),
    sa.UniqueConstraint('issuer_id', 'key', 'version', name=op.f('uq_stacks_issuer_id_key_version'))
    )
    with op.batch_alter_table('stacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stacks_issuer_id'), ['issuer_id'], unique=False)

    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stack_id', sa.Uuid(), nullable=True))
        batch_op.alter_column('submission_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column('microcredential_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.create_index(batch_op.f('ix_credentials_stack_id'), ['stack_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_credentials_stack_id_stacks'), 'stacks', ['stack_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_credentials_submission_or_stack'),
                                         '(submission_id IS NULL) <> (stack_id IS NULL)')

    op.create_table('designations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('stack_id', sa.Uuid(), nullable=False),
    sa.Column('educator_id', sa.Uuid(), nullable=False),
    sa.Column('status', _DESIGNATION_STATUS, nullable=False),
    sa.Column('credential_id', sa.Uuid(), nullable=True),
    sa.Column('components', _JSON, nullable=False),
    sa.Column('approved_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('decided_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approved_by'], ['people.id'], name=op.f('fk_designations_approved_by_people')),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], name=op.f('fk_designations_credential_id_credentials')),
    sa.ForeignKeyConstraint(['educator_id'], ['people.id'], name=op.f('fk_designations_educator_id_people')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_designations_issuer_id_issuers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stack_id'], ['stacks.id'], name=op.f('fk_designations_stack_id_stacks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_designations')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_designations_credential_id')),
    sa.UniqueConstraint('stack_id', 'educator_id', name=op.f('uq_designations_stack_id_educator_id'))
    )
    with op.batch_alter_table('designations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_designations_educator_id'), ['educator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_designations_issuer_id'), ['issuer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_designations_stack_id'), ['stack_id'], unique=False)


def downgrade() -> None:
    op.drop_table('designations')
    op.execute("DELETE FROM credentials WHERE stack_id IS NOT NULL")
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_credentials_submission_or_stack'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_credentials_stack_id_stacks'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_credentials_stack_id'))
        batch_op.alter_column('microcredential_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('submission_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column('stack_id')
    op.drop_table('stacks')
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.drop_column('auto_award_designations')
