"""The award file: a CSV with a header row, one award per row, read and checked row by row.

Columns (header names are case-insensitive; a spreadsheet's byte-order mark is ignored; other columns are
refused, so a misspelt one is not silently dropped):

``educator_email``        required; the educator is found by it, or created (role educator) when missing
``educator_name``         required when the educator is new; ignored otherwise (a name is never overwritten)
``educator_external_id``  optional; the educator's id in the system the file comes from, echoed in the result
``microcredential``       required; the micro-credential's key (e.g. ``checking-for-understanding``)
``version``               required; its version number (published or retired; a draft is refused)
``assessor_email``        required; an assessor of the organisation who scored the work
``levels``                required; ``criterion=level;criterion=level;...``, one pair per rubric criterion,
                          each at or above its required level. One column rather than a column per criterion,
                          because one file may hold micro-credentials with different rubrics.
``evidence``              ``requirement=source;...``, an item for every required evidence requirement. A source
                          is ``sha256:<64 hex>`` (the digest alone: the issuer keeps the bytes), an http(s) URL,
                          or a file path (the command line only; relative to the CSV's folder), the last two
                          optionally followed by ``|sha256:<64 hex>``. A file's digest, when given, must match.
                          A ``;`` inside a URL is written ``%3B``.
``awarded_on``            required; the award date (``2023-05-31``: midnight UTC that day) or date-time with a
                          time zone, not in the future

A row's **identity** is (organisation, educator e-mail in lower case, micro-credential key, version, award date):
``row_key`` is the SHA-256 of those values. It is what makes re-running a file award nothing twice, and a second
row with the same identity in one file is refused. The rest of the row is digested into ``content_sha256``, so a
re-run whose row says something else (other levels, other evidence) is told that the credential was not changed.

This module reads the text only; what needs the database (does the micro-credential exist, do the levels meet
its rubric, is the assessor one) is checked by ``award_imports.service``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from ..errors import Invalid

__all__ = ["COLUMNS", "MAX_ROWS", "EvidenceGiven", "ParsedRow", "RowRefused", "UnreadableAwardFile", "parse_row",
           "read_rows"]

COLUMNS = ("educator_email", "educator_name", "educator_external_id", "microcredential", "version",
           "assessor_email", "levels", "evidence", "awarded_on")
_REQUIRED = ("educator_email", "microcredential", "version", "assessor_email", "levels", "awarded_on")

MAX_ROWS = 100_000
"""Rows in one file: a state's historical records for a year fit; larger files are split."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SHA256 = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
_EARLIEST = date(1970, 1, 1)


class UnreadableAwardFile(Invalid):
    """The file cannot be read as an award file at all (no header, unknown columns, too many rows)."""

    code = "unreadable-award-file"


class RowRefused(Exception):
    """One row cannot be awarded; ``reason`` says why, in a sentence for the result CSV."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EvidenceGiven:
    """One evidence item of a row: for ``requirement``, a file path, a URL, or neither (a digest alone)."""

    requirement: str
    path: str | None
    url: str | None
    sha256: str | None
    """Lower-case hex, as the row gave it."""


@dataclass(frozen=True)
class ParsedRow:
    number: int
    """The row's line in the file (the header is row 1)."""
    educator_email: str
    educator_name: str | None
    external_id: str | None
    microcredential: str
    version: int
    assessor_email: str
    levels: dict[str, str]
    evidence: tuple[EvidenceGiven, ...]
    awarded_at: datetime
    row_key: str
    content_sha256: str


def read_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, values by column) for each non-blank row; raises UnreadableAwardFile for the file itself."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header_row = next(reader, None)
    if header_row is None:
        raise UnreadableAwardFile("the file is empty: the first row must name the columns "
                                  f"({', '.join(COLUMNS)})")
    header = [name.strip().lower() for name in header_row]
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in _REQUIRED if name not in header]
    if unknown or missing:
        parts = ([f"unknown column(s) {', '.join(repr(u) for u in unknown)}"] if unknown else []) + \
                ([f"missing column(s) {', '.join(missing)}"] if missing else [])
        raise UnreadableAwardFile(f"the first row must name the columns ({', '.join(COLUMNS)}): {'; '.join(parts)}")
    if len(set(header)) != len(header):
        raise UnreadableAwardFile("the first row names a column twice")
    count = 0
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            count += 1
            if count > MAX_ROWS:
                raise UnreadableAwardFile(f"more than {MAX_ROWS} rows: split the file")
            values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                values["\0extra"] = "1"  # more cells than columns: refused by parse_row
            yield number, values
    except csv.Error as exc:
        raise UnreadableAwardFile(f"the file is not valid CSV: {exc}") from None


def _awarded_at(value: str, today: date) -> datetime:
    try:
        if len(value) == 10:
            awarded = datetime.combine(date.fromisoformat(value), time(0), tzinfo=timezone.utc)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise RowRefused(f"awarded_on {value!r} has a time but no time zone (add Z or +hh:mm)")
            awarded = parsed.astimezone(timezone.utc).replace(microsecond=0)
    except ValueError:
        raise RowRefused(f"awarded_on {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 date-time") from None
    if awarded.date() > today:
        raise RowRefused(f"awarded_on {value} is in the future")
    if awarded.date() < _EARLIEST:
        raise RowRefused(f"awarded_on {value} is before 1970")
    return awarded


def _levels(value: str) -> dict[str, str]:
    levels: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        criterion, sep, level = part.partition("=")
        criterion, level = criterion.strip(), level.strip()
        if not sep or not criterion or not level:
            raise RowRefused(f"levels: {part.strip()!r} is not criterion=level")
        if criterion in levels:
            raise RowRefused(f"levels: criterion {criterion!r} is given twice")
        levels[criterion] = level
    if not levels:
        raise RowRefused("levels: no criterion=level pair")
    return levels


def _evidence_item(part: str) -> EvidenceGiven:
    requirement, sep, source = part.partition("=")
    requirement, source = requirement.strip(), source.strip()
    if not sep or not requirement or not source:
        raise RowRefused(f"evidence: {part.strip()!r} is not requirement=source")
    digest = None
    where: str | None = source
    if (found := _SHA256.match(source)) is not None:
        digest, where = found.group(1).lower(), None
    elif "|" in source:
        where, _, tail = source.rpartition("|")
        where = where.strip()
        if (found := _SHA256.match(tail.strip())) is None:
            raise RowRefused(f"evidence {requirement}: {tail.strip()!r} is not sha256:<64 hexadecimal digits>")
        digest = found.group(1).lower()
    if where is None:
        return EvidenceGiven(requirement, None, None, digest)
    if where.lower().startswith(("https://", "http://")):
        if len(where) > 2000 or any(c.isspace() for c in where):
            raise RowRefused(f"evidence {requirement}: the URL is longer than 2000 characters or has spaces")
        return EvidenceGiven(requirement, None, where, digest)
    if "://" in where:
        raise RowRefused(f"evidence {requirement}: only http and https URLs are read")
    return EvidenceGiven(requirement, where, None, digest)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def parse_row(number: int, values: dict[str, str], *, issuer_id: uuid.UUID, today: date) -> ParsedRow:
    """One row, read and checked on its own (RowRefused says why not)."""
    if "\0extra" in values:
        raise RowRefused("the row has more cells than the header has columns")
    missing = [name for name in _REQUIRED if not values.get(name)]
    if missing:
        raise RowRefused(f"empty: {', '.join(missing)}")
    email = values["educator_email"]
    if not _EMAIL.match(email) or len(email) > 320:
        raise RowRefused(f"educator_email {email!r} is not an e-mail address")
    assessor = values["assessor_email"]
    if not _EMAIL.match(assessor) or len(assessor) > 320:
        raise RowRefused(f"assessor_email {assessor!r} is not an e-mail address")
    name = values.get("educator_name") or None
    if name is not None and len(name) > 200:
        raise RowRefused("educator_name is longer than 200 characters")
    external_id = values.get("educator_external_id") or None
    if external_id is not None and len(external_id) > 200:
        raise RowRefused("educator_external_id is longer than 200 characters")
    key = values["microcredential"]
    if not _KEY.match(key):
        raise RowRefused(f"microcredential {key!r} is not a micro-credential key")
    try:
        version = int(values["version"])
    except ValueError:
        raise RowRefused(f"version {values['version']!r} is not a whole number") from None
    if not 1 <= version <= 1_000_000:
        raise RowRefused(f"version {version} is out of range")
    levels = _levels(values["levels"])
    evidence = tuple(_evidence_item(part) for part in values.get("evidence", "").split(";") if part.strip())
    awarded_at = _awarded_at(values["awarded_on"], today)
    row_key = _digest(str(issuer_id), email.lower(), key, str(version), awarded_at.date().isoformat())
    content = _digest(name or "", external_id or "", assessor.lower(), awarded_at.isoformat(),
                      ";".join(f"{c}={lv}" for c, lv in sorted(levels.items())),
                      ";".join(sorted(f"{e.requirement}={e.path or ''}|{e.url or ''}|{e.sha256 or ''}" for e in evidence)))
    return ParsedRow(number=number, educator_email=email, educator_name=name, external_id=external_id,
                     microcredential=key, version=version, assessor_email=assessor, levels=levels,
                     evidence=evidence, awarded_at=awarded_at, row_key=row_key, content_sha256=content)
