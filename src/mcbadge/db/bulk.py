"""Many rows into one table at once, in the caller's transaction, the fastest way each database offers.

SQLAlchemy Core's ``executemany`` is the portable way, and on SQLite (in process, no round trips) it is what we
use. On PostgreSQL, psycopg carries out an ``executemany`` as one Bind/Execute per row: thousands of messages for
a bulk award, and the server executing each. ``COPY ... FROM STDIN`` streams the rows in one command, which the
server loads without planning a statement per row: several times less work on both sides (measured by
bench/bench_bulk_awards.py). SQLAlchemy has no Core construct for ``COPY``, so it runs on the session's own
psycopg connection, inside the same transaction; values are given as psycopg adapts them for ``COPY``: enums as
their stored values, JSON as text.

A unique or foreign-key violation is raised as SQLAlchemy's ``IntegrityError`` on both paths, so callers retry
the same way whatever the database.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, Text, bindparam, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

__all__ = ["insert_rows"]


def _copy_value(value: Any) -> Any:
    # JSON text (``json_text``) is a str and goes as it is.
    if isinstance(value, enum.Enum):
        return value.value  # stored as its value (db.models._enum), where psycopg would write the name
    if isinstance(value, (dict, list)):
        return json.dumps(value)  # JSON and JSONB columns read their text form in COPY
    return value


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *,
                json_text: Collection[str] = ()) -> None:
    """Insert ``rows`` (each with the same keys: column names, values as for a Core insert) into ``table``.

    ``json_text`` names JSON columns whose values are JSON text already (a signed credential as its signer
    serialized it): stored as given, not serialized again."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        statement = insert(table)
        if json_text:
            # SQLite keeps JSON as text: the text is bound as such (under another name than the column's).
            statement = statement.values({c: bindparam(f"{c}__json", type_=Text) for c in json_text})
            rows = [{(f"{k}__json" if k in json_text else k): v for k, v in row.items()} for row in rows]
        session.execute(statement, list(rows))
        return
    columns = list(rows[0])
    quote = connection.dialect.identifier_preparer.quote
    copy_sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([_copy_value(row[c]) for c in columns])
    except connection.dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
        raise IntegrityError(copy_sql, None, exc) from exc
