"""Issuers, people, their API keys and assessor training, straight into the database.

Plain functions on a session; each flushes, so the new row has its id. Names and e-mail addresses get a
random tag unless given, so a test can make as many as it needs in one database.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from mcbadge.db.models import AssessorTraining, Issuer, IssuerKind, Person, Role
from mcbadge.principal import issue_api_key


def make_issuer(session: Session, slug: str | None = None, *, name: str | None = None, url: str | None = None,
                email: str | None = None, image_url: str | None = None, validity_days: int | None = None,
                second_scoring: bool = False, auto_approve: bool = False,
                kind: IssuerKind = IssuerKind.DISTRICT) -> Issuer:
    """An issuer (a fresh ``district-<tag>`` slug unless given); profile fields, award rules and kind as given
    (what the platform operator does with ``mcbadge tenants create``)."""
    slug = slug or f"district-{uuid.uuid4().hex[:8]}"
    issuer = Issuer(slug=slug, name=name or f"District {slug}", url=url, email=email, image_url=image_url,
                    validity_days=validity_days, second_scoring=second_scoring, auto_approve=auto_approve,
                    kind=kind, state_agency=kind is IssuerKind.STATE_AGENCY)
    session.add(issuer)
    session.flush()
    return issuer


def make_person(session: Session, issuer: Issuer, role: Role, name: str | None = None, *,
                license_number: str | None = None) -> Person:
    """A person of ``issuer`` with ``role``; the e-mail address is made from the name (unique per issuer)."""
    name = name or f"{role.value.title()} {uuid.uuid4().hex[:8]}"
    email = f"{name.lower().replace(' ', '.')}@{issuer.slug}.example.org"
    person = Person(issuer_id=issuer.id, role=role, name=name, email=email, license_number=license_number)
    session.add(person)
    session.flush()
    return person


def api_key(session: Session, person: Person) -> str:
    """A new API key for ``person`` (the secret, as a client sends it)."""
    key = issue_api_key(session, issuer_id=person.issuer_id, person_id=person.id)
    session.flush()
    return key


def auth(key: str) -> dict[str, str]:
    """The Authorization header for an API key."""
    return {"Authorization": f"Bearer {key}"}


def train(session: Session, assessor: Person, key: str, *, lead: bool = False) -> AssessorTraining:
    """Record that ``assessor`` is trained (as a lead assessor if ``lead``) for micro-credential ``key``."""
    training = AssessorTraining(issuer_id=assessor.issuer_id, assessor_id=assessor.id, microcredential_key=key,
                                lead=lead)
    session.add(training)
    session.flush()
    return training
