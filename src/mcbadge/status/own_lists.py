"""This service's own status lists, as its verifier reads them: from the database, never over HTTP.

Both kinds (``mcbadge.status.service``): the award lists at ``/issuers/{slug}/status/{purpose}/{seq}`` and
the VC API lists at ``/status-lists/{key}``. Every verification of an award consults its revocation list
(and its suspension list, for an issuer that opted into suspension). The signed list credential (~20 KB of JSON) is kept per URL and re-read only when the list's
``revision`` moves, so a revocation committed by any process shows at the very next verification, and an
unchanged list costs one indexed ``SELECT`` of two integers.

That ``SELECT`` runs on a pooled DBAPI connection (``Engine.raw_connection``) with SQL compiled once from the
Core statement for the engine's dialect: through a Session (or a Core ``Connection``) the same query costs
several times what the query itself does, on the hottest path of the service (bench/bench_verify_http.py).
Everything that writes, and the re-read of a changed list, goes through the ORM as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Unpack

from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..db.models import Issuer, StatusList
from ..keystore import Keystore
from . import service
from .service import KeyedList, ListAddress

__all__ = ["OwnStatusLists"]

_NUMBERED_REVISION: Select[int, int] = (
    select(StatusList.revision, StatusList.signed_revision)
    .join(Issuer, Issuer.id == StatusList.issuer_id)
    .where(Issuer.slug == bindparam("slug"), StatusList.purpose == bindparam("purpose"),
           StatusList.seq == bindparam("seq"))
)
_KEYED_REVISION: Select[int, int] = (
    select(StatusList.revision, StatusList.signed_revision).where(StatusList.key == bindparam("key"))
)


class _RawQuery:
    """A Core statement compiled once for the engine's dialect, run with its parameters on a DBAPI cursor."""

    def __init__(self, statement: Select[Unpack[tuple[Any, ...]]], engine: Engine) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = compiled.string
        self._positions = compiled.positiontup if compiled.positional else None

    def params(self, values: dict[str, Any]) -> Any:
        return tuple(values[name] for name in self._positions) if self._positions is not None else values


class OwnStatusLists:
    """``lists(url)`` -> the signed list credential at ``url``, one of this service's published lists.

    Raises ``LookupError`` for a URL that is not one of them (the status check then reports the status
    as not checked). Thread-safe: the service's worker threads share one instance.
    """

    def __init__(self, sessions: Callable[[], Session], engine: Engine, keystore: Keystore,
                 public_base_url: str) -> None:
        self._sessions = sessions
        self._engine = engine
        self._keystore = keystore
        self._base = public_base_url.rstrip("/")
        self._numbered = _RawQuery(_NUMBERED_REVISION, engine)
        self._keyed = _RawQuery(_KEYED_REVISION, engine)
        self._signed: dict[str, tuple[int, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _parse(self, url: str) -> ListAddress:
        return service.address_of(self._base, url)

    @property
    def embedded(self) -> bool:
        """Whether the database is an embedded file (SQLite): a read never waits on a network or, in WAL
        mode, on a writer; PostgreSQL answers over a connection that may stall."""
        return self._engine.dialect.name == "sqlite"

    def is_current(self, url: str) -> bool:
        """Whether ``url`` is one of this service's lists and the copy in memory is its current revision:
        then reading it costs one ``SELECT`` and nothing else (no ORM, no signing, no lock)."""
        try:
            address = self._parse(url)
        except LookupError:
            return False
        cached = self._signed.get(url)
        return cached is not None and cached[0] == self.revision(address)

    def __call__(self, url: str) -> dict[str, Any]:
        address = self._parse(url)
        revision = self.revision(address)
        cached = self._signed.get(url)
        if revision is not None and cached is not None and cached[0] == revision:
            return cached[1]
        with self._sessions() as session:
            # The revision the list is signed at, read with it: a list that was behind is remembered as
            # just signed, and a change committed meanwhile shows as a newer revision at the next call.
            try:
                signed_at, signed = service.signed_list_at(session, address, keystore=self._keystore,
                                                           public_base_url=self._base)
            except service.StatusListNotFound as error:
                raise LookupError(str(error)) from None
        with self._lock:
            self._signed[url] = (signed_at, signed)
        return signed

    def revision(self, address: ListAddress) -> int | None:
        """The revision of a list that is signed and up to date; None when unknown or it must be re-signed."""
        values: dict[str, Any]
        if isinstance(address, KeyedList):
            query, values = self._keyed, {"key": address.key}
        else:  # purpose: stored as its value (db.models._enum)
            query, values = self._numbered, {"slug": address.slug, "purpose": address.purpose, "seq": address.seq}
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(query.sql, query.params(values))
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which ends the read transaction
        if row is None or row[1] != row[0]:
            return None
        return int(row[0])
