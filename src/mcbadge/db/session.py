"""Engines and sessions for SQLite (the default, one process) and PostgreSQL (several processes).

SQLite gets WAL (readers never block the writer), a busy timeout (writers queue instead of failing at once)
and foreign keys switched on; every write transaction starts with ``BEGIN IMMEDIATE`` so two writers cannot
both read and then deadlock on the upgrade to a write lock. PostgreSQL needs none of that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["make_engine", "make_sessionmaker", "transaction"]

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """An engine for ``database_url``; creates the directory of a SQLite file if needed."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=8,
            max_overflow=16,
            hide_parameters=True,  # a failed statement is logged without its values (mcbadge.logs)
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # noqa: ANN001
        # Take the write lock up front: a transaction that reads and then writes could otherwise fail
        # with SQLITE_BUSY instead of waiting. (Verification's hot read, own_lists, is a bare SELECT on a
        # DBAPI connection: autocommit, no lock.)
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """The one transaction of a service function: commits at the end of the block, rolls back on an error.

    This and the request's session dependency (``api.deps.get_session``) are where transactions begin and
    end. A read made on the session before the block (the API-key lookup, a service's own look-up) autobegan
    a transaction; it is finished here so that the block's ``session.begin()`` can start — on SQLite every
    transaction holds the write lock (``BEGIN IMMEDIATE``), so an unfinished read must never linger.
    """
    if session.in_transaction():
        session.commit()
    with session.begin():
        yield session


@contextmanager
def read(session: Session) -> Iterator[Session]:
    """A read-only unit of work that ends when the block does (committed: nothing was written, and objects
    read stay loaded, which a rollback would expire)."""
    try:
        yield session
    except BaseException:
        # Ended by an error (the database went away mid-read, say): roll back, never commit, so that the
        # commit's own failure (PendingRollbackError on a lost connection) cannot hide the error that ended it.
        if session.in_transaction():
            session.rollback()
        raise
    if session.in_transaction():
        session.commit()
