"""Bitstring Status Lists of each issuer: index allocation, bit changes, and the signed list credential.

One implementation for both kinds of list (``mcbadge.db.models.StatusList``):

* award lists, two numbered sequences per issuer (``revocation``, ``suspension``), published at
  ``/issuers/{slug}/status/{purpose}/{seq}``; when the current list is full, the next ``seq`` is opened;
* VC API lists, named by a ``key`` and published at ``/status-lists/{key}``, made on request
  (:func:`create_keyed_list`) or opened when a credential asks for an entry and none has room.

A credential gets a random, unused index when it is issued, inside the issuing transaction (:func:`allocate`,
:func:`allocate_in`): the index is a ``status_entries`` row, and its unique (list, index) makes two
credentials sharing a bit impossible, whichever kind of credential they are; the caller retries in a
savepoint when a concurrent issue took the same one.

Re-signing policy: a bit change (:func:`set_bit`) bumps ``revision`` and re-signs the list credential
*eagerly*, in the same transaction, so the committed state always carries a signed list that says what the
bits say and a revocation is visible at the very next fetch. A list that was never signed (a new one) or
that is behind (a row written by an older process) is signed *lazily* by :func:`signed_list` on the first
GET, under a row lock, once. Nothing is re-signed when nothing changed: GETs only read.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.models import Issuer, StatusEntry, StatusList, StatusPurpose, utcnow
from ..db.session import read, transaction
from ..errors import Conflict, NotFound
from ..identity import issuer_did
from ..keystore import Keystore
from ..metrics import STATUS_LIST_SIGNS
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
    "KeyedList",
    "ListAddress",
    "NumberedList",
    "StatusListFull",
    "StatusListNotFound",
    "VcApiStatusListNotFound",
    "address_of",
    "allocate",
    "allocate_in",
    "create_keyed_list",
    "entry_for",
    "keyed_list",
    "keyed_list_url",
    "list_url",
    "reserve_entry",
    "set_bit",
    "signed_list",
    "signed_list_at",
]

DEFAULT_LIST_LENGTH = MIN_LENGTH
"""Entries per list: the Recommendation's minimum (131,072, 16 KB), so each credential hides among as many."""

DEFAULT_TTL_MS = 300_000
"""``credentialSubject.ttl`` of a list credential: how long a verifier may use a fetched list (5 minutes)."""

# Above this share of used indexes, probing the database index by index costs more than loading the set.
_LOAD_USED_ABOVE = 0.5

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NUMBERED_PATH = re.compile(r"^/issuers/([a-z0-9-]{1,64})/status/([a-z]{1,32})/([0-9]{1,10})$")
_KEYED_PREFIX = "/status-lists/"


class StatusListNotFound(NotFound):
    """No status list with this issuer, purpose and sequence number."""

    code = "status-list-not-found"


class VcApiStatusListNotFound(StatusListNotFound):
    """No VC API status list with this id (at the caller's issuer, for writes)."""

    code = "status-list-not-found"


class StatusListFull(Conflict):
    """The status list named in ``options.credentialStatus`` has no free index left."""

    code = "status-list-full"


# -- addresses ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberedList:
    """An award list: ``/issuers/{slug}/status/{purpose}/{seq}``."""

    slug: str
    purpose: str
    seq: int


@dataclass(frozen=True)
class KeyedList:
    """A VC API list: ``/status-lists/{key}``."""

    key: str


ListAddress = NumberedList | KeyedList


def list_url(public_base_url: str, slug: str, purpose: StatusPurpose, seq: int) -> str:
    """Where list ``seq`` of ``purpose`` of issuer ``slug`` is published (the list credential's id)."""
    return f"{public_base_url.rstrip('/')}/issuers/{slug}/status/{purpose.value}/{seq}"


def keyed_list_url(public_base_url: str, key: str) -> str:
    """Where the VC API status list ``key`` is published (its credential's id)."""
    return f"{public_base_url.rstrip('/')}{_KEYED_PREFIX}{key}"


def _url_of(status_list: StatusList, public_base_url: str, slug: str) -> str:
    if status_list.key is not None:
        return keyed_list_url(public_base_url, status_list.key)
    assert status_list.seq is not None  # the table's check constraint: a seq or a key
    return list_url(public_base_url, slug, status_list.purpose, status_list.seq)


def address_of(public_base_url: str, url: str) -> ListAddress:
    """The list that ``url`` names on this service; ``LookupError`` when it names none."""
    base = public_base_url.rstrip("/")
    if not url.startswith(base + "/"):
        raise LookupError("no such status list on this service")
    if url.startswith(base + _KEYED_PREFIX):
        key = url[len(base + _KEYED_PREFIX):]
        if not _KEY.match(key):
            raise LookupError("no such status list on this service")
        return KeyedList(key)
    match = _NUMBERED_PATH.match(urlsplit(url).path)
    if match is None:
        raise LookupError("no such status list on this service")
    purpose = match.group(2)
    if purpose not in {p.value for p in StatusPurpose}:
        raise LookupError(f"no status list for purpose {purpose!r}")
    return NumberedList(match.group(1), purpose, int(match.group(3)))


def entry_for(public_base_url: str, slug: str, status_list: StatusList, index: int) -> dict[str, Any]:
    """The ``BitstringStatusListEntry`` that points a credential at ``index`` of ``status_list``."""
    return status_entry(list_credential_url=_url_of(status_list, public_base_url, slug), index=index,
                        purpose=status_list.purpose.value)


# -- allocation -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    """An index reserved in one status list for a new credential: its ``status_entries`` row."""

    status_list: StatusList
    entry: StatusEntry

    @property
    def index(self) -> int:
        return self.entry.status_index


def _open_list(session: Session, issuer_id: uuid.UUID, purpose: StatusPurpose, length: int, *,
               seq: int | None = None, key: str | None = None) -> StatusList:
    if length <= 0 or length % 8:
        raise ValueError(f"a status list length must be a positive multiple of 8, got {length}")
    status_list = StatusList(
        issuer_id=issuer_id, purpose=purpose, seq=seq, key=key, length=length, allocated=0,
        bits=bytes(length // 8), revision=1, signed=None, signed_revision=0,
    )
    session.add(status_list)
    # Flushed now so that a concurrent opening of the same seq (or key) fails here (unique constraint),
    # inside the caller's savepoint, and the caller's retry reads the list the other transaction opened.
    session.flush()
    return status_list


def _current_list(session: Session, issuer_id: uuid.UUID, purpose: StatusPurpose, keyed: bool) -> StatusList | None:
    query = select(StatusList).where(StatusList.issuer_id == issuer_id, StatusList.purpose == purpose)
    if keyed:  # any VC API list with room, the newest first
        query = query.where(StatusList.key.is_not(None), StatusList.allocated < StatusList.length).order_by(
            StatusList.created_at.desc(), StatusList.id)
    else:  # the award list with the highest number
        query = query.where(StatusList.seq.is_not(None)).order_by(StatusList.seq.desc())
    return session.scalars(query.limit(1)).first()


def _reserve(session: Session, status_list: StatusList) -> Allocation | None:
    """Insert the entry of a random unused index of ``status_list``; None when the list is full."""
    if status_list.allocated >= status_list.length:
        return None
    list_id = status_list.id
    used: Any
    if status_list.allocated > status_list.length * _LOAD_USED_ABOVE:
        used = set(session.scalars(select(StatusEntry.status_index).where(StatusEntry.status_list_id == list_id)))
    else:
        def used(index: int) -> bool:
            return session.scalar(select(StatusEntry.id).where(
                StatusEntry.status_list_id == list_id, StatusEntry.status_index == index)) is not None

    try:
        index = allocate_index(used, status_list.length)
    except StatusListError:
        # The counter lagged behind the rows: the list is in fact full, and is no longer offered.
        session.execute(update(StatusList).where(StatusList.id == list_id).values(allocated=StatusList.length)
                        .execution_options(synchronize_session=False))
        session.expire(status_list, ["allocated"])
        return None
    entry = StatusEntry(id=uuid.uuid4(), status_list_id=list_id, status_index=index)
    session.add(entry)
    # Flushed now: a concurrent issue that took the same index fails the caller's savepoint here.
    session.flush()
    # An SQL increment, not a read-modify-write: correct under concurrent issues on PostgreSQL.
    session.execute(
        update(StatusList)
        .where(StatusList.id == list_id)
        .values(allocated=StatusList.allocated + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.expire(status_list, ["allocated", "updated_at"])
    return Allocation(status_list, entry)


def allocate(
    session: Session, issuer_id: uuid.UUID, purpose: StatusPurpose, *, keyed: bool = False,
    length: int = DEFAULT_LIST_LENGTH,
) -> Allocation:
    """Reserve a random unused index in the issuer's current list for ``purpose``, opening a new list when
    none has room: the next numbered award list, or (``keyed``) a new VC API list with a random key. Run
    it inside a savepoint with the insert of the credential that uses the index: a concurrent issue may
    take the same index, and the unique constraint then fails the savepoint.

    ``length`` applies to a list opened here; existing lists keep theirs.
    """
    current = _current_list(session, issuer_id, purpose, keyed)
    if current is None:
        current = _open_list(session, issuer_id, purpose, length, seq=None if keyed else 1,
                             key=uuid.uuid4().hex if keyed else None)
    while True:
        allocation = _reserve(session, current)
        if allocation is not None:
            return allocation
        if keyed:
            current = _open_list(session, issuer_id, purpose, length, key=uuid.uuid4().hex)
        else:
            assert current.seq is not None
            current = _open_list(session, issuer_id, purpose, length, seq=current.seq + 1)


_MAX_RESERVE_ATTEMPTS = 10


def reserve_entry(session: Session, issuer_id: uuid.UUID, purpose: StatusPurpose) -> StatusEntry:
    """One entry of the issuer's current list for ``purpose``, for a document that is not an award (a
    recognition registry, a vetting endorsement): :func:`allocate` in a savepoint, drawn again when a
    concurrent issue took the index (or opened the same list). ``Conflict`` after repeated collisions."""
    for _ in range(_MAX_RESERVE_ATTEMPTS):
        try:
            with session.begin_nested():
                return allocate(session, issuer_id, purpose).entry
        except IntegrityError:
            pass  # another transaction took the index or opened the list first: draw again
    raise Conflict("could not reserve a status-list index; try again")


def allocate_in(session: Session, status_list: StatusList) -> Allocation:
    """Reserve a random unused index in this very list (``StatusListFull`` when it has none); in a
    savepoint, as :func:`allocate`."""
    allocation = _reserve(session, status_list)
    if allocation is None:
        raise StatusListFull(f"status list {status_list.key or status_list.seq} is full")
    return allocation


def keyed_list(session: Session, key: str, *, issuer_id: uuid.UUID | None = None) -> StatusList:
    """The VC API list ``key`` (of ``issuer_id``, when given); ``VcApiStatusListNotFound`` otherwise."""
    found = None
    if _KEY.match(key):
        query = select(StatusList).where(StatusList.key == key)
        if issuer_id is not None:
            query = query.where(StatusList.issuer_id == issuer_id)
        found = session.scalars(query).first()
    if found is None:
        raise VcApiStatusListNotFound(f"no status list {key!r}")
    return found


# -- signing --------------------------------------------------------------------------------------------


def _min_length(status_list: StatusList) -> int:
    # Lists shorter than the Recommendation's minimum exist only where a caller asked for them (tests).
    return min(MIN_LENGTH, status_list.length)


def _sign(status_list: StatusList, slug: str, keystore: Keystore, public_base_url: str) -> None:
    did = issuer_did(public_base_url, slug)
    bits = BitstringStatusList.from_bytes(status_list.bits, min_length=_min_length(status_list))
    now = datetime.now(timezone.utc)
    unsigned = status_list_credential(
        id=_url_of(status_list, public_base_url, slug),
        issuer=did,
        status_purpose=status_list.purpose.value,
        encoded_list=bits.encode(),
        valid_from=now,
        ttl=DEFAULT_TTL_MS,
        min_length=_min_length(status_list),
    )
    signed = sign_credential(unsigned, keystore.load_or_create(slug, did), created=now)
    status_list.signed = signed
    status_list.signed_revision = status_list.revision
    status_list.updated_at = now
    STATUS_LIST_SIGNS.labels(status_list.purpose.value).inc()


def create_keyed_list(
    session: Session, *, issuer: Issuer, purpose: StatusPurpose, length: int, key: str | None,
    keystore: Keystore, public_base_url: str,
) -> tuple[str, dict[str, Any]]:
    """A new, empty, signed VC API list in the caller's transaction: (its URL, the signed list credential).
    A taken ``key`` fails the flush (``IntegrityError``)."""
    status_list = _open_list(session, issuer.id, purpose, length, key=key or uuid.uuid4().hex)
    _sign(status_list, issuer.slug, keystore, public_base_url)
    assert status_list.key is not None and status_list.signed is not None
    return keyed_list_url(public_base_url, status_list.key), status_list.signed


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
    _sign(status_list, issuer.slug, keystore, public_base_url)
    return True


# -- reading --------------------------------------------------------------------------------------------


def _find(session: Session, address: ListAddress) -> tuple[StatusList, str]:
    query = select(StatusList, Issuer.slug).join(Issuer, Issuer.id == StatusList.issuer_id)
    if isinstance(address, KeyedList):
        if not _KEY.match(address.key):
            raise VcApiStatusListNotFound(f"no status list {address.key!r}")
        row = session.execute(query.where(StatusList.key == address.key)).first()
        if row is None:
            raise VcApiStatusListNotFound(f"no status list {address.key!r}")
    else:
        try:
            purpose = StatusPurpose(address.purpose)
        except ValueError:
            raise StatusListNotFound(f"no status list for purpose {address.purpose!r}") from None
        row = session.execute(query.where(Issuer.slug == address.slug, StatusList.purpose == purpose,
                                          StatusList.seq == address.seq)).first()
        if row is None:
            raise StatusListNotFound(f"issuer {address.slug!r} has no {address.purpose} status list {address.seq}")
    return row[0], row[1]


def signed_list(session: Session, address: ListAddress, *, keystore: Keystore,
                public_base_url: str) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` of a list, signing it first only if it is behind.

    Raises :class:`StatusListNotFound` (:class:`VcApiStatusListNotFound` for a keyed address) for a list
    that does not exist.
    """
    return signed_list_at(session, address, keystore=keystore, public_base_url=public_base_url)[1]


def signed_list_at(session: Session, address: ListAddress, *, keystore: Keystore,
                   public_base_url: str) -> tuple[int, dict[str, Any]]:
    """(the revision it is signed at, the signed list): :func:`signed_list` for a reader that remembers lists
    by revision (``own_lists``)."""
    with read(session):  # ended at once: on SQLite every transaction holds the write lock
        status_list, slug = _find(session, address)
    if status_list.signed is not None and status_list.signed_revision >= status_list.revision:
        return status_list.signed_revision, status_list.signed
    # Behind: sign once, under the row lock; whoever comes second finds it signed and only reads.
    with transaction(session):
        status_list = session.scalars(
            select(StatusList).where(StatusList.id == status_list.id).with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if status_list.signed is None or status_list.signed_revision < status_list.revision:
            _sign(status_list, slug, keystore, public_base_url)
        signed, signed_revision = status_list.signed, status_list.signed_revision
    assert signed is not None
    return signed_revision, signed
