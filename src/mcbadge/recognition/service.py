"""Publishing, withdrawing and serving recognition registries, and the verifier's recognition answer.

A state-agency tenant (``Issuer.state_agency``) publishes a registry: each entry names an achievement
version by issuer DID + achievement id + definition digest, or a micro-credential version of this service
(whose digest is computed here from the Achievement its awards carry, ``credentials.build``). The registry
gets a revocation entry in the agency's status list, is signed with the agency's key and stored; the newest
is served at ``/issuers/{slug}/recognition-registry``. Withdrawing sets its revocation bit.

The verifier (:func:`recognition_answers`) reads each trusted state's registry through the registry source
(``Services.registries``), verifies it with the service's resolver and status fetcher, follows its
reciprocity acceptances, and asks ``vc.recognition.evaluate_recognition``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalog.service import published_version
from ..credentials.build import microcredential_definition
from ..db.models import Issuer, RecognitionRegistry, StatusEntry, StatusList, StatusPurpose, utcnow
from ..db.session import read, transaction
from ..errors import Forbidden, Invalid, NotFound
from ..features import audit
from ..identity import issuer_did
from ..principal import Principal
from ..quality.labels import newest_statement, statement_kappa
from ..services import Services
from ..status import service as status
from ..vc.data_integrity import sign_credential
from ..vc.errors import CredentialError
from ..vc.verify import VerificationReport
from ..vc.recognition import (
    CountCredit,
    HoursCredit,
    ReciprocityAcceptance,
    RecognizedAchievement,
    Reason,
    RecognitionAnswer,
    RecognitionOutcome,
    RegistryVerification,
    evaluate_recognition,
    registry_credential,
    verify_registry,
)
from .schemas import EntryIn, RegistryPublish, RegistryRead
from .source import REGISTRY_PATH, latest_registry

__all__ = [
    "NotAStateAgency",
    "RegistryNotFound",
    "UnknownMicroCredential",
    "UntrustedState",
    "check_state",
    "current_registry",
    "publish",
    "recognition_answers",
    "recognition_for_report",
    "registry_document",
    "require_state_agency",
    "trusted_states",
    "verified_registries",
    "wants_recognition",
    "withdraw",
]

_MAX_REGISTRIES = 16
"""Registries read for one answer (the trusted states and those their reciprocity reaches): a bound on the
work one verification can cause, whatever the registries say."""


class NotAStateAgency(Forbidden):
    """Only an issuer of kind "state agency" publishes a recognition registry or vets a micro-credential."""

    code = "not-a-state-agency"


class RegistryNotFound(NotFound):
    """No such recognition registry (or the issuer has published none)."""

    code = "registry-not-found"


class UnknownMicroCredential(Invalid):
    """A registry entry names a micro-credential version this service does not have published."""

    code = "unknown-microcredential"


class UntrustedState(Invalid):
    """``state`` names an agency this service is not configured to trust (``MCBADGE_TRUSTED_STATES``)."""

    code = "untrusted-state"


# -- publishing ------------------------------------------------------------------------------------------


def _registry_url(base: str, slug: str, registry_id: uuid.UUID) -> str:
    return f"{base}/issuers/{slug}/recognition-registries/{registry_id}"


def _read(registry: RecognitionRegistry, base: str, slug: str) -> RegistryRead:
    return RegistryRead(id=registry.id, url=_registry_url(base, slug, registry.id),
                        current_url=f"{base}/issuers/{slug}/{REGISTRY_PATH}", published_at=registry.published_at,
                        withdrawn_at=registry.withdrawn_at, document=registry.document)


def require_state_agency(session: Session, principal: Principal, doing: str) -> Issuer:
    """The caller's issuer, which must be a state agency; ``NotAStateAgency`` (saying who may be ``doing`` what
    was asked) otherwise. Recognition registries and vetting (``mcbadge.vetting``) both ask it."""
    issuer = session.get_one(Issuer, principal.issuer_id)
    if not issuer.state_agency:
        raise NotAStateAgency(f"only a state agency {doing}: set state_agency on the issuer")
    return issuer


def _agency(session: Session, principal: Principal) -> Issuer:
    return require_state_agency(session, principal, "publishes a recognition registry")


def _entry(session: Session, base: str, body: EntryIn) -> RecognizedAchievement:
    credit = (CountCredit(body.credit.count or 0, body.credit.required or 0) if body.credit.kind == "count"
              else HoursCredit(body.credit.hours or 0))
    if body.microcredential is not None:
        ref = body.microcredential
        mc = published_version(session, ref.issuer, ref.key, ref.version)
        if mc is None:
            raise UnknownMicroCredential(f"no published micro-credential {ref.key} version {ref.version} "
                                         f"of issuer {ref.issuer} on this service")
        achievement_id, digest = microcredential_definition(base, ref.issuer, mc)
        issuer = issuer_did(base, ref.issuer)
    else:
        assert body.achievement_issuer and body.achievement_id and body.definition_digest  # the schema's rule
        issuer, achievement_id, digest = body.achievement_issuer, body.achievement_id, body.definition_digest
    return RecognizedAchievement(issuer, achievement_id, digest, tuple(body.endorsement_areas), credit,
                                 body.effective_from, body.effective_until, body.minimum_scoring_kappa)


def publish(session: Session, services: Services, principal: Principal, body: RegistryPublish) -> RegistryRead:
    """Build, sign and store a new registry of the caller's state agency (admins); it becomes the current one."""
    base = services.public_base_url
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with transaction(session):
        agency = _agency(session, principal)
        did = issuer_did(base, agency.slug)
        entries = [_entry(session, base, e) for e in body.entries]
        registry_id = uuid.uuid4()
        entry = status.reserve_entry(session, agency.id, StatusPurpose.REVOCATION)
        status_entry = status.entry_for(base, agency.slug, session.get_one(StatusList, entry.status_list_id),
                                        entry.status_index)
        try:
            document = registry_credential(
                id=_registry_url(base, agency.slug, registry_id), agency=did, agency_name=agency.name,
                entries=entries, reciprocity=[ReciprocityAcceptance(a.agency, a.allow_chaining) for a in body.accepts],
                valid_from=body.valid_from or now, valid_until=body.valid_until, credential_status=[status_entry])
            signer = services.keystore.load_or_create(agency.slug, did)
            signed = sign_credential(document, signer, created=now)
        except CredentialError as exc:  # RegistryError, or a term the context does not define (safe mode)
            raise Invalid(f"the registry cannot be signed: {exc}") from None
        registry = RecognitionRegistry(id=registry_id, issuer_id=agency.id, revocation_entry_id=entry.id,
                                       document=signed, published_at=utcnow())
        session.add(registry)
        session.flush()
        audit(session, issuer_id=agency.id, actor_id=principal.person_id, action="recognition_registry.published",
              target=f"recognition_registry:{registry.id}", entries=len(entries),
              accepts=[a.agency for a in body.accepts])
        return _read(registry, base, agency.slug)


def withdraw(session: Session, services: Services, principal: Principal, registry_id: uuid.UUID) -> RegistryRead:
    """Withdraw a registry (admins): its revocation bit is set, so it no longer verifies anywhere."""
    base = services.public_base_url
    with transaction(session):
        agency = _agency(session, principal)
        registry = session.get(RecognitionRegistry, registry_id)
        if registry is None or registry.issuer_id != agency.id:
            raise RegistryNotFound(f"no recognition registry {registry_id} of this agency")
        if registry.withdrawn_at is None:
            entry = session.get_one(StatusEntry, registry.revocation_entry_id)
            status.set_bit(session, issuer=agency, list_id=entry.status_list_id, index=entry.status_index,
                           value=True, keystore=services.keystore, public_base_url=base)
            registry.withdrawn_at = utcnow()
            audit(session, issuer_id=agency.id, actor_id=principal.person_id,
                  action="recognition_registry.withdrawn", target=f"recognition_registry:{registry.id}")
        return _read(registry, base, agency.slug)


def current_registry(session: Session, slug: str) -> dict[str, Any]:
    """The newest registry the agency ``slug`` published (public)."""
    with read(session):
        found = latest_registry(session, slug)
        if found is None:
            raise RegistryNotFound(f"{slug} has published no recognition registry")
        return dict(found.document)


def registry_document(session: Session, slug: str, registry_id: uuid.UUID) -> dict[str, Any]:
    """One registry by its id (public): the document its credential id names."""
    with read(session):
        found = session.scalars(select(RecognitionRegistry).join(Issuer, Issuer.id == RecognitionRegistry.issuer_id)
                                .where(Issuer.slug == slug, RecognitionRegistry.id == registry_id)).first()
        if found is None:
            raise RegistryNotFound(f"no recognition registry {registry_id} of {slug}")
        return dict(found.document)


# -- the verifier's answer ---------------------------------------------------------------------------------


def trusted_states(services: Services) -> list[str]:
    """The state agencies' DIDs this service consults (``MCBADGE_TRUSTED_STATES``)."""
    return [s.strip() for s in services.settings.trusted_states.split(",") if s.strip()]


def verified_registries(services: Services, state: str, now: datetime) -> list[RegistryVerification]:
    """The state's registry and those its reciprocity reaches (breadth first, each agency once, bounded), each
    verified with the service's resolver and status fetcher. Blocking (another site may answer): not on the
    event loop."""
    found: list[RegistryVerification] = []
    queue, seen = [state], {state}
    while queue and len(found) < _MAX_REGISTRIES:
        agency = queue.pop(0)
        document = services.registries(agency)
        if document is None:
            continue
        verification = verify_registry(document, resolver=services.resolver, now=now,
                                       status_fetcher=services.status_fetcher, expected_agency=agency,
                                       document_cache=services.document_cache)
        found.append(verification)
        if not verification.verified:
            continue
        subject = verification.document.get("credentialSubject")
        accepted = subject.get("acceptsRegistriesOf") if isinstance(subject, Mapping) else None
        for item in accepted if isinstance(accepted, list) else []:
            other = item.get("agency") if isinstance(item, Mapping) else None
            if isinstance(other, str) and other not in seen:
                seen.add(other)
                queue.append(other)
    return found


def check_state(services: Services, state: str | None) -> None:
    """``UntrustedState`` unless ``state`` is None or one of the trusted states: checked before verifying."""
    if state is not None and state not in trusted_states(services):
        raise UntrustedState(f"{state} is not a state this service trusts (MCBADGE_TRUSTED_STATES)")


def wants_recognition(services: Services, state: str | None = None) -> bool:
    """Whether a verification must answer recognition (it then reads registries: not on the event loop)."""
    return state is not None or bool(trusted_states(services))


def recognition_for_report(services: Services, report: VerificationReport, *, state: str | None = None,
                           on: date | None = None, now: datetime | None = None,
                           endorsement_area: str | None = None) -> list[dict[str, Any]]:
    """The ``recognition`` member of a verification answer: one answer per trusted state (or ``state``), for
    any endorsement area or only ``endorsement_area``. A credential that did not verify is not looked up:
    its answers say it could not be checked."""
    check_state(services, state)
    if not report.verified or report.credential is None:
        return [RecognitionAnswer(agency, None, RecognitionOutcome.NOT_CHECKED,
                                  reasons=(Reason("credential_not_verified", "the credential did not verify", agency),),
                                  messages=(f"Could not check recognition by {agency}: the credential did not verify",)
                                  ).to_dict()
                for agency in ([state] if state is not None else trusted_states(services))]
    return recognition_answers(services, report.credential, state=state, on=on, now=now,
                               endorsement_area=endorsement_area)


def recognition_answers(services: Services, credential: Mapping[str, Any], *, state: str | None = None,
                        on: date | None = None, now: datetime | None = None,
                        endorsement_area: str | None = None) -> list[dict[str, Any]]:
    """For each trusted state (or only ``state``, which must be one of them), whether ``credential`` — already
    verified by the caller — is recognised on ``on`` (default: today), as ``RecognitionAnswer.to_dict()``."""
    check_state(services, state)
    trusted = trusted_states(services)
    moment = now or datetime.now(timezone.utc)
    day = on or moment.date()
    answers = []
    # For entries that require a minimum scoring agreement: the newest quality statement of the credential's
    # micro-credential that verifies (issued on this service; others are not fetched, so such entries do not
    # apply to other services' credentials).
    kappa = statement_kappa(newest_statement(services, credential, now=moment))
    for agency in [state] if state is not None else trusted:
        registries = verified_registries(services, agency, moment)
        answers.append(evaluate_recognition(credential, state=agency, registries=registries, on=day,
                                            endorsement_area=endorsement_area,
                                            canonicalizer=services.contexts.canonicalizer_for(credential),
                                            scoring_kappa=kappa)
                       .to_dict())
    return answers


