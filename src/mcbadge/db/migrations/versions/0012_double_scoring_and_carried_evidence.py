"""Per-criterion double scoring and attempts that build on each other (issue 12, parts 3 and 7):
``issuers.second_scoring_percent`` / ``second_score_borderline`` (issuer-wide defaults) and ``scoring_seed``
(the key of the seeded, auditable draw), ``scoring_policies`` (the rule per micro-credential key),
``submissions.double_scoring_reason`` / ``sampling_percent`` / ``sampling_draw`` (why an attempt was
double-scored) and ``decided_scores`` / ``score_sources`` (the deciding level per criterion), and
``evidence_items.carried_from_id`` (evidence carried forward from the previous attempt).

Revision ID: 0012
Revises: 0011 (the lead renumbers if other migrations land first)
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import mcbadge.db.models

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_scoring_percent', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))
        batch_op.add_column(sa.Column('second_score_borderline', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('scoring_seed', sa.LargeBinary(), nullable=True))
    # Each existing issuer gets its own random seed (new ones get it from the model's default).
    issuers = sa.table('issuers', sa.column('id', sa.Uuid()), sa.column('scoring_seed', sa.LargeBinary()))
    connection = op.get_bind()
    for (issuer_id,) in connection.execute(sa.select(issuers.c.id)).all():
        connection.execute(issuers.update().where(issuers.c.id == issuer_id)
                           .values(scoring_seed=secrets.token_bytes(32)))
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        batch_op.alter_column('scoring_seed', existing_type=sa.LargeBinary(), nullable=False)

    op.create_table('scoring_policies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('microcredential_key', sa.String(length=100), nullable=False),
    sa.Column('second_scoring_percent', sa.Integer(), nullable=False),
    sa.Column('second_score_borderline', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_scoring_policies_issuer_id_issuers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['people.id'], name=op.f('fk_scoring_policies_updated_by_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_policies')),
    sa.UniqueConstraint('issuer_id', 'microcredential_key',
                        name=op.f('uq_scoring_policies_issuer_id_microcredential_key'))
    )

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('double_scoring_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('sampling_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sampling_draw', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_scores', _JSON, nullable=True))
        batch_op.add_column(sa.Column('score_sources', _JSON, nullable=True))
    # Attempts scored before this migration under the issuer's all-submissions rule (the only double scoring
    # there was) stay double-scored: those with two independent scores, and those waiting for the second.
    connection.execute(sa.text(
        "UPDATE submissions SET double_scoring_reason = 'issuer_rule' WHERE "
        "(SELECT count(*) FROM assessments a WHERE a.submission_id = submissions.id AND NOT a.lead_decision) >= 2 "
        "OR (status = 'submitted' AND EXISTS (SELECT 1 FROM assessments a WHERE a.submission_id = submissions.id))"))

    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_from_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_evidence_items_carried_from_id_evidence_items'), 'evidence_items',
                                    ['carried_from_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evidence_items_carried_from_id_evidence_items'), type_='foreignkey')
        batch_op.drop_column('carried_from_id')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        for column in ('score_sources', 'decided_scores', 'sampling_draw', 'sampling_percent',
                       'double_scoring_reason'):
            batch_op.drop_column(column)
    op.drop_table('scoring_policies')
    with op.batch_alter_table('issuers', schema=None) as batch_op:
        for column in ('scoring_seed', 'second_score_borderline', 'second_scoring_percent'):
            batch_op.drop_column(column)
