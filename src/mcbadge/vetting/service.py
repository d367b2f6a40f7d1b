"""Vetting: nominations, the state agency's decision, and its endorsements of micro-credential versions.

Who does what (all tenants of this service):

* **Nominate**: an admin of the micro-credential's issuer (the district) or any educator asks a state-agency
  tenant to vet one published version, with a note. The same person asking again for the same version and
  agency while the first request is pending gets the first back; a version the agency already vets is a
  409 ``already-vetted``.
* **Review**: an admin of the state agency lists the nominations it received, accepts one (the endorsement
  is issued, or the one in force given back) or declines it with reasons; the nominator (and, for a
  district, its admins) read the outcome.
* **Vet directly**: an agency admin endorses a version without a nomination. Idempotent: while an
  endorsement of the version by the agency is in force (not withdrawn), vetting again returns it. Vetting
  settles every pending nomination of that version to that agency as accepted.
* **Withdraw**: the agency sets the endorsement's revocation bit; the "vetted by" label disappears wherever
  it is read (``labels``), here or by any verifier.

An endorsement is an OB 3.0 EndorsementCredential (``vc.vetting``) signed with the agency's key, with one
revocation entry in the agency's status list, served to anyone at its id,
``/issuers/{agency}/endorsements/{id}``. Every step is in the audit log of the agency and of the
micro-credential's issuer (and the nominator's, for a nomination).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..catalog.service import published_version
from ..credentials.build import achievement_id, microcredential_definition
from ..db.models import (
    Issuer,
    MicroCredential,
    NominationStatus,
    Person,
    Role,
    StatusEntry,
    StatusList,
    StatusPurpose,
    VettingEndorsement,
    VettingNomination,
    utcnow,
)
from ..db.session import read, transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..features import Page, PageParams, audit, paginate
from ..identity import issuer_did
from ..principal import Principal
from ..recognition.schemas import MicroCredentialRef
from ..recognition.service import UnknownMicroCredential, require_state_agency
from ..services import Services
from ..status import service as status
from ..vc.errors import CredentialError
from ..vc.vetting import endorsement_credential, sign_endorsement
from .schemas import (
    Acceptance,
    Declination,
    EndorsementRead,
    NominationCreate,
    NominationRead,
    VersionRead,
    VettingRequest,
    Withdrawal,
)

__all__ = [
    "AlreadyVetted",
    "EndorsementNotFound",
    "NominationDecided",
    "NominationNotFound",
    "NotTheIssuer",
    "UnknownAgency",
    "accept",
    "decline",
    "endorsement_document",
    "get_nomination",
    "list_endorsements",
    "list_nominations",
    "nominate",
    "vet",
    "withdraw",
]


class UnknownAgency(Invalid):
    """The nomination names no state agency of this service."""

    code = "unknown-agency"


class NotTheIssuer(Forbidden):
    """An issuer's admin nominates only their own issuer's micro-credentials (educators may nominate any)."""

    code = "not-the-issuer"


class AlreadyVetted(Conflict):
    """The agency already vets this micro-credential version: its endorsement is in force."""

    code = "already-vetted"


class NominationNotFound(NotFound):
    """No such nomination for this caller (another agency's, or someone else's)."""

    code = "nomination-not-found"


class NominationDecided(Conflict):
    """The nomination was already decided the other way (accepted, or declined)."""

    code = "nomination-decided"


class EndorsementNotFound(NotFound):
    """No such endorsement of this agency."""

    code = "endorsement-not-found"


# -- reading rows as the API shows them -------------------------------------------------------------------


def _endorsement_url(base: str, agency_slug: str, endorsement_id: uuid.UUID) -> str:
    return f"{base}/issuers/{agency_slug}/endorsements/{endorsement_id}"


def _version(session: Session, base: str, mc: MicroCredential) -> VersionRead:
    issuer = session.get_one(Issuer, mc.issuer_id)
    return VersionRead(issuer=issuer.slug, issuer_name=issuer.name, key=mc.key, version=mc.version, title=mc.title,
                       achievement_id=achievement_id(base, issuer.slug, mc.key, mc.version))


def _endorsement_read(session: Session, base: str, row: VettingEndorsement) -> EndorsementRead:
    agency = session.get_one(Issuer, row.agency_id)
    return EndorsementRead(
        id=row.id, url=_endorsement_url(base, agency.slug, row.id), agency=issuer_did(base, agency.slug),
        agency_name=agency.name, microcredential=_version(session, base, session.get_one(MicroCredential,
                                                                                           row.microcredential_id)),
        definition_digest=row.definition_digest, issued_at=row.issued_at, withdrawn_at=row.withdrawn_at,
        withdrawal_reason=row.withdrawal_reason, document=row.document)


def _nomination_read(session: Session, base: str, row: VettingNomination) -> NominationRead:
    agency = session.get_one(Issuer, row.agency_id)
    endorsement = session.get(VettingEndorsement, row.endorsement_id) if row.endorsement_id else None
    return NominationRead(
        id=row.id, agency=agency.slug, agency_name=agency.name,
        microcredential=_version(session, base, session.get_one(MicroCredential, row.microcredential_id)),
        note=row.note, nominated_by=session.get_one(Person, row.nominated_by).name,
        nominator_issuer=session.get_one(Issuer, row.nominator_issuer_id).slug, nominated_at=row.created_at,
        status=row.status, reasons=[str(r) for r in row.reasons], decided_at=row.decided_at,
        endorsement=_endorsement_url(base, agency.slug, endorsement.id) if endorsement else None,
        endorsement_withdrawn_at=endorsement.withdrawn_at if endorsement else None)


# -- looking things up ---------------------------------------------------------------------------------------


def _version_named(session: Session, ref: MicroCredentialRef) -> MicroCredential:
    mc = published_version(session, ref.issuer, ref.key, ref.version)
    if mc is None:
        raise UnknownMicroCredential(f"no published micro-credential {ref.key} version {ref.version} "
                                     f"of issuer {ref.issuer} on this service")
    return mc


def _in_force(session: Session, agency_id: uuid.UUID, microcredential_id: uuid.UUID) -> VettingEndorsement | None:
    return session.scalars(select(VettingEndorsement).where(
        VettingEndorsement.agency_id == agency_id, VettingEndorsement.microcredential_id == microcredential_id,
        VettingEndorsement.withdrawn_at.is_(None))).first()


def _both_logs(session: Session, issuer_ids: Sequence[uuid.UUID], *, actor_id: uuid.UUID, action: str,
               target: str, **detail: Any) -> None:
    """One audit event in each tenant's log the step concerns (each once)."""
    for issuer_id in dict.fromkeys(issuer_ids):
        audit(session, issuer_id=issuer_id, actor_id=actor_id, action=action, target=target, **detail)


# -- endorsing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Endorsed:
    row: VettingEndorsement
    created: bool


def _comment(agency: Issuer, issuer: Issuer, mc: MicroCredential, extra: str | None) -> str:
    said = (f"{agency.name} reviewed version {mc.version} of the micro-credential \u201c{mc.title}\u201d of "
            f"{issuer.name} (its competency, key method, evidence requirements and rubric) and vets this definition. "
            "Any other version is not covered.")
    return f"{said}\n\n{extra}" if extra else said


def _endorse(session: Session, services: Services, agency: Issuer, mc: MicroCredential, *, actor_id: uuid.UUID,
             comment: str | None = None, valid_until: datetime | None = None) -> _Endorsed:
    """The agency's endorsement of ``mc`` in force, issued now if there is none (inside the caller's
    transaction); pending nominations of the version to the agency are settled as accepted."""
    existing = _in_force(session, agency.id, mc.id)
    if existing is not None:
        _settle_nominations(session, agency, mc, existing, actor_id)
        return _Endorsed(existing, False)
    base = services.public_base_url
    issuer = session.get_one(Issuer, mc.issuer_id)
    ach_id, digest = microcredential_definition(base, issuer.slug, mc)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    endorsement_id = uuid.uuid4()
    did = issuer_did(base, agency.slug)
    try:
        with session.begin_nested():
            entry = status.reserve_entry(session, agency.id, StatusPurpose.REVOCATION)
            status_entry = status.entry_for(base, agency.slug, session.get_one(StatusList, entry.status_list_id),
                                            entry.status_index)
            try:
                document = endorsement_credential(
                    id=_endorsement_url(base, agency.slug, endorsement_id), agency=did, agency_name=agency.name,
                    achievement_id=ach_id, achievement_issuer=issuer_did(base, issuer.slug), definition_digest=digest,
                    name=f"Vetted by {agency.name}: {mc.title} (version {mc.version})",
                    comment=_comment(agency, issuer, mc, comment), valid_from=now, valid_until=valid_until,
                    credential_status=status_entry)
                signed = sign_endorsement(document, services.keystore.load_or_create(agency.slug, did), created=now)
            except CredentialError as exc:  # e.g. valid_until before now: the request's fault
                raise Invalid(f"the endorsement cannot be issued: {exc}") from None
            row = VettingEndorsement(id=endorsement_id, agency_id=agency.id, microcredential_id=mc.id,
                                     achievement_id=ach_id, definition_digest=digest, revocation_entry_id=entry.id,
                                     document=signed, issued_by=actor_id, issued_at=utcnow())
            session.add(row)
            session.flush()  # a concurrent vetting of the same version fails here (one in force)
    except IntegrityError:
        existing = _in_force(session, agency.id, mc.id)
        if existing is None:
            raise Conflict("the endorsement could not be stored; try again") from None
        return _Endorsed(existing, False)
    _both_logs(session, [agency.id, issuer.id], actor_id=actor_id, action="vetting.endorsed",
               target=f"vetting_endorsement:{row.id}", microcredential=str(mc.id), key=mc.key, version=mc.version,
               agency=agency.slug, definition_digest=digest)
    _settle_nominations(session, agency, mc, row, actor_id)
    return _Endorsed(row, True)


def _settle_nominations(session: Session, agency: Issuer, mc: MicroCredential, endorsement: VettingEndorsement,
                        actor_id: uuid.UUID) -> None:
    pending = session.scalars(select(VettingNomination).where(
        VettingNomination.agency_id == agency.id, VettingNomination.microcredential_id == mc.id,
        VettingNomination.status == NominationStatus.PENDING)).all()
    for nomination in pending:
        nomination.status = NominationStatus.ACCEPTED
        nomination.endorsement_id = endorsement.id
        nomination.decided_by = actor_id
        nomination.decided_at = utcnow()
        _both_logs(session, [agency.id, nomination.nominator_issuer_id], actor_id=actor_id,
                   action="vetting.nomination_accepted", target=f"vetting_nomination:{nomination.id}",
                   endorsement=str(endorsement.id))


def vet(session: Session, services: Services, principal: Principal,
        body: VettingRequest) -> tuple[EndorsementRead, bool]:
    """Vet a version directly (admins of a state agency): (the endorsement, whether it was issued now)."""
    with transaction(session):
        agency = require_state_agency(session, principal, "vets a micro-credential")
        mc = _version_named(session, body.microcredential)
        endorsed = _endorse(session, services, agency, mc, actor_id=principal.person_id, comment=body.comment,
                            valid_until=body.valid_until)
        return _endorsement_read(session, services.public_base_url, endorsed.row), endorsed.created


def withdraw(session: Session, services: Services, principal: Principal, endorsement_id: uuid.UUID,
             body: Withdrawal) -> EndorsementRead:
    """Withdraw an endorsement (admins of its agency): its revocation bit is set. Idempotent."""
    base = services.public_base_url
    with transaction(session):
        agency = require_state_agency(session, principal, "withdraws a vetting")
        row = session.get(VettingEndorsement, endorsement_id)
        if row is None or row.agency_id != agency.id:
            raise EndorsementNotFound(f"no endorsement {endorsement_id} of this agency")
        if row.withdrawn_at is None:
            entry = session.get_one(StatusEntry, row.revocation_entry_id)
            status.set_bit(session, issuer=agency, list_id=entry.status_list_id, index=entry.status_index,
                           value=True, keystore=services.keystore, public_base_url=base)
            row.withdrawn_at = utcnow()
            row.withdrawal_reason = body.reason
            mc = session.get_one(MicroCredential, row.microcredential_id)
            _both_logs(session, [agency.id, mc.issuer_id], actor_id=principal.person_id,
                       action="vetting.withdrawn", target=f"vetting_endorsement:{row.id}", reason=body.reason,
                       key=mc.key, version=mc.version)
        return _endorsement_read(session, base, row)


def list_endorsements(session: Session, services: Services, principal: Principal,
                      page: PageParams) -> Page[EndorsementRead]:
    """The agency's endorsements, newest first (admins of a state agency)."""
    with read(session):
        agency = require_state_agency(session, principal, "vets micro-credentials")
        query = (select(VettingEndorsement).where(VettingEndorsement.agency_id == agency.id)
                 .order_by(VettingEndorsement.issued_at.desc(), VettingEndorsement.id))
        rows, total = paginate(session, query, page)
        items = [_endorsement_read(session, services.public_base_url, r) for r in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def endorsement_document(session: Session, agency_slug: str, endorsement_id: uuid.UUID) -> dict[str, Any]:
    """One endorsement by the id its credential carries (public; its status says if it was withdrawn)."""
    with read(session):
        row = session.scalars(select(VettingEndorsement).join(Issuer, Issuer.id == VettingEndorsement.agency_id)
                              .where(Issuer.slug == agency_slug, VettingEndorsement.id == endorsement_id)).first()
        if row is None:
            raise EndorsementNotFound(f"no endorsement {endorsement_id} of {agency_slug}")
        return dict(row.document)


# -- nominations ---------------------------------------------------------------------------------------------


def nominate(session: Session, services: Services, principal: Principal,
             body: NominationCreate) -> tuple[NominationRead, bool]:
    """Nominate a version for vetting (an admin of its issuer, or an educator): (the nomination, whether new)."""
    base = services.public_base_url
    with transaction(session):
        agency = session.scalars(select(Issuer).where(Issuer.slug == body.agency,
                                                      Issuer.state_agency.is_(True))).first()
        if agency is None:
            raise UnknownAgency(f"{body.agency} is not a state agency on this service")
        mc = _version_named(session, body.microcredential)
        if principal.role is Role.ADMIN and mc.issuer_id != principal.issuer_id:
            raise NotTheIssuer("an issuer's admin nominates only the issuer's own micro-credentials")
        vetted = _in_force(session, agency.id, mc.id)
        if vetted is not None:
            raise AlreadyVetted(f"{agency.name} already vets version {mc.version} of {mc.key}",
                                endorsement=_endorsement_url(base, agency.slug, vetted.id))
        earlier = session.scalars(select(VettingNomination).where(
            VettingNomination.agency_id == agency.id, VettingNomination.microcredential_id == mc.id,
            VettingNomination.nominated_by == principal.person_id,
            VettingNomination.status == NominationStatus.PENDING)).first()
        if earlier is not None:
            return _nomination_read(session, base, earlier), False
        nomination = VettingNomination(agency_id=agency.id, microcredential_id=mc.id,
                                       nominator_issuer_id=principal.issuer_id, nominated_by=principal.person_id,
                                       note=body.note, status=NominationStatus.PENDING, reasons=[])
        session.add(nomination)
        session.flush()
        _both_logs(session, [principal.issuer_id, agency.id], actor_id=principal.person_id,
                   action="vetting.nominated", target=f"vetting_nomination:{nomination.id}", agency=agency.slug,
                   microcredential=str(mc.id), key=mc.key, version=mc.version)
        return _nomination_read(session, base, nomination), True


def _visible(principal: Principal) -> Select[VettingNomination]:
    """What the caller may read: nominations to their agency (its admins), and those they made (an admin:
    those their issuer's people made)."""
    mine = (VettingNomination.nominator_issuer_id == principal.issuer_id if principal.role is Role.ADMIN
            else VettingNomination.nominated_by == principal.person_id)
    received = VettingNomination.agency_id == principal.issuer_id if principal.role is Role.ADMIN else None
    return select(VettingNomination).where(or_(mine, received) if received is not None else mine)


def list_nominations(session: Session, services: Services, principal: Principal, page: PageParams, *,
                     status: NominationStatus | None = None, received: bool | None = None) -> Page[NominationRead]:
    """The nominations the caller may read (see :func:`_visible`), newest first; ``received`` keeps only those
    made to the caller's agency (True) or only those made by the caller's side (False)."""
    with read(session):
        query = _visible(principal)
        if status is not None:
            query = query.where(VettingNomination.status == status)
        if received is True:
            query = query.where(VettingNomination.agency_id == principal.issuer_id)
        elif received is False:
            query = query.where(VettingNomination.agency_id != principal.issuer_id)
        query = query.order_by(VettingNomination.created_at.desc(), VettingNomination.id)
        rows, total = paginate(session, query, page)
        items = [_nomination_read(session, services.public_base_url, r) for r in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def _nomination(session: Session, principal: Principal, nomination_id: uuid.UUID) -> VettingNomination:
    found = session.scalars(_visible(principal).where(VettingNomination.id == nomination_id)).first()
    if found is None:
        raise NominationNotFound(f"no nomination {nomination_id}")
    return found


def get_nomination(session: Session, services: Services, principal: Principal,
                   nomination_id: uuid.UUID) -> NominationRead:
    """One nomination, with its outcome (the nominator's side, or the agency's reviewers)."""
    with read(session):
        return _nomination_read(session, services.public_base_url, _nomination(session, principal, nomination_id))


def _received(session: Session, principal: Principal, nomination_id: uuid.UUID) -> tuple[Issuer, VettingNomination]:
    agency = require_state_agency(session, principal, "reviews nominations")
    nomination = session.get(VettingNomination, nomination_id)
    if nomination is None or nomination.agency_id != agency.id:
        raise NominationNotFound(f"no nomination {nomination_id} to this agency")
    return agency, nomination


def accept(session: Session, services: Services, principal: Principal, nomination_id: uuid.UUID,
           body: Acceptance) -> NominationRead:
    """Accept a nomination (admins of the agency): the version is vetted (or already was). Idempotent."""
    with transaction(session):
        agency, nomination = _received(session, principal, nomination_id)
        if nomination.status is NominationStatus.DECLINED:
            raise NominationDecided("this nomination was declined; a new nomination (or vetting directly) is needed")
        if nomination.status is NominationStatus.PENDING:
            mc = session.get_one(MicroCredential, nomination.microcredential_id)
            _endorse(session, services, agency, mc, actor_id=principal.person_id, comment=body.comment)
        return _nomination_read(session, services.public_base_url, nomination)


def decline(session: Session, services: Services, principal: Principal, nomination_id: uuid.UUID,
            body: Declination) -> NominationRead:
    """Decline a nomination with reasons (admins of the agency). Declining a declined nomination again
    changes nothing; an accepted one cannot be declined (withdraw its endorsement instead)."""
    with transaction(session):
        agency, nomination = _received(session, principal, nomination_id)
        if nomination.status is NominationStatus.ACCEPTED:
            raise NominationDecided("this nomination was accepted; to undo it, withdraw the endorsement")
        if nomination.status is NominationStatus.PENDING:
            nomination.status = NominationStatus.DECLINED
            nomination.reasons = list(body.reasons)
            nomination.decided_by = principal.person_id
            nomination.decided_at = utcnow()
            _both_logs(session, [agency.id, nomination.nominator_issuer_id], actor_id=principal.person_id,
                       action="vetting.nomination_declined", target=f"vetting_nomination:{nomination.id}",
                       reasons=list(body.reasons))
        return _nomination_read(session, services.public_base_url, nomination)
