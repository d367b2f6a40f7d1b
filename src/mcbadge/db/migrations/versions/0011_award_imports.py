"""Bulk awards from CSV: ``award_imports`` (one run of a file: counts, progress, the result CSV),
``imported_awards`` (each awarded row under its stable identity, so a file re-run awards nothing twice) and
``evidence_items.sha256`` (the digest of imported evidence whose bytes the service does not hold)

Revision ID: 0011
Revises: 0010 (the lead renumbers if other migrations land first)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mcbadge.db.models

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_IMPORT_STATUS = sa.Enum('queued', 'running', 'done', 'failed', name='importstatus', native_enum=False, length=32)


def upgrade() -> None:
    op.create_table('award_imports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('started_by', sa.Uuid(), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', _IMPORT_STATUS, nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('awarded', sa.Integer(), nullable=False),
    sa.Column('already_awarded', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result_csv', sa.Text(), nullable=True),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('heartbeat_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('finished_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_award_imports_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by'], ['people.id'], name=op.f('fk_award_imports_started_by_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_imports'))
    )
    op.create_index(op.f('ix_award_imports_issuer_id'), 'award_imports', ['issuer_id'], unique=False)

    op.create_table('imported_awards',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('row_key', sa.String(length=64), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('credential_id', sa.Uuid(), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('awarded_on', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'],
                            name=op.f('fk_imported_awards_credential_id_credentials')),
    sa.ForeignKeyConstraint(['import_id'], ['award_imports.id'], name=op.f('fk_imported_awards_import_id_award_imports')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_imported_awards_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_awards')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_imported_awards_credential_id')),
    sa.UniqueConstraint('issuer_id', 'row_key', name=op.f('uq_imported_awards_issuer_id_row_key'))
    )
    op.create_index(op.f('ix_imported_awards_import_id'), 'imported_awards', ['import_id'], unique=False)

    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_column('sha256')
    op.drop_index(op.f('ix_imported_awards_import_id'), table_name='imported_awards')
    op.drop_table('imported_awards')
    op.drop_index(op.f('ix_award_imports_issuer_id'), table_name='award_imports')
    op.drop_table('award_imports')
