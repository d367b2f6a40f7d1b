"""Assessor qualifications and calibration: ``calibration_anchors`` (exemplar evidence with master scores and
rationale), ``calibration_attempts`` and ``calibration_scores`` (an assessor's calibration sets),
``assessor_qualifications`` (each signed qualification, its validity and its revocation entry, with the date a
revocation takes effect from); the issuer's qualification rules and pseudonym secret; an assessor's opt-in to
being named

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import mcbadge.db.models

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), 'postgresql')
_CALIBRATION_STATUS = sa.Enum('open', 'qualified', 'not_qualified', name='calibrationstatus', native_enum=False,
                              length=32)
_OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_qualification', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('calibration_exact_percent', sa.Integer(), server_default=sa.text('80'),
                                      nullable=False))
        batch_op.add_column(sa.Column('calibration_adjacent_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('calibration_set_size', sa.Integer(), server_default=sa.text('3'),
                                      nullable=False))
        batch_op.add_column(sa.Column('qualification_validity_days', sa.Integer(), server_default=sa.text('365'),
                                      nullable=False))
        batch_op.add_column(sa.Column('assessor_pseudonym_key', sa.LargeBinary(), nullable=True))
    # Each existing issuer gets its own random secret (new ones get it from the model's default).
    issuers = sa.table('issuers', sa.column('id', sa.Uuid()), sa.column('assessor_pseudonym_key', sa.LargeBinary()))
    connection = op.get_bind()
    for (issuer_id,) in connection.execute(sa.select(issuers.c.id)).all():
        connection.execute(issuers.update().where(issuers.c.id == issuer_id)
                           .values(assessor_pseudonym_key=secrets.token_bytes(32)))
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.alter_column('assessor_pseudonym_key', existing_type=sa.LargeBinary(), nullable=False)

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assessor_name_public', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    op.create_table('calibration_anchors',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('microcredential_id', sa.Uuid(), nullable=False),
    sa.Column('microcredential_key', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('evidence', _JSON, nullable=False),
    sa.Column('master_scores', _JSON, nullable=False),
    sa.Column('rationale', _JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_calibration_anchors_created_by_people')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_calibration_anchors_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['microcredential_id'], ['microcredentials.id'],
                            name=op.f('fk_calibration_anchors_microcredential_id_microcredentials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_anchors'))
    )
    with op.batch_alter_table('calibration_anchors', schema=None) as batch_op:
        batch_op.create_index('ix_calibration_anchors_issuer_key', ['issuer_id', 'microcredential_key'], unique=False)

    op.create_table('assessor_qualifications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('assessor_id', sa.Uuid(), nullable=False),
    sa.Column('microcredential_key', sa.String(length=100), nullable=False),
    sa.Column('pseudonym', sa.String(length=64), nullable=False),
    sa.Column('revocation_entry_id', sa.Uuid(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('valid_from', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('valid_until', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('issued_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('revoked_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.Column('revoked_from', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['assessor_id'], ['people.id'], name=op.f('fk_assessor_qualifications_assessor_id_people')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_assessor_qualifications_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revocation_entry_id'], ['status_entries.id'],
                            name=op.f('fk_assessor_qualifications_revocation_entry_id_status_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessor_qualifications')),
    sa.UniqueConstraint('revocation_entry_id', name=op.f('uq_assessor_qualifications_revocation_entry_id'))
    )
    with op.batch_alter_table('assessor_qualifications', schema=None) as batch_op:
        batch_op.create_index('ix_assessor_qualifications_assessor_key', ['assessor_id', 'microcredential_key'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_assessor_qualifications_issuer_id'), ['issuer_id'], unique=False)

    op.create_table('calibration_attempts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('assessor_id', sa.Uuid(), nullable=False),
    sa.Column('microcredential_key', sa.String(length=100), nullable=False),
    sa.Column('anchor_ids', _JSON, nullable=False),
    sa.Column('status', _CALIBRATION_STATUS, nullable=False),
    sa.Column('exact_percent', sa.Integer(), nullable=True),
    sa.Column('adjacent_percent', sa.Integer(), nullable=True),
    sa.Column('agreement', _JSON, nullable=True),
    sa.Column('qualification_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('completed_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assessor_id'], ['people.id'], name=op.f('fk_calibration_attempts_assessor_id_people')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_calibration_attempts_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['qualification_id'], ['assessor_qualifications.id'],
                            name=op.f('fk_calibration_attempts_qualification_id_assessor_qualifications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_attempts'))
    )
    with op.batch_alter_table('calibration_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_calibration_attempts_assessor_key', ['assessor_id', 'microcredential_key'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_calibration_attempts_issuer_id'), ['issuer_id'], unique=False)
        # One open set per assessor and micro-credential: a second "start" returns it.
        batch_op.create_index('uq_calibration_attempts_open', ['assessor_id', 'microcredential_key'], unique=True,
                              sqlite_where=_OPEN, postgresql_where=_OPEN)

    op.create_table('calibration_scores',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('attempt_id', sa.Uuid(), nullable=False),
    sa.Column('anchor_id', sa.Uuid(), nullable=False),
    sa.Column('scores', _JSON, nullable=False),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['anchor_id'], ['calibration_anchors.id'],
                            name=op.f('fk_calibration_scores_anchor_id_calibration_anchors')),
    sa.ForeignKeyConstraint(['attempt_id'], ['calibration_attempts.id'],
                            name=op.f('fk_calibration_scores_attempt_id_calibration_attempts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_scores')),
    sa.UniqueConstraint('attempt_id', 'anchor_id', name=op.f('uq_calibration_scores_attempt_id_anchor_id'))
    )


def downgrade() -> None:
    op.drop_table('calibration_scores')
    op.drop_table('calibration_attempts')
    op.drop_table('assessor_qualifications')
    op.drop_table('calibration_anchors')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('assessor_name_public')
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.drop_column('assessor_pseudonym_key')
        batch_op.drop_column('qualification_validity_days')
        batch_op.drop_column('calibration_set_size')
        batch_op.drop_column('calibration_adjacent_percent')
        batch_op.drop_column('calibration_exact_percent')
        batch_op.drop_column('require_qualification')
