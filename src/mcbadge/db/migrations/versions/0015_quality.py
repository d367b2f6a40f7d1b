"""Scoring quality: the issuer's turnaround service level and minimum cell size (``issuers.quality_sla_days``,
``issuers.quality_min_cell``), and ``quality_statements`` (each signed statement of a micro-credential's
scoring figures over a period)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mcbadge.db.models

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quality_sla_days', sa.Integer(), server_default=sa.text('14'), nullable=False))
        batch_op.add_column(sa.Column('quality_min_cell', sa.Integer(), server_default=sa.text('10'), nullable=False))

    op.create_table('quality_statements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('microcredential_key', sa.String(length=100), nullable=False),
    sa.Column('period_start', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('period_end', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('issued_by', sa.Uuid(), nullable=True),
    sa.Column('issued_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issued_by'], ['people.id'], name=op.f('fk_quality_statements_issued_by_people')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_quality_statements_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_statements'))
    )
    with op.batch_alter_table('quality_statements', schema=None) as batch_op:
        batch_op.create_index('ix_quality_statements_issuer_key', ['issuer_id', 'microcredential_key', 'issued_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quality_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_statements_issuer_key')
    op.drop_table('quality_statements')
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.drop_column('quality_min_cell')
        batch_op.drop_column('quality_sla_days')
