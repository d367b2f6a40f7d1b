"""People of an issuer: create and list them, issue their API keys, record assessor trainings."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.models import ApiKey, AssessorTraining, MicroCredential, Person, Role
from ..db.session import transaction
from ..errors import Conflict, Invalid, NotFound
from ..features import Page, PageParams, audit, paginate
from ..principal import KEY_PREFIX, Principal, issue_api_key
from .schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    PersonCreate,
    PersonRead,
    TrainingCreate,
    TrainingRead,
)

__all__ = ["EmailTaken", "NotAnAssessor", "UnknownKey", "UnknownPerson", "create_person", "get_person",
           "issue_key", "list_people", "train"]


class UnknownPerson(NotFound):
    """No person with this id at the caller's issuer."""

    code = "unknown-person"


class EmailTaken(Conflict):
    """Another person of this issuer has this e-mail address."""

    code = "email-taken"


class NotAnAssessor(Invalid):
    """Trainings are for people with the assessor role."""

    code = "not-an-assessor"


class UnknownKey(Invalid):
    """The issuer has no micro-credential with this key."""

    code = "unknown-microcredential-key"


def _read(person: Person) -> PersonRead:
    return PersonRead.model_validate(person, from_attributes=True)


def load(session: Session, principal: Principal, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.issuer_id != principal.issuer_id:
        raise UnknownPerson(f"no person {person_id}")
    return person


def create_person(session: Session, principal: Principal, body: PersonCreate) -> PersonRead:
    """Add a person with one role to the caller's issuer."""
    email = body.email.strip()
    with transaction(session):
        if session.scalar(select(Person.id).where(Person.issuer_id == principal.issuer_id, Person.email == email)):
            raise EmailTaken(f"{email} already belongs to someone at this issuer")
        person = Person(issuer_id=principal.issuer_id, role=body.role, name=body.name, email=email,
                        license_number=body.license_number)
        session.add(person)
        try:
            session.flush()
        except IntegrityError:  # a concurrent create with the same e-mail
            raise EmailTaken(f"{email} already belongs to someone at this issuer") from None
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="person.create",
              target=f"person:{person.id}", role=body.role.value)
        return _read(person)


def list_people(session: Session, principal: Principal, page: PageParams, *, role: Role | None = None) -> Page[PersonRead]:
    """The issuer's people, by name."""
    with transaction(session):
        query = select(Person).where(Person.issuer_id == principal.issuer_id)
        if role is not None:
            query = query.where(Person.role == role)
        rows, total = paginate(session, query.order_by(Person.name, Person.id), page)
        return Page(items=[_read(p) for p in rows], total=total, limit=page.limit, offset=page.offset)


def get_person(session: Session, principal: Principal, person_id: uuid.UUID) -> PersonRead:
    with transaction(session):
        return _read(load(session, principal, person_id))


def issue_key(session: Session, principal: Principal, person_id: uuid.UUID, body: ApiKeyCreate) -> ApiKeyIssued:
    """Issue an API key for a person of the issuer; the key is returned once and only its hash is kept."""
    with transaction(session):
        person = load(session, principal, person_id)
        key = issue_api_key(session, issuer_id=person.issuer_id, person_id=person.id, name=body.name)
        session.flush()
        prefix = key[len(KEY_PREFIX):].partition("_")[0]
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="api_key.issue",
              target=f"person:{person.id}", api_key_id=str(row.id))
        return ApiKeyIssued(id=row.id, person_id=person.id, name=row.name, key=key, created_at=row.created_at)


def train(session: Session, principal: Principal, person_id: uuid.UUID, body: TrainingCreate) -> tuple[TrainingRead, bool]:
    """Record that an assessor is trained for a micro-credential key (or update the lead flag).

    Returns the training and whether it was new.
    """
    with transaction(session):
        person = load(session, principal, person_id)
        if person.role is not Role.ASSESSOR:
            raise NotAnAssessor(f"{person.name} is {person.role.value}, not an assessor")
        known = session.scalar(select(MicroCredential.id).where(
            MicroCredential.issuer_id == principal.issuer_id, MicroCredential.key == body.microcredential_key).limit(1))
        if known is None:
            raise UnknownKey(f"no micro-credential with key {body.microcredential_key!r}")
        training = session.scalar(select(AssessorTraining).where(
            AssessorTraining.assessor_id == person.id,
            AssessorTraining.microcredential_key == body.microcredential_key))
        created = training is None
        if training is None:
            training = AssessorTraining(issuer_id=principal.issuer_id, assessor_id=person.id,
                                        microcredential_key=body.microcredential_key, lead=body.lead)
            session.add(training)
        else:
            training.lead = body.lead
        session.flush()
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="assessor.train",
              target=f"person:{person.id}", key=body.microcredential_key, lead=body.lead)
        return TrainingRead.model_validate(training, from_attributes=True), created
