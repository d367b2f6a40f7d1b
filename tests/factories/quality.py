"""Scored work for the quality figures: double-scored submissions straight in the database, with chosen levels
and times, so the report's figures can be computed by hand (the same pattern as tests/quality/test_figures.py).

:func:`seed_double_scored` makes, for one published micro-credential (the catalog's rubric: ``varied-checks``
required at proficient, ``reflection`` at developing), twelve submissions scored by two assessors each:

* 0-9 by ``first`` and ``second``: varied-checks agree on 0-5 (proficient), one level apart on 6-8
  (proficient / developing), two apart on 9 (exemplary / developing); reflection developing everywhere;
* 10-11 by ``first`` and ``third``: everything agrees, reflection not yet;

each submitted on day ``n`` of the period, the second score on day ``n + 1``, decided then (turnaround: 1 day),
and one submission still waiting, submitted 20 days before ``now`` (overdue at a 14-day service level).

Hand-computed figures (see tests/quality/test_figures.py for the working): varied-checks exact 8/12, adjacent
11/12, kappa 1 - (7/12)/(68/144); reflection exact 1, kappa 1; overall exact 20/24, adjacent 23/24.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from mcbadge.db.models import Assessment, MicroCredential, Person, Role, SubmissionStatus
from tests.factories.catalog import published_microcredential
from tests.factories.people import make_person
from tests.factories.submissions import make_submission
from tests.factories.tenants import Tenant

CHECKS_KAPPA = 1 - (7 / 12) / (68 / 144)
OVERALL_EXACT = 20 / 24
CHECKS_EXACT = 8 / 12

_CHECKS = ([("proficient", "proficient")] * 6 + [("proficient", "developing")] * 3
           + [("exemplary", "developing")] + [("proficient", "proficient")] * 2)


@dataclass(frozen=True)
class Seeded:
    microcredential_id: uuid.UUID
    key: str
    first: uuid.UUID
    second: uuid.UUID
    third: uuid.UUID
    overdue: uuid.UUID


def seed_double_scored(sessions: sessionmaker[Session], tenant: Tenant, start: datetime, now: datetime, *,
                       key: str = "checking-for-understanding", first: Person | None = None,
                       mc: MicroCredential | None = None) -> Seeded:
    """The twelve double-scored submissions of the module docstring from ``start``, and one overdue at ``now``."""
    with sessions() as session, session.begin():
        version = mc or published_microcredential(session, tenant.issuer, key=key)
        a = first or make_person(session, tenant.issuer, Role.ASSESSOR, "Avery First")
        b = make_person(session, tenant.issuer, Role.ASSESSOR, "Blake Second")
        c = make_person(session, tenant.issuer, Role.ASSESSOR, "Casey Third")
        educator = make_person(session, tenant.issuer, Role.EDUCATOR, f"Teacher {uuid.uuid4().hex[:6]}")
        for n, (checks_a, checks_b) in enumerate(_CHECKS):
            reflection = "not-yet" if n >= 10 else "developing"
            other = b if n < 10 else c
            submitted = start + timedelta(days=n, hours=1)
            passed_b = checks_b == "proficient" and reflection != "not-yet"
            sub = make_submission(session, educator, version, assessors=(a, other),
                                  status=SubmissionStatus.PASSED if passed_b else SubmissionStatus.NOT_YET)
            sub.submitted_at = submitted
            sub.decided_at = submitted + timedelta(days=1)
            for who, level, at in ((a, checks_a, submitted + timedelta(hours=2)),
                                   (other, checks_b, submitted + timedelta(days=1))):
                passed = level in ("proficient", "exemplary") and reflection != "not-yet"
                session.add(Assessment(submission_id=sub.id, assessor_id=who.id, created_at=at, passed=passed,
                                       scores={"varied-checks": level, "reflection": reflection},
                                       feedback={} if passed else {"varied-checks": "Show more."}))
        waiting = make_submission(session, educator, version, assessors=(a,))
        waiting.submitted_at = now - timedelta(days=20)
        session.flush()
        return Seeded(version.id, version.key, a.id, b.id, c.id, waiting.id)
