"""The renewal report of an educator: gather, verify, and let ``vc.renewal`` decide.

1. **Gather** (one read transaction): who may read it (the educator, or an admin of their issuer), the
   educator, the credentials awarded to them here (all of them: a revoked one is listed with its reason)
   and the credentials they added to their record (the OB 3.0 API's store, ``UpsertedCredential``, which
   ``POST /api/v1/stacks/external-credentials`` and wallets fill).
2. **Verify** (outside any transaction: verifying reads status lists, and this service may re-sign its own
   on the way, a write that must not wait on our own lock — as ``stacks.service._external`` does): the
   state's registry and those its reciprocity reaches (``recognition.service.verified_registries``), then
   every credential with ``verification.service.verify_given``, the one way this service verifies. A
   designation is given the educator's other credentials as its presented components, so its private
   components are checked too.
3. **Decide**: ``vc.renewal.renewal_report`` (pure) says which count, which do not and why, and the totals.

Bad parameters are refused before any verification: a state this service neither trusts nor hosts
(``UnknownState``), a cycle that ends before it starts (``InvalidCycle``), an endorsement area the state's
verified registry does not list (``UnknownEndorsementArea``; when the registry itself does not verify the
report is still made, and says that nothing can be counted).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..credentials.build import credential_url
from ..db.models import Credential, Issuer, Person, Role
from ..db.oauth_models import UpsertedCredential
from ..db.session import read
from ..errors import Forbidden, Invalid, NotFound
from ..identity import issuer_did
from ..principal import Principal
from ..recognition.service import trusted_states, verified_registries
from ..services import Services
from ..vc.recognition import credits_by_area
from ..quality.labels import newest_statement, statement_kappa
from ..vc.renewal import HeldCredential, renewal_report
from ..verification.inputs import GivenCredential
from ..verification.service import verify_given
from .schemas import EducatorRead, RenewalQuery, RenewalReportRead

__all__ = ["InvalidCycle", "UnknownEducator", "UnknownEndorsementArea", "UnknownState", "report_for"]


class UnknownEducator(NotFound):
    """No educator with this id is visible to the caller."""

    code = "unknown-educator"


class UnknownState(Invalid):
    """``state`` is neither a state this service trusts (``MCBADGE_TRUSTED_STATES``) nor a state agency on it."""

    code = "unknown-state"


class InvalidCycle(Invalid):
    """The renewal cycle ends before it starts."""

    code = "invalid-renewal-cycle"


class UnknownEndorsementArea(Invalid):
    """The state's registry lists no such endorsement area (the problem lists those it does)."""

    code = "unknown-endorsement-area"


@dataclass(frozen=True)
class _Found:
    """What one credential is, as gathered from the database."""

    value: Any  # the signed document, or the VC-JWT
    source: str  # awarded | added
    reference: str
    verification_url: str | None
    is_designation: bool = False


@dataclass(frozen=True)
class _Gathered:
    educator: EducatorRead
    email: str
    credentials: list[_Found]


def _educator(session: Session, principal: Principal, educator_id: uuid.UUID | None) -> Person:
    """The educator whose report it is: the caller themself, or (for an admin) one of their issuer's."""
    if educator_id is None or educator_id == principal.person_id:
        if principal.role is not Role.EDUCATOR:
            raise Forbidden(f"a renewal report is an educator's; the {principal.role.value} role has none of its "
                            "own (admins ask for /api/v1/educators/{id}/renewal-report)")
        return session.get_one(Person, principal.person_id)
    if principal.role is not Role.ADMIN:
        raise Forbidden("an educator reads their own renewal report only")
    person = session.get(Person, educator_id)
    if person is None or person.issuer_id != principal.issuer_id or person.role is not Role.EDUCATOR:
        raise UnknownEducator(f"no educator {educator_id}")
    return person


def _state_agencies_here(session: Session, base: str) -> set[str]:
    slugs = session.scalars(select(Issuer.slug).where(Issuer.state_agency.is_(True)))
    return {issuer_did(base, slug) for slug in slugs}


def _gather(session: Session, services: Services, principal: Principal, educator_id: uuid.UUID | None,
            state: str) -> _Gathered:
    base = services.settings.public_base_url
    with read(session):
        if state not in trusted_states(services) and state not in _state_agencies_here(session, base):
            raise UnknownState(f"{state} is not a state agency this service trusts (MCBADGE_TRUSTED_STATES) "
                               "or hosts: give a state agency's DID")
        person = _educator(session, principal, educator_id)
        issuer_name = session.get_one(Issuer, person.issuer_id).name
        found: list[_Found] = []
        for row in session.scalars(select(Credential).where(Credential.educator_id == person.id)
                                   .order_by(Credential.issued_at, Credential.id)):
            value = row.jwt or row.document
            if value is None:
                continue  # its signature is being made (the row comes first): not a credential yet
            url = credential_url(base, row.id)
            # The public page verifies it live; a private credential has none (the educator can give the file).
            found.append(_Found(value, "awarded", url, url if row.public else None, row.stack_id is not None))
        for added in session.scalars(select(UpsertedCredential).where(UpsertedCredential.educator_id == person.id)
                                     .order_by(UpsertedCredential.issued_at, UpsertedCredential.id)):
            value = added.jwt or added.document
            if value is None:
                continue
            page = added.credential_id if added.credential_id.startswith("https://") else None
            found.append(_Found(value, "added", added.credential_id, page))
        educator = EducatorRead(id=person.id, name=person.name, license_number=person.license_number,
                                issuer_name=issuer_name)
        return _Gathered(educator, person.email, found)


def _verified(services: Services, found: _Found, others: tuple[Any, ...], now: datetime) -> HeldCredential:
    source = "jwt" if isinstance(found.value, str) else "json"
    given = GivenCredential(found.value, source, label=found.reference,
                            components=others if found.is_designation else ())
    _, report = verify_given(services, given, now=now)
    statement = newest_statement(services, report.credential, now=now) if report.credential is not None else None
    return HeldCredential(report, "awarded" if found.source == "awarded" else "added", found.reference,
                          found.verification_url, scoring_kappa=statement_kappa(statement))


def report_for(session: Session, services: Services, principal: Principal, educator_id: uuid.UUID | None,
               query: RenewalQuery) -> RenewalReportRead:
    """The renewal report of ``educator_id`` (None: the caller's own) for ``query``. Blocking: it verifies
    every credential and fetches registries, so routes run it in a worker thread."""
    if query.end < query.start:
        raise InvalidCycle(f"the renewal cycle ends ({query.end.isoformat()}) before it starts "
                           f"({query.start.isoformat()})")
    gathered = _gather(session, services, principal, educator_id, query.state)
    now = datetime.now(timezone.utc)
    registries = verified_registries(services, query.state, now)
    home = next((r for r in registries if r.agency == query.state and r.verified), None)
    listed = sorted({area for r in registries for area in credits_by_area(r)})
    if home is not None and query.area not in listed:
        raise UnknownEndorsementArea(f"{home.label}'s registry lists no endorsement area {query.area!r}",
                                     areas=listed)
    values = tuple(f.value for f in gathered.credentials)
    held = [_verified(services, f, values, now) for f in gathered.credentials]
    report = renewal_report(held, state=query.state, endorsement_area=query.area, cycle_start=query.start,
                            cycle_end=query.end, registries=registries, educator_email=gathered.email, now=now,
                            canonicalizer_for=services.contexts.canonicalizer_for)
    return RenewalReportRead.of(report, educator=gathered.educator, checked_at=now.replace(microsecond=0),
                                verify_page=f"{services.settings.public_base_url.rstrip('/')}/verify")

