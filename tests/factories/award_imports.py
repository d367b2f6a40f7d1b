"""Award files (CSV) for the bulk-award tests and the benchmark: rows for the tenant's
:data:`~tests.factories.tenants.AWARDED_MICROCREDENTIAL` (evidence: lesson-plan, video, reflection; criteria:
varied-checks and adjusts at proficient, reflection at developing)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable

HEADER = ("educator_email", "educator_name", "educator_external_id", "microcredential", "version", "assessor_email",
          "levels", "evidence", "awarded_on")

PASSING_LEVELS = "varied-checks=exemplary;adjusts=proficient;reflection=proficient"
BELOW_RUBRIC_LEVELS = "varied-checks=exemplary;adjusts=developing;reflection=proficient"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digests_only(n: int) -> str:
    """Evidence for every requirement given by digests (and the video by its URL with a digest)."""
    return (f"lesson-plan=sha256:{sha256(b'plan %d' % n)};video=https://videos.example.org/{n}|sha256:"
            f"{sha256(b'video %d' % n)};reflection=sha256:{sha256(b'reflection %d' % n)}")


def award_row(email: str, *, key: str, assessor: str, name: str = "", external_id: str = "", version: int = 1,
              levels: str = PASSING_LEVELS, evidence: str | None = None, awarded_on: str = "2024-03-15",
              n: int = 0) -> dict[str, str]:
    return {"educator_email": email, "educator_name": name, "educator_external_id": external_id,
            "microcredential": key, "version": str(version), "assessor_email": assessor, "levels": levels,
            "evidence": digests_only(n) if evidence is None else evidence, "awarded_on": awarded_on}


def award_file(rows: Iterable[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def many_rows(count: int, *, key: str, assessor: str, domain: str = "district.example.org") -> list[dict[str, str]]:
    """``count`` good rows, each for a new educator, award dates spread over 2024."""
    return [award_row(f"teacher{n}@{domain}", name=f"Teacher {n}", external_id=f"T-{n:06d}", key=key,
                      assessor=assessor, awarded_on=f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}", n=n)
            for n in range(count)]


def read_result(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))
