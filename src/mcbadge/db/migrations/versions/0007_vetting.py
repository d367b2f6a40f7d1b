"""Vetting of micro-credential versions by state agencies: ``vetting_endorsements`` (each signed OB 3.0
EndorsementCredential, the definition digest it binds and the revocation bit that withdraws it; one in force
per agency and version) and ``vetting_nominations`` (a district's or an educator's request, and its outcome)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import mcbadge.db.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), 'postgresql')
_NOMINATION_STATUS = sa.Enum('pending', 'accepted', 'declined', name='nominationstatus', native_enum=False,
                             length=32)
_IN_FORCE = sa.text('withdrawn_at IS NULL')


def upgrade() -> None:
    op.create_table('vetting_endorsements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('microcredential_id', sa.Uuid(), nullable=False),
    sa.Column('achievement_id', sa.String(length=500), nullable=False),
    sa.Column('definition_digest', sa.String(length=128), nullable=False),
    sa.Column('revocation_entry_id', sa.Uuid(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('issued_by', sa.Uuid(), nullable=True),
    sa.Column('issued_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('withdrawn_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['issuers.id'], name=op.f('fk_vetting_endorsements_agency_id_issuers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by'], ['people.id'], name=op.f('fk_vetting_endorsements_issued_by_people')),
    sa.ForeignKeyConstraint(['microcredential_id'], ['microcredentials.id'],
                            name=op.f('fk_vetting_endorsements_microcredential_id_microcredentials')),
    sa.ForeignKeyConstraint(['revocation_entry_id'], ['status_entries.id'],
                            name=op.f('fk_vetting_endorsements_revocation_entry_id_status_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vetting_endorsements')),
    sa.UniqueConstraint('revocation_entry_id', name=op.f('uq_vetting_endorsements_revocation_entry_id'))
    )
    with op.batch_alter_table('vetting_endorsements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vetting_endorsements_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_endorsements_microcredential_id'), ['microcredential_id'],
                              unique=False)
        batch_op.create_index('uq_vetting_endorsements_in_force', ['agency_id', 'microcredential_id'], unique=True,
                              sqlite_where=_IN_FORCE, postgresql_where=_IN_FORCE)

    op.create_table('vetting_nominations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('microcredential_id', sa.Uuid(), nullable=False),
    sa.Column('nominator_issuer_id', sa.Uuid(), nullable=False),
    sa.Column('nominated_by', sa.Uuid(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', _NOMINATION_STATUS, nullable=False),
    sa.Column('reasons', _JSON, nullable=False),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decided_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.Column('endorsement_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['issuers.id'], name=op.f('fk_vetting_nominations_agency_id_issuers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by'], ['people.id'], name=op.f('fk_vetting_nominations_decided_by_people')),
    sa.ForeignKeyConstraint(['endorsement_id'], ['vetting_endorsements.id'],
                            name=op.f('fk_vetting_nominations_endorsement_id_vetting_endorsements')),
    sa.ForeignKeyConstraint(['microcredential_id'], ['microcredentials.id'],
                            name=op.f('fk_vetting_nominations_microcredential_id_microcredentials')),
    sa.ForeignKeyConstraint(['nominated_by'], ['people.id'], name=op.f('fk_vetting_nominations_nominated_by_people')),
    sa.ForeignKeyConstraint(['nominator_issuer_id'], ['issuers.id'],
                            name=op.f('fk_vetting_nominations_nominator_issuer_id_issuers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vetting_nominations'))
    )
    with op.batch_alter_table('vetting_nominations', schema=None) as batch_op:
        batch_op.create_index('ix_vetting_nominations_agency_status', ['agency_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_nominations_microcredential_id'), ['microcredential_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_nominations_nominated_by'), ['nominated_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_nominations_nominator_issuer_id'), ['nominator_issuer_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('vetting_nominations')
    op.drop_table('vetting_endorsements')
