"""Bitstring Status Lists of each issuer: index allocation, bit changes, and the signed list credential.

Every issuer has two sequences of lists, one per purpose (``revocation``, ``suspension``). A credential
gets a random, unused index in the current list of each purpose when it is awarded, inside the award's
transaction (:func:`allocate`); the unique constraints on ``credentials`` make two credentials sharing an
index impossible, and the caller retries in a savepoint when a concurrent award took the same one. When
the current list is full, the next ``seq`` is opened.

Re-signing policy: a bit change (:func:`set_bit`) bumps ``revision`` and re-signs the list credential
*eagerly*, in the same transaction, so the committed state always carries a signed list that says what the
bits say and a revocation is visible at the very next fetch. A list that was never signed (a new one) or
that is behind (a row written by an older process) is signed *lazily* by :func:`signed_list` on the first
GET, under a row lock, once. Nothing is re-signed when nothing changed: GETs only read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db.models import Credential, Issuer, StatusList, StatusPurpose, utcnow
from ..errors import NotFound
from ..identity import issuer_did
from ..keystore import Keystore
from ..vc.data_integrity import sign_credential
from ..vc.errors import StatusListError
from ..vc.status_list import (
    MIN_LENGTH,
    BitstringStatusList,
    allocate_index,
    status_entry,
    status_list_credential,
)

__all__ = [
    "DEFAULT_LIST_LENGTH",
    "DEFAULT_TTL_MS",
    "Allocation",
    "StatusListNotFound",
    "allocate",
    "entry_for",
    "list_url",
    "set_bit",
    "signed_list",
]

DEFAULT_LIST_LENGTH = MIN_LENGTH
"""Entries per list: the Recommendation's minimum (131,072, 16 KB), so each credential hides among as many."""

DEFAULT_TTL_MS = 300_000
"""``credentialSubject.ttl`` of a list credential: how long a verifier may use a fetched list (5 minutes)."""

# Above this share of used indexes, probing the database index by index costs more than loading the set.
_LOAD_USED_ABOVE = 0.5


class StatusListNotFound(NotFound):
    """No status list with this issuer, purpose and sequence number."""

    code = "status-list-not-found"


@dataclass(frozen=True)
class Allocation:
    """An index reserved in one status list for a new credential."""

    status_list: StatusList
    index: int


def list_url(public_base_url: str, slug: str, purpose: StatusPurpose, seq: int) -> str:
    """Where list ``seq`` of ``purpose`` of issuer ``slug`` is published (the list credential's id)."""
    return f"{public_base_url.rstrip('/')}/issuers/{slug}/status/{purpose.value}/{seq}"


def entry_for(public_base_url: str, slug: str, status_list: StatusList, index: int) -> dict[str, Any]:
    """The ``BitstringStatusListEntry`` that points a credential at ``index`` of ``status_list``."""
    url = list_url(public_base_url, slug, status_list.purpose, status_list.seq)
    return status_entry(list_credential_url=url, index=index, purpose=status_list.purpose.value)


def _index_column(purpose: StatusPurpose) -> tuple[Any, Any]:
    if purpose is StatusPurpose.REVOCATION:
        return Credential.revocation_list_id, Credential.revocation_index
    return Credential.suspension_list_id, Credential.suspension_index


def _open_list(session: Session, issuer_id: uuid.UUID, purpose: StatusPurpose, seq: int, length: int) -> StatusList:
    if length <= 0 or length % 8:
        raise ValueError(f"a status list length must be a positive multiple of 8, got {length}")
    status_list = StatusList(
        issuer_id=issuer_id, purpose=purpose, seq=seq, length=length, allocated=0, bits=bytes(length // 8),
        revision=1, signed=None, signed_revision=0,
    )
    session.add(status_list)
    # Flushed now so that a concurrent opening of the same seq fails here (unique issuer+purpose+seq),
    # inside the caller's savepoint, and the caller's retry reads the list the other transaction opened.
    session.flush()
    return status_list


def _current_list(session: Session, issuer_id: uuid.UUID, purpose: StatusPurpose) -> StatusList | None:
    return session.scalars(
        select(StatusList)
        .where(StatusList.issuer_id == issuer_id, StatusList.purpose == purpose)
        .order_by(StatusList.seq.desc())
        .limit(1)
    ).first()


def allocate(
    session: Session, issuer_id: uuid.UUID, purpose: StatusPurpose, *, length: int = DEFAULT_LIST_LENGTH
) -> Allocation:
    """Reserve a random unused index in the issuer's current list for ``purpose`` (opening the next list
    when the current one is full). Run it inside a savepoint with the insert of the credential that uses
    the index: a concurrent award may take the same index, and the unique constraint then fails the insert.

    ``length`` applies to a list opened here; existing lists keep theirs.
    """
    current = _current_list(session, issuer_id, purpose)
    if current is None:
        current = _open_list(session, issuer_id, purpose, 1, length)
    list_column, index_column = _index_column(purpose)
    while True:
        if current.allocated < current.length:
            used: Any
            if current.allocated > current.length * _LOAD_USED_ABOVE:
                used = set(session.scalars(select(index_column).where(list_column == current.id)))
            else:
                list_id = current.id

                def used(index: int) -> bool:
                    return session.scalar(
                        select(index_column).where(list_column == list_id, index_column == index)
                    ) is not None

            try:
                index = allocate_index(used, current.length)
            except StatusListError:
                index = None  # the counter lagged behind the rows: the list is in fact full
            if index is not None:
                # An SQL increment, not a read-modify-write: correct under concurrent awards on PostgreSQL.
                session.execute(
                    update(StatusList)
                    .where(StatusList.id == current.id)
                    .values(allocated=StatusList.allocated + 1, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                session.expire(current, ["allocated", "updated_at"])
                return Allocation(current, index)
        current = _open_list(session, issuer_id, purpose, current.seq + 1, length)


def _min_length(status_list: StatusList) -> int:
    # Lists shorter than the Recommendation's minimum exist only where a caller asked for them (tests).
    return min(MIN_LENGTH, status_list.length)


def _sign(status_list: StatusList, issuer: Issuer, keystore: Keystore, public_base_url: str) -> None:
    did = issuer_did(public_base_url, issuer.slug)
    bits = BitstringStatusList.from_bytes(status_list.bits, min_length=_min_length(status_list))
    now = datetime.now(timezone.utc)
    unsigned = status_list_credential(
        id=list_url(public_base_url, issuer.slug, status_list.purpose, status_list.seq),
        issuer=did,
        status_purpose=status_list.purpose.value,
        encoded_list=bits.encode(),
        valid_from=now,
        ttl=DEFAULT_TTL_MS,
        min_length=_min_length(status_list),
    )
    signed = sign_credential(unsigned, keystore.load_or_create(issuer.slug, did), created=now)
    status_list.signed = signed
    status_list.signed_revision = status_list.revision
    status_list.updated_at = now


def set_bit(
    session: Session,
    *,
    issuer: Issuer,
    list_id: uuid.UUID,
    index: int,
    value: bool,
    keystore: Keystore,
    public_base_url: str,
) -> bool:
    """Set or clear one bit in the caller's transaction; bump ``revision`` and re-sign if it changed.

    The list row is locked (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serializes
    writers) so two concurrent changes cannot overwrite each other's bits. Returns whether the bit changed.
    """
    status_list = session.scalars(
        select(StatusList).where(StatusList.id == list_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    bits = BitstringStatusList.from_bytes(status_list.bits, min_length=_min_length(status_list))
    if bits.get(index) == value:
        return False
    bits.set(index, value)
    status_list.bits = bits.to_bytes()
    status_list.revision = status_list.revision + 1
    _sign(status_list, issuer, keystore, public_base_url)
    return True


def signed_list(
    session: Session,
    *,
    slug: str,
    purpose: str,
    seq: int,
    keystore: Keystore,
    public_base_url: str,
) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` of a list, signing it first only if it is behind.

    Raises :class:`StatusListNotFound` for an unknown issuer, purpose or sequence number.
    """
    return signed_list_at(session, slug=slug, purpose=purpose, seq=seq, keystore=keystore,
                          public_base_url=public_base_url)[1]


def signed_list_at(
    session: Session,
    *,
    slug: str,
    purpose: str,
    seq: int,
    keystore: Keystore,
    public_base_url: str,
) -> tuple[int, dict[str, Any]]:
    """(the revision it is signed at, the signed list): :func:`signed_list` for a reader that remembers lists
    by revision (``own_lists``)."""
    try:
        status_purpose = StatusPurpose(purpose)
    except ValueError:
        raise StatusListNotFound(f"no status list for purpose {purpose!r}") from None
    query = (
        select(StatusList, Issuer)
        .join(Issuer, Issuer.id == StatusList.issuer_id)
        .where(Issuer.slug == slug, StatusList.purpose == status_purpose, StatusList.seq == seq)
    )
    row = session.execute(query).first()
    if row is None:
        session.rollback()
        raise StatusListNotFound(f"issuer {slug!r} has no {purpose} status list {seq}")
    status_list, issuer = row
    if status_list.signed is not None and status_list.signed_revision >= status_list.revision:
        session.commit()  # end the read: on SQLite every transaction holds the write lock
        return status_list.signed_revision, status_list.signed
    # Behind: sign once, under the row lock; whoever comes second finds it signed and only reads.
    if session.in_transaction():
        session.commit()
    with session.begin():
        status_list = session.scalars(
            select(StatusList).where(StatusList.id == status_list.id).with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if status_list.signed is None or status_list.signed_revision < status_list.revision:
            _sign(status_list, issuer, keystore, public_base_url)
        signed, signed_revision = status_list.signed, status_list.signed_revision
    assert signed is not None
    return signed_revision, signed
