"""Every credential issued, for an operator's archive or another system: ``mcbadge export credentials``.

Streamed: rows come from the database in batches (``yield_per``: a server-side cursor on PostgreSQL) and each is
written as it comes, so a state's hundreds of thousands of credentials never sit in memory at once. One record
per credential, in JSON Lines (the signed credential as issued) or CSV (the same fields, the credential as one
JSON or VC-JWT cell; a cell of text that starts like a spreadsheet formula, a name say, is written with a leading
apostrophe, ``spreadsheet_cells``: JSON Lines keeps every value exactly).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from enum import Enum
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..db.models import Credential, Issuer, MicroCredential, Person, Stack
from ..db.session import read
from ..errors import NotFound
from ..spreadsheet_cells import csv_cell
from .build import credential_url

__all__ = ["COLUMNS", "ExportFormat", "export_credentials"]

STREAM_BATCH = 500


class ExportFormat(str, Enum):
    JSONL = "jsonl"
    CSV = "csv"


COLUMNS = ("id", "url", "issuer", "educator_email", "educator_name", "achievement", "version", "kind", "format",
           "issued_at", "valid_until", "status", "revoked_at", "credential")
"""The fields of each record, in order (the CSV's header)."""


class UnknownIssuer(NotFound):
    code = "issuer-not-found"


def _records(session: Session, public_base_url: str, slug: str | None) -> Iterator[dict[str, Any]]:
    educator = aliased(Person)
    query = (
        select(Credential.id, Issuer.slug, educator.email, educator.name, MicroCredential.key, MicroCredential.version,
               Stack.key, Stack.version, Credential.format, Credential.issued_at, Credential.valid_until,
               Credential.revoked_at, Credential.suspended, Credential.document, Credential.jwt)
        .join(Issuer, Issuer.id == Credential.issuer_id)
        .join(educator, educator.id == Credential.educator_id)
        .outerjoin(MicroCredential, MicroCredential.id == Credential.microcredential_id)
        .outerjoin(Stack, Stack.id == Credential.stack_id)
        .order_by(Credential.issued_at, Credential.id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    if slug is not None:
        query = query.where(Issuer.slug == slug)
    for row in session.execute(query):
        yield _record(tuple(row), public_base_url)


def _record(row: tuple[Any, ...], public_base_url: str) -> dict[str, Any]:
    (id_, slug, email, name, mc_key, mc_version, stack_key, stack_version, fmt, issued_at, valid_until,
     revoked_at, suspended, document, jwt) = row
    status = "revoked" if revoked_at is not None else "suspended" if suspended else "active"
    return {
        "id": str(id_), "url": credential_url(public_base_url, id_), "issuer": slug, "educator_email": email,
        "educator_name": name, "achievement": mc_key if mc_key is not None else stack_key,
        "version": mc_version if mc_version is not None else stack_version,
        "kind": "microcredential" if mc_key is not None else "designation", "format": fmt,
        "issued_at": issued_at.isoformat(), "valid_until": valid_until.isoformat() if valid_until else None,
        "status": status, "revoked_at": revoked_at.isoformat() if revoked_at else None,
        # A VC-JWT credential is its compact JWS (the signed form); a Data Integrity one the JSON with its proof.
        "credential": jwt if fmt == "jwt" and jwt else document,
    }


def export_credentials(session: Session, out: TextIO, fmt: ExportFormat, *, public_base_url: str,
                       issuer: str | None = None) -> int:
    """Write every credential (of ``issuer``, a slug, when given) to ``out``; how many were written."""
    count = 0
    with read(session):
        if issuer is not None and session.scalar(select(Issuer.id).where(Issuer.slug == issuer)) is None:
            raise UnknownIssuer(f"no organisation {issuer!r}")
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n") if fmt is ExportFormat.CSV else None
        if writer is not None:
            writer.writeheader()
        for record in _records(session, public_base_url, issuer):
            if writer is not None:
                credential = record["credential"]
                cells = {**record, "credential": credential if isinstance(credential, str)
                         else json.dumps(credential, ensure_ascii=False, separators=(",", ":"))}
                writer.writerow({name: csv_cell(value) for name, value in cells.items()})
            else:
                out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count
