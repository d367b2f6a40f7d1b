"""Status indexes for many credentials at once (a bulk award, ``mcbadge.award_imports``).

:func:`mcbadge.status.service.allocate` reserves one index per call, probing the database. A bulk award needs
thousands: :class:`BulkAllocator` reads the used indexes of the issuer's current award list once per purpose,
draws random unused ones in memory (``vc.status_list.allocate_index``, as ``allocate`` does), opening the next
numbered list when one is full, and inserts the entries of a whole batch in one statement, in the caller's
transaction, with the rows that use them.

The indexes are drawn *before* the transaction (the credentials are signed with them in between), so another
process may take one meanwhile (a single award, another import). The caller therefore asks for
:meth:`BulkAllocator.conflicts` inside its transaction, before inserting; on SQLite (one writer at a time)
the answer is exact, on PostgreSQL a race that slips between the check and the insert fails the insert on
the unique (list, index) and the caller checks again. A conflicting slot is drawn again (:meth:`draw`) and
its credential signed again. Nothing is written for indexes that were drawn and never inserted (a crash, a
row found awarded already): they simply stay free, so no index is ever given to two credentials.

Allocation changes no bit, so no list needs re-signing for it; a list opened here is signed once, at the end
(:meth:`BulkAllocator.sign_opened`), rather than by the first verifier that fetches it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..db.bulk import insert_rows
from ..db.models import Base, StatusEntry, StatusList, StatusPurpose, utcnow
from ..keystore import Keystore
from ..vc.status_list import allocate_index, status_entry
from . import service

__all__ = ["BulkAllocator", "Slot", "entry_of"]

_IN_CHUNK = 500
"""Values per ``IN (...)`` list: well inside every driver's limit on bound parameters."""


@dataclass(frozen=True)
class Slot:
    """One index of one numbered award list of the allocator's issuer."""

    purpose: StatusPurpose
    seq: int
    index: int


def entry_of(public_base_url: str, slug: str, slot: Slot) -> dict[str, Any]:
    """The ``BitstringStatusListEntry`` for ``slot`` (what ``status.service.entry_for`` gives for its list)."""
    return status_entry(list_credential_url=service.list_url(public_base_url, slug, slot.purpose, slot.seq),
                        index=slot.index, purpose=slot.purpose.value)


@dataclass
class _List:
    purpose: StatusPurpose
    seq: int
    length: int
    id: uuid.UUID | None
    """None while the list exists only here (this allocator opened it and has not inserted it yet)."""
    taken: set[int] = field(default_factory=set)
    """Indexes in use in the database when last read, and every index this allocator drew."""
    inserting: bool = False
    """Inserted by this allocator in the transaction under way (gone again if it rolls back)."""
    opened_here: bool = False
    """Inserted by this allocator, committed: it is signed at the end (:meth:`BulkAllocator.sign_opened`)."""


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start:start + _IN_CHUNK]


class BulkAllocator:
    """Random unused indexes of one issuer's award lists, drawn in memory and inserted in batches.

    One allocator per bulk run; not thread-safe. ``length`` is the length of a list it opens.
    """

    def __init__(self, session: Session, issuer_id: uuid.UUID, *,
                 length: int = service.DEFAULT_LIST_LENGTH) -> None:
        self._issuer_id = issuer_id
        self._length = length
        self._lists: dict[tuple[StatusPurpose, int], _List] = {}
        self._current: dict[StatusPurpose, _List] = {}
        for purpose in StatusPurpose:
            row = session.execute(
                select(StatusList.id, StatusList.seq, StatusList.length)
                .where(StatusList.issuer_id == issuer_id, StatusList.purpose == purpose, StatusList.seq.is_not(None))
                .order_by(StatusList.seq.desc()).limit(1)).first()
            if row is None:
                current = _List(purpose, 1, length, None)
            else:
                current = _List(purpose, row.seq, row.length, row.id)
                current.taken = set(session.scalars(
                    select(StatusEntry.status_index).where(StatusEntry.status_list_id == row.id)))
            self._lists[(purpose, current.seq)] = self._current[purpose] = current

    def draw(self, purpose: StatusPurpose) -> Slot:
        """A random index no credential uses (as far as this allocator knows), in the current list of
        ``purpose``; the next list is opened (here, in memory) when the current one is full."""
        current = self._current[purpose]
        if len(current.taken) >= current.length:
            current = _List(purpose, current.seq + 1, self._length, None)
            self._lists[(purpose, current.seq)] = self._current[purpose] = current
        index = allocate_index(current.taken, current.length)
        current.taken.add(index)
        return Slot(purpose, current.seq, index)

    def conflicts(self, session: Session, slots: Iterable[Slot]) -> set[Slot]:
        """The slots another process took (or whose list it opened with fewer indexes) since they were drawn,
        read in the caller's transaction. A list this allocator meant to open that another process opened
        first is adopted, with the indexes taken in it."""
        wanted: dict[tuple[StatusPurpose, int], list[Slot]] = {}
        for slot in slots:
            wanted.setdefault((slot.purpose, slot.seq), []).append(slot)
        found: set[Slot] = set()
        for key, listed in wanted.items():
            status_list = self._lists[key]
            if status_list.id is None:
                row = session.execute(select(StatusList.id, StatusList.length).where(
                    StatusList.issuer_id == self._issuer_id, StatusList.purpose == key[0],
                    StatusList.seq == key[1])).first()
                if row is None:
                    continue  # still ours to open: nothing in it is taken
                status_list.id, status_list.length = row.id, row.length
                status_list.taken |= set(session.scalars(
                    select(StatusEntry.status_index).where(StatusEntry.status_list_id == row.id)))
            found |= {s for s in listed if s.index >= status_list.length}
            indexes = sorted(s.index for s in listed if s.index < status_list.length)
            taken: set[int] = set()
            for chunk in _chunks(indexes):
                taken |= set(session.scalars(select(StatusEntry.status_index).where(
                    StatusEntry.status_list_id == status_list.id, StatusEntry.status_index.in_(chunk))))
            if taken:
                # Another writer is using this list: learn all it took, so that drawing again does not pick
                # one of its other indexes (or keeps to a list it filled).
                status_list.taken |= set(session.scalars(
                    select(StatusEntry.status_index).where(StatusEntry.status_list_id == status_list.id)))
            found |= {s for s in listed if s.index in taken}
        return found

    def insert(self, session: Session, slots: Sequence[Slot]) -> list[uuid.UUID]:
        """Insert the entries of ``slots`` (checked by :meth:`conflicts` in this transaction), opening the lists
        this allocator opened, and count them in each list's ``allocated``; their entry ids, in order. Tell
        the allocator how the transaction ended: :meth:`committed` or :meth:`rolled_back`."""
        counts: dict[tuple[StatusPurpose, int], int] = {}
        for slot in slots:
            counts[(slot.purpose, slot.seq)] = counts.get((slot.purpose, slot.seq), 0) + 1
        now = utcnow()
        for key in counts:
            status_list = self._lists[key]
            if status_list.id is None:
                status_list.id, status_list.inserting = uuid.uuid4(), True
                session.execute(insert(Base.metadata.tables[StatusList.__tablename__]).values(
                    id=status_list.id, issuer_id=self._issuer_id, purpose=key[0], seq=key[1], key=None,
                    length=status_list.length, allocated=0, bits=bytes(status_list.length // 8), revision=1,
                    signed=None, signed_revision=0, created_at=now, updated_at=now))
        ids = [uuid.uuid4() for _ in slots]
        if slots:
            insert_rows(session, Base.metadata.tables[StatusEntry.__tablename__], [
                {"id": entry_id, "status_list_id": self._lists[(s.purpose, s.seq)].id, "status_index": s.index}
                for entry_id, s in zip(ids, slots)])
        for key, count in counts.items():
            session.execute(
                update(StatusList).where(StatusList.id == self._lists[key].id)
                .values(allocated=StatusList.allocated + count, updated_at=now)
                .execution_options(synchronize_session=False))
        return ids

    def rolled_back(self) -> None:
        """The transaction of :meth:`insert` rolled back: the lists it inserted do not exist after all."""
        for status_list in self._lists.values():
            if status_list.inserting:
                status_list.id, status_list.inserting = None, False

    def committed(self) -> None:
        """The transaction of :meth:`insert` committed: the lists it inserted exist now."""
        for status_list in self._lists.values():
            if status_list.inserting:
                status_list.inserting, status_list.opened_here = False, True

    def sign_opened(self, session: Session, slug: str, *, keystore: Keystore, public_base_url: str) -> int:
        """Sign once each list this allocator opened (new, so never signed), each in a transaction of its own
        (``status.signed_list``), so that the first verifier does not wait for it; how many."""
        opened = [status_list for status_list in self._lists.values() if status_list.opened_here]
        for status_list in opened:
            service.signed_list(session, service.NumberedList(slug, status_list.purpose.value, status_list.seq),
                                keystore=keystore, public_base_url=public_base_url)
        return len(opened)
