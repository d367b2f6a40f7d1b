"""The platform operator's work: create an organisation (its DID, signing key and first admin), list them,
disable one without losing what it issued, recover access with a new key, import people.

Called by the operator API (``tenants/routes.py``, an operator key) and by the command line (``mcbadge
tenants ...``, run where the data and keys are: that is the trust boundary). One transaction per call.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import Credential, Issuer, IssuerKind, Person, Role, utcnow
from ..db.session import read, transaction
from ..errors import Conflict, Invalid, NotFound
from ..features import Page, PageParams, audit, paginate
from ..identity import issuer_did
from ..principal import issue_api_key
from ..services import Services
from .schemas import (
    ImportProblem,
    KeyCreate,
    KeyIssued,
    PeopleImported,
    PersonRow,
    TenantCreate,
    TenantCreated,
    TenantRead,
)

log = logging.getLogger(__name__)

MAX_IMPORT_ROWS = 50_000
"""Rows in one people file: a state's whole workforce fits; larger files are split."""


class TenantExists(Conflict):
    code = "tenant-exists"


class UnknownTenant(NotFound):
    code = "unknown-tenant"


class RoleMismatch(Conflict):
    """The person exists with another role (a person has one role at an organisation)."""

    code = "role-mismatch"


class UnknownPerson(NotFound):
    code = "unknown-person"


class UnreadablePeopleFile(Invalid):
    code = "unreadable-people-file"


def _read(session: Session, issuer: Issuer, base: str) -> TenantRead:
    people = session.scalar(select(func.count()).select_from(Person).where(Person.issuer_id == issuer.id)) or 0
    issued = session.scalar(select(func.count()).select_from(Credential).where(Credential.issuer_id == issuer.id)) or 0
    return TenantRead(id=issuer.id, slug=issuer.slug, did=issuer_did(base, issuer.slug), name=issuer.name,
                      kind=issuer.kind, disabled=issuer.disabled_at is not None, disabled_at=issuer.disabled_at,
                      created_at=issuer.created_at, people=people, credentials=issued)


def _tenant(session: Session, slug: str) -> Issuer:
    issuer = session.scalars(select(Issuer).where(Issuer.slug == slug)).first()
    if issuer is None:
        raise UnknownTenant(f"no organisation {slug!r} on this service")
    return issuer


def create_tenant(session: Session, services: Services, body: TenantCreate, *, operator: str) -> TenantCreated:
    """Create the organisation, its first admin and that admin's API key; then its signing key, so its DID
    document lists a key from the start."""
    base = services.settings.public_base_url
    with transaction(session):
        if session.scalar(select(Issuer.id).where(Issuer.slug == body.slug)) is not None:
            raise TenantExists(f"an organisation {body.slug!r} already exists")
        issuer = Issuer(slug=body.slug, name=body.name, kind=body.kind, state_agency=body.kind is IssuerKind.STATE_AGENCY,
                        url=body.url, email=body.email, description=body.description)
        session.add(issuer)
        session.flush()
        admin = Person(issuer_id=issuer.id, role=Role.ADMIN, name=body.admin.name, email=body.admin.email)
        session.add(admin)
        session.flush()
        key = issue_api_key(session, issuer_id=issuer.id, person_id=admin.id, name="first admin key")
        audit(session, issuer_id=issuer.id, actor_id=None, action="tenant.created", target=f"issuer:{issuer.id}",
              operator=operator, kind=body.kind.value)
        created = TenantCreated(tenant=_read(session, issuer, base), admin_id=admin.id, admin_key=key)
    services.keystore.load_or_create(body.slug, issuer_did(base, body.slug))
    return created


def list_tenants(session: Session, services: Services, page: PageParams) -> Page[TenantRead]:
    with read(session):
        rows, total = paginate(session, select(Issuer).order_by(Issuer.slug), page)
        return Page(items=[_read(session, i, services.settings.public_base_url) for i in rows], total=total,
                    limit=page.limit, offset=page.offset)


def get_tenant(session: Session, services: Services, slug: str) -> TenantRead:
    with read(session):
        return _read(session, _tenant(session, slug), services.settings.public_base_url)


def set_disabled(session: Session, services: Services, slug: str, disabled: bool, *, operator: str) -> TenantRead:
    """Disable (or enable again) an organisation: its API keys and OAuth tokens are refused, so nothing new
    is issued; its DID document, status lists and credentials stay served, so what it issued keeps
    verifying. Idempotent."""
    with transaction(session):
        issuer = _tenant(session, slug)
        if (issuer.disabled_at is not None) != disabled:
            issuer.disabled_at = utcnow() if disabled else None
            audit(session, issuer_id=issuer.id, actor_id=None, action="tenant.disabled" if disabled else "tenant.enabled",
                  target=f"issuer:{issuer.id}", operator=operator)
        return _read(session, issuer, services.settings.public_base_url)


def issue_key(session: Session, slug: str, body: KeyCreate, *, operator: str) -> KeyIssued:
    """A new API key for the person with this e-mail at the organisation (created with ``body.name`` if
    missing). Earlier keys stay valid: revoke a lost one through the API once back in."""
    with transaction(session):
        issuer = _tenant(session, slug)
        person = session.scalars(select(Person).where(Person.issuer_id == issuer.id,
                                                      func.lower(Person.email) == body.email.lower())).first()
        created = person is None
        if person is None:
            if body.name is None:
                raise UnknownPerson(f"no one with the e-mail {body.email} at {slug}; give a name to create them")
            person = Person(issuer_id=issuer.id, role=body.role, name=body.name, email=body.email)
            session.add(person)
            session.flush()
        elif person.role is not body.role:
            raise RoleMismatch(f"{body.email} is registered at {slug} as {person.role.value}, not {body.role.value}")
        key = issue_api_key(session, issuer_id=issuer.id, person_id=person.id, name=f"issued by operator {operator}")
        audit(session, issuer_id=issuer.id, actor_id=None, action="api_key.issued_by_operator",
              target=f"person:{person.id}", operator=operator, created_person=created)
        return KeyIssued(person_id=person.id, created_person=created, key=key)


@dataclass(frozen=True)
class _Parsed:
    rows: list[tuple[int, PersonRow]]
    problems: list[ImportProblem]


def _parse_people(text: str) -> _Parsed:
    reader = csv.DictReader(io.StringIO(text))
    needed = {"email", "name", "role"}
    header = {h.strip().lower() for h in (reader.fieldnames or []) if h}
    if not needed <= header:
        raise UnreadablePeopleFile(f"the first row must name the columns {', '.join(sorted(needed))} "
                                   f"(found: {', '.join(sorted(header)) or 'nothing'})")
    rows: list[tuple[int, PersonRow]] = []
    problems: list[ImportProblem] = []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            raise UnreadablePeopleFile(f"more than {MAX_IMPORT_ROWS} rows: split the file")
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(values.values()):
            continue  # a blank line
        try:
            rows.append((number, PersonRow(email=values.get("email", ""), name=values.get("name", ""),
                                           role=Role(values.get("role", "").lower()))))
        except ValueError as exc:  # an unknown role, or the row's fields (pydantic's ValidationError)
            reason = (f"role must be one of {', '.join(r.value for r in Role)}"
                      if not isinstance(exc, ValidationError)
                      else "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()))
            problems.append(ImportProblem(row=number, reason=reason))
    return _Parsed(rows, problems)


def import_people(session: Session, slug: str, text: str, *, operator: str) -> PeopleImported:
    """Add the people of a CSV file (columns email, name, role; a header row) to the organisation. Each row
    stands alone: a bad row is reported with its number and reason, the good ones are added. Idempotent: a
    person already there with the same role is left as is; with another role, the row is reported."""
    parsed = _parse_people(text)
    problems = list(parsed.problems)
    created = unchanged = 0
    with transaction(session):
        issuer = _tenant(session, slug)
        existing = {p.email.lower(): p for p in session.scalars(select(Person).where(Person.issuer_id == issuer.id))}
        for number, row in parsed.rows:
            found = existing.get(row.email.lower())
            if found is not None:
                if found.role is row.role:
                    unchanged += 1
                else:
                    problems.append(ImportProblem(row=number, reason=f"{row.email} is already there, as {found.role.value}"))
                continue
            person = Person(issuer_id=issuer.id, role=row.role, name=row.name, email=row.email)
            session.add(person)
            existing[row.email.lower()] = person
            created += 1
        audit(session, issuer_id=issuer.id, actor_id=None, action="people.imported", target=f"issuer:{issuer.id}",
              operator=operator, created=created, unchanged=unchanged, problems=len(problems))
    return PeopleImported(created=created, unchanged=unchanged, problems=sorted(problems, key=lambda p: p.row))
