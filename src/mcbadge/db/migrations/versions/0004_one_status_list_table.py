"""One status-list implementation: the VC API's lists join ``status_lists``, every reserved bit is a ``status_entries`` row

Revision ID: 0004
Revises: 0003

Before: award lists in ``status_lists`` with the indexes on ``credentials`` (two unique constraints there),
and the VC API's own ``vcapi_status_lists`` + ``vcapi_status_entries`` (a third). After: one
``status_lists`` table (an award list has a ``seq``, a VC API list a ``key``), one ``status_entries`` table
with the one unique (list, index), referenced by ``credentials`` (two entries each) and by
``issued_status_entries`` (the VC API's naming of a credential's status, and its permanent revocation).

Every published list stays byte-identical: rows are copied with their ids, bits, revision and stored signed
credential (``json`` to ``json`` on PostgreSQL keeps the text as written), so every URL serves the same
signature until the next change. VC API entries keep their ids as the entries' ids.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

import mcbadge.db.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_PURPOSE = sa.Enum('revocation', 'suspension', name='statuspurpose', native_enum=False, length=32)
_CHUNK = 1000


def _entries_table() -> sa.TableClause:
    return sa.table('status_entries', sa.column('id', sa.Uuid()), sa.column('status_list_id', sa.Uuid()),
                    sa.column('status_index', sa.Integer()))


def upgrade() -> None:
    bind = op.get_bind()

    # 1. status_lists holds both kinds: a seq (award list) or a key (VC API list).
    with op.batch_alter_table('status_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True))
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=True)
    op.execute("UPDATE status_lists SET created_at = updated_at")
    with op.batch_alter_table('status_lists', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=mcbadge.db.models.Timestamp(timezone=True),
                              nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_status_lists_key'), ['key'])
        batch_op.create_check_constraint(op.f('ck_status_lists_seq_or_key'), '(seq IS NULL) <> (key IS NULL)')
    op.execute(
        "INSERT INTO status_lists (id, issuer_id, purpose, seq, key, length, allocated, bits, revision, signed,"
        " signed_revision, created_at, updated_at)"
        " SELECT id, issuer_id, purpose, NULL, key, length, allocated, bits, revision, signed, signed_revision,"
        " created_at, updated_at FROM vcapi_status_lists"
    )

    # 2. One table of reserved bits.
    op.create_table('status_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('status_list_id', sa.Uuid(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['status_list_id'], ['status_lists.id'], name=op.f('fk_status_entries_status_list_id_status_lists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_entries')),
    sa.UniqueConstraint('status_list_id', 'status_index', name=op.f('uq_status_entries_status_list_id_status_index'))
    )
    op.execute("INSERT INTO status_entries (id, status_list_id, status_index)"
               " SELECT id, status_list_id, status_index FROM vcapi_status_entries")

    # 3. Awards point at their two entries (new ids: a credential has two, and ids are made here, not in
    #    SQL, because the two databases have no common UUID function).
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_entry_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('suspension_entry_id', sa.Uuid(), nullable=True))
    credentials = sa.table('credentials', sa.column('id', sa.Uuid()),
                           sa.column('revocation_list_id', sa.Uuid()), sa.column('revocation_index', sa.Integer()),
                           sa.column('suspension_list_id', sa.Uuid()), sa.column('suspension_index', sa.Integer()),
                           sa.column('revocation_entry_id', sa.Uuid()), sa.column('suspension_entry_id', sa.Uuid()))
    rows = bind.execute(sa.select(credentials.c.id, credentials.c.revocation_list_id, credentials.c.revocation_index,
                                  credentials.c.suspension_list_id, credentials.c.suspension_index)
                        .order_by(credentials.c.id)).all()
    for start in range(0, len(rows), _CHUNK):
        entries, links = [], []
        for row in rows[start:start + _CHUNK]:
            revocation, suspension = uuid.uuid4(), uuid.uuid4()
            entries.append({'id': revocation, 'status_list_id': row.revocation_list_id,
                            'status_index': row.revocation_index})
            entries.append({'id': suspension, 'status_list_id': row.suspension_list_id,
                            'status_index': row.suspension_index})
            links.append({'credential': row.id, 'revocation': revocation, 'suspension': suspension})
        bind.execute(sa.insert(_entries_table()), entries)
        bind.execute(
            sa.update(credentials).where(credentials.c.id == sa.bindparam('credential'))
            .values(revocation_entry_id=sa.bindparam('revocation'), suspension_entry_id=sa.bindparam('suspension')),
            links,
        )
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_constraint('uq_credentials_revocation_list_id_revocation_index', type_='unique')
        batch_op.drop_constraint('uq_credentials_suspension_list_id_suspension_index', type_='unique')
        batch_op.drop_constraint('fk_credentials_revocation_list_id_status_lists', type_='foreignkey')
        batch_op.drop_constraint('fk_credentials_suspension_list_id_status_lists', type_='foreignkey')
        batch_op.drop_column('revocation_list_id')
        batch_op.drop_column('revocation_index')
        batch_op.drop_column('suspension_list_id')
        batch_op.drop_column('suspension_index')
        batch_op.alter_column('revocation_entry_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('suspension_entry_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_credentials_revocation_entry_id_status_entries'),
                                    'status_entries', ['revocation_entry_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_credentials_suspension_entry_id_status_entries'),
                                    'status_entries', ['suspension_entry_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_credentials_revocation_entry_id'), ['revocation_entry_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_credentials_suspension_entry_id'), ['suspension_entry_id'])

    # 4. The VC API keeps only its naming of a credential's status.
    op.create_table('issued_status_entries',
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('issued_id', sa.Uuid(), nullable=False),
    sa.Column('credential_id', sa.String(length=512), nullable=False),
    sa.Column('purpose', _PURPOSE, nullable=False),
    sa.Column('revoked_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['status_entries.id'], name=op.f('fk_issued_status_entries_entry_id_status_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_id'], ['issued_credentials.id'], name=op.f('fk_issued_status_entries_issued_id_issued_credentials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_issued_status_entries_issuer_id_issuers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_issued_status_entries')),
    sa.UniqueConstraint('issuer_id', 'credential_id', 'purpose', name=op.f('uq_issued_status_entries_issuer_id_credential_id_purpose'))
    )
    with op.batch_alter_table('issued_status_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issued_status_entries_issued_id'), ['issued_id'], unique=False)
    op.execute("INSERT INTO issued_status_entries (entry_id, issuer_id, issued_id, credential_id, purpose, revoked_at)"
               " SELECT id, issuer_id, issued_id, credential_id, purpose, revoked_at FROM vcapi_status_entries")

    with op.batch_alter_table('vcapi_status_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vcapi_status_entries_issued_id'))
    op.drop_table('vcapi_status_entries')
    with op.batch_alter_table('vcapi_status_lists', schema=None) as batch_op:
        batch_op.drop_index('ix_vcapi_status_lists_issuer_purpose')
    op.drop_table('vcapi_status_lists')


def downgrade() -> None:
    # 4. The VC API's own tables again, with the lists and entries it had.
    op.create_table('vcapi_status_lists',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', _PURPOSE, nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('allocated', sa.Integer(), nullable=False),
    sa.Column('bits', sa.LargeBinary(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('signed', sa.JSON(), nullable=True),
    sa.Column('signed_revision', sa.Integer(), nullable=False),
    sa.Column('created_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.Column('updated_at', mcbadge.db.models.Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_vcapi_status_lists_issuer_id_issuers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vcapi_status_lists')),
    sa.UniqueConstraint('key', name=op.f('uq_vcapi_status_lists_key'))
    )
    with op.batch_alter_table('vcapi_status_lists', schema=None) as batch_op:
        batch_op.create_index('ix_vcapi_status_lists_issuer_purpose', ['issuer_id', 'purpose'], unique=False)
    op.execute(
        "INSERT INTO vcapi_status_lists (id, key, issuer_id, purpose, length, allocated, bits, revision, signed,"
        " signed_revision, created_at, updated_at)"
        " SELECT id, key, issuer_id, purpose, length, allocated, bits, revision, signed, signed_revision,"
        " created_at, updated_at FROM status_lists WHERE key IS NOT NULL"
    )
    op.create_table('vcapi_status_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('issued_id', sa.Uuid(), nullable=False),
    sa.Column('credential_id', sa.String(length=512), nullable=False),
    sa.Column('purpose', _PURPOSE, nullable=False),
    sa.Column('status_list_id', sa.Uuid(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('revoked_at', mcbadge.db.models.Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issued_id'], ['issued_credentials.id'], name=op.f('fk_vcapi_status_entries_issued_id_issued_credentials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_vcapi_status_entries_issuer_id_issuers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_list_id'], ['vcapi_status_lists.id'], name=op.f('fk_vcapi_status_entries_status_list_id_vcapi_status_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vcapi_status_entries')),
    sa.UniqueConstraint('issuer_id', 'credential_id', 'purpose', name=op.f('uq_vcapi_status_entries_issuer_id_credential_id_purpose')),
    sa.UniqueConstraint('status_list_id', 'status_index', name=op.f('uq_vcapi_status_entries_status_list_id_status_index'))
    )
    with op.batch_alter_table('vcapi_status_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vcapi_status_entries_issued_id'), ['issued_id'], unique=False)
    op.execute(
        "INSERT INTO vcapi_status_entries (id, issuer_id, issued_id, credential_id, purpose, status_list_id,"
        " status_index, revoked_at)"
        " SELECT i.entry_id, i.issuer_id, i.issued_id, i.credential_id, i.purpose, e.status_list_id, e.status_index,"
        " i.revoked_at FROM issued_status_entries i JOIN status_entries e ON e.id = i.entry_id"
    )
    with op.batch_alter_table('issued_status_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issued_status_entries_issued_id'))
    op.drop_table('issued_status_entries')

    # 3. Awards carry their list ids and indexes again.
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_list_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('revocation_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('suspension_list_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('suspension_index', sa.Integer(), nullable=True))
    for purpose in ('revocation', 'suspension'):
        for column, source in (('list_id', 'status_list_id'), ('index', 'status_index')):
            op.execute(f"UPDATE credentials SET {purpose}_{column} = (SELECT e.{source} FROM status_entries e"
                       f" WHERE e.id = credentials.{purpose}_entry_id)")
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_constraint('uq_credentials_revocation_entry_id', type_='unique')
        batch_op.drop_constraint('uq_credentials_suspension_entry_id', type_='unique')
        batch_op.drop_constraint('fk_credentials_revocation_entry_id_status_entries', type_='foreignkey')
        batch_op.drop_constraint('fk_credentials_suspension_entry_id_status_entries', type_='foreignkey')
        batch_op.drop_column('revocation_entry_id')
        batch_op.drop_column('suspension_entry_id')
        for name, kind in (('revocation_list_id', sa.Uuid()), ('revocation_index', sa.Integer()),
                           ('suspension_list_id', sa.Uuid()), ('suspension_index', sa.Integer())):
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_credentials_revocation_list_id_status_lists'),
                                    'status_lists', ['revocation_list_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_credentials_suspension_list_id_status_lists'),
                                    'status_lists', ['suspension_list_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_credentials_revocation_list_id_revocation_index'),
                                          ['revocation_list_id', 'revocation_index'])
        batch_op.create_unique_constraint(batch_op.f('uq_credentials_suspension_list_id_suspension_index'),
                                          ['suspension_list_id', 'suspension_index'])
    op.drop_table('status_entries')

    # 1. status_lists: award lists only.
    op.execute("DELETE FROM status_lists WHERE key IS NOT NULL")
    with op.batch_alter_table('status_lists', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_status_lists_seq_or_key'), type_='check')
        batch_op.drop_constraint('uq_status_lists_key', type_='unique')
        batch_op.drop_column('key')
        batch_op.drop_column('created_at')
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
