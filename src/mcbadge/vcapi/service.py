"""The W3C VC API's logic: issue, change status, status lists, verify presentations.

:func:`issue` signs a credential the caller sends (no submission behind it) with the caller's issuer key,
Data Integrity ``eddsa-rdfc-2022`` or a VC-JWT. In one transaction it inserts the ``issued_credentials``
row, reserves a random free index per requested status purpose in the issuer's VC API status lists (the
unique constraint on (list, index) is the guarantee; a collision retries in a savepoint), adds the
``credentialStatus`` entries, signs, and stores what was signed: the row exists before the signature, and
nothing signed leaves before the commit.

VC 1.1 input (``https://www.w3.org/2018/credentials/v1`` + ``issuanceDate``, what the W3C-CCG suites send) is
signed as it is, with the contexts the proof and the status entry need appended (Data Integrity v2, and the
Bitstring Status List v1 context): appending a context keeps every earlier term's meaning, and the
canonicalizer's safe mode still refuses terms no context defines.

The issuer is the caller's: its did:web (``did:web:<host>:issuers:<slug>``), or the did:key of its current
signing key (``did:key:`` + the ``publicKeyMultibase`` of the newest key in its DID document), for verifiers
that resolve nothing over the network (the W3C suites' offline runs). The same key signs either way; a did:key
credential gets no status entry from this service (its status lists are signed by the did:web, and a verifier
only trusts a list signed by the credential's own issuer).

A ``credentialStatus`` the caller puts in the credential is signed as it is (beside none from
``options.credentialStatus``: one or the other). The caller is authenticated as the issuer (an API key or an
OAuth token with ``vc:issue``), and a status entry is the issuer's to make: it names a list the caller keeps,
wherever that is. This service checks it is well formed (each entry typed; a ``BitstringStatusListEntry`` with
its purpose, decimal index and list URL) and that its terms are defined (safe mode), records no status row for
it, and cannot change it: ``POST /credentials/status`` changes only entries this service made.

An Open Badge (an ``AchievementCredential``/``OpenBadgeCredential``, or an ``EndorsementCredential``) is held
to the unmodified 1EdTech OB 3.0 JSON Schema its type claims, with its status entries in place, before it
is signed (422 listing the problems otherwise), and its Data Integrity proof is returned as a one-element
array, as that schema wants: what this service issues must be accepted by every conformant host. Other
credentials have no 1EdTech schema and keep the proof object the W3C suites expect.

Status lists are ``mcbadge.status``'s, the same tables and code as the awards' (a VC API list is named by a
key and served at ``/status-lists/{key}``): allocated, signed, re-signed eagerly on a bit change and lazily
when behind, in one place.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.models import Issuer, StatusList, StatusPurpose
from ..db.session import transaction
from ..db.vcapi_models import IssuedCredential, IssuedStatusEntry
from ..errors import Conflict, Invalid, NotFound
from ..features import audit
from ..identity import issuer_did
from ..services import Services
from ..status import service as status
from ..status.service import StatusListFull, VcApiStatusListNotFound
from ..vc import data_integrity, data_model, schema
from ..vc.contexts import CREDENTIALS_V2, DATA_INTEGRITY_V2
from ..vc.data_integrity import sign_credential
from ..vc.dids import DidResolver, did_key_from_public
from ..vc.errors import CredentialError, DataModelError, IssuerMismatch
from ..vc.json_values import issuer_id
from ..vc.jwt import encode_vc_jwt
from ..vc.keys import PublicKey
from ..vc.status_list import MIN_LENGTH
from ..vc.verify import Outcome, VerificationReport, verify
from ..verification.service import problem_details
from .schemas import (
    FORMATS,
    CreateStatusListRequest,
    IssueRequest,
    UpdateStatusRequest,
    VerifyPresentationRequest,
)

__all__ = [
    "Caller",
    "CredentialStatusNotFound",
    "DuplicateCredentialId",
    "InvalidCredential",
    "InvalidPresentation",
    "RevocationIsPermanent",
    "StatusListFull",
    "VcApiStatusListNotFound",
    "check_credential",
    "create_status_list",
    "issue",
    "update_status",
    "verify_presentation",
]

STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"
_MAX_ALLOCATION_ATTEMPTS = 10
_ENVELOPE_PREFIX = "data:application/vc+jwt,"


# -- errors --------------------------------------------------------------------------------------------


class StatusListExists(Conflict):
    """A status list with this id exists already."""

    code = "status-list-exists"


class InvalidCredential(Invalid):
    """The credential sent to be issued is not one mcbadge may sign (its shape, issuer, dates, or terms)."""

    code = "invalid-credential"


class InvalidPresentation(Invalid):
    """The presentation cannot be read as one (no VC context first, no VerifiablePresentation type, ...)."""

    code = "invalid-presentation"


class DuplicateCredentialId(Conflict):
    """A credential with this id already has a status entry for this purpose at this issuer."""

    code = "duplicate-credential-id"


class CredentialStatusNotFound(NotFound):
    """No credential with this id has a status entry for this purpose at the caller's issuer."""

    code = "credential-status-not-found"


class RevocationIsPermanent(Conflict):
    """A revoked credential cannot be un-revoked."""

    code = "revocation-is-permanent"


# -- the caller and the contexts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who issues: an issuer of this service, and the person (API key) or client acting for it."""

    issuer_id: uuid.UUID
    issuer_slug: str
    actor_id: uuid.UUID | None = None


def _issuer_did(services: Services, slug: str) -> str:
    return issuer_did(services.settings.public_base_url, slug)


def _base(services: Services) -> str:
    return services.settings.public_base_url.rstrip("/")


# -- checking the credential ---------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def check_credential(credential: Mapping[str, Any], issuer_did: str) -> int:
    """``vc.data_model.check_unsigned_credential`` for a credential sent to be issued as ``issuer_did`` (a
    ``credentialStatus`` of the caller's accepted, see the module docstring): the data model version (1 or 2),
    or :class:`InvalidCredential` naming the first problem."""
    try:
        return data_model.check_unsigned_credential(credential, issuer_did, status_given=True)
    except IssuerMismatch as error:
        raise InvalidCredential(f"issuer must be {error.expected}, the DID this API key issues as, "
                                f"not {error.found!r}") from None
    except DataModelError as error:
        raise InvalidCredential(str(error)) from None


def _check_open_badge(credential: Mapping[str, Any]) -> None:
    """An Open Badge must follow the unmodified 1EdTech schema its type claims, as it will be issued (status
    entries in place, unsigned: the schema does not require a proof); :class:`InvalidCredential` listing the
    problems otherwise. Two status entries (revocation and suspension) are what that schema refuses most often:
    ask for one."""
    problems = schema.validate_issued(credential)
    if problems:
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InvalidCredential(f"this Open Badge does not follow the 1EdTech OB 3.0 JSON Schema, so conformant "
                                f"hosts would reject it: {shown}{more}", problems=[str(p) for p in problems])


def _with_context(credential: dict[str, Any], url: str) -> None:
    if url not in credential["@context"]:
        credential["@context"] = [*credential["@context"], url]


# -- status entries --------------------------------------------------------------------------------------
# The lists, the reserved bits, signing and re-signing are mcbadge.status's, the same as for awards.


def _named_list(session: Session, services: Services, caller: Caller, url: str) -> StatusList:
    """The caller's VC API list at ``url`` (``options.credentialStatus.statusListCredential``)."""
    try:
        address = status.address_of(_base(services), url)
        if isinstance(address, status.KeyedList):
            return status.keyed_list(session, address.key, issuer_id=caller.issuer_id)
    except (LookupError, VcApiStatusListNotFound):
        pass
    raise VcApiStatusListNotFound(f"no status list {url!r} on this service")


def _reserve(session: Session, services: Services, caller: Caller, row: IssuedCredential, credential_id: str,
             purpose: StatusPurpose, named_list: str | None) -> dict[str, Any]:
    """Reserve a random free index for ``purpose`` and return the credential's status entry."""
    exists = select(IssuedStatusEntry.entry_id).where(
        IssuedStatusEntry.issuer_id == caller.issuer_id, IssuedStatusEntry.credential_id == credential_id,
        IssuedStatusEntry.purpose == purpose)
    for _ in range(_MAX_ALLOCATION_ATTEMPTS):
        if session.scalar(exists) is not None:
            raise DuplicateCredentialId(
                f"credential {credential_id!r} already has a {purpose.value} status entry: use a new id")
        try:
            with session.begin_nested():
                if named_list is not None:
                    status_list = _named_list(session, services, caller, named_list)
                    if status_list.purpose is not purpose:
                        raise InvalidCredential(f"status list {named_list} is a {status_list.purpose.value} list")
                    allocation = status.allocate_in(session, status_list)
                else:
                    allocation = status.allocate(session, caller.issuer_id, purpose, keyed=True)
                session.add(IssuedStatusEntry(
                    entry_id=allocation.entry.id, issuer_id=caller.issuer_id, issued_id=row.id,
                    credential_id=credential_id, purpose=purpose))
                session.flush()
            return status.entry_for(_base(services), caller.issuer_slug, allocation.status_list, allocation.index)
        except IntegrityError:
            continue  # another issue took that index (or the same credential id): look again
    raise Conflict("could not reserve a status-list index; try again")


def create_status_list(session: Session, services: Services, caller: Caller,
                       body: CreateStatusListRequest) -> tuple[str, dict[str, Any]]:
    """A new, empty, signed list for one purpose: (its URL, the signed BitstringStatusListCredential)."""
    key: str | None = None
    if body.id is not None:
        prefix = status.keyed_list_url(_base(services), "")
        try:
            address = status.address_of(_base(services), body.id)
        except LookupError:
            address = None
        if not isinstance(address, status.KeyedList):
            raise Invalid(f"id must be {prefix}<key>, the key 1-64 letters, digits, '-' or '_'")
        key = address.key
    length = body.options.length or MIN_LENGTH
    try:
        with transaction(session):
            issuer = session.get_one(Issuer, caller.issuer_id)
            url, signed = status.create_keyed_list(
                session, issuer=issuer, purpose=StatusPurpose(body.statusPurpose), length=length, key=key,
                keystore=services.keystore, public_base_url=_base(services))
            audit(session, issuer_id=caller.issuer_id, actor_id=caller.actor_id, action="vcapi.status_list.created",
                  target=f"status-list:{url.rsplit('/', 1)[-1]}", purpose=body.statusPurpose, length=length)
    except IntegrityError:
        raise StatusListExists(f"a status list {body.id!r} exists already") from None
    return url, signed


# -- issue -----------------------------------------------------------------------------------------------


def issue(session: Session, services: Services, caller: Caller, body: IssueRequest) -> dict[str, Any]:
    """Sign ``body.credential`` as the caller's issuer; returns the VC API response body
    ``{"verifiableCredential": ...}`` (the signed credential, or an EnvelopedVerifiableCredential)."""
    did = _issuer_did(services, caller.issuer_slug)
    signer = services.keystore.load_or_create(caller.issuer_slug, did)
    credential = copy.deepcopy(body.credential)
    as_did_key = issuer_id(credential) == did_key_from_public(signer.public_key)
    if as_did_key:
        did = did_key_from_public(signer.public_key)
        signer = signer.bound(did)
    version = check_credential(credential, did)
    options = body.options
    fmt = FORMATS[options.format or "ldp"]
    statuses = [] if options.credentialStatus is None else _as_list(options.credentialStatus)
    purposes = [StatusPurpose(s.statusPurpose) for s in statuses]
    if len(set(purposes)) != len(purposes):
        raise InvalidCredential("options.credentialStatus asks for the same purpose twice")
    caller_status = "credentialStatus" in credential
    if caller_status and statuses:
        raise InvalidCredential("the credential has a credentialStatus and options.credentialStatus asks for "
                                "another: send one or the other")
    if as_did_key and statuses:
        raise InvalidCredential("a did:key issuer gets no status entry here (the issuer's status lists are "
                                "signed by its did:web, and verifiers trust only a list signed by the "
                                "credential's own issuer): issue as the did:web, or send your own credentialStatus")
    own_id = credential.get("id")
    if options.credentialId is not None and own_id is not None and options.credentialId != own_id:
        raise InvalidCredential("options.credentialId differs from credential.id: send one of them")
    credential_id = own_id if own_id is not None else options.credentialId
    if credential_id is not None and len(credential_id) > 512:
        raise InvalidCredential("the credential id is longer than 512 characters")
    if statuses and credential_id is None:
        raise InvalidCredential("a credential with a status entry needs an id (credential.id or "
                                "options.credentialId), so that POST /credentials/status can name it")

    now = datetime.now(timezone.utc).replace(microsecond=0)
    if version == 1:
        if "issuanceDate" not in credential:
            credential["issuanceDate"] = data_integrity.format_datetime(now)
        if fmt == "ldp":
            _with_context(credential, DATA_INTEGRITY_V2)  # DataIntegrityProof is not a VC 1.1 term
        if statuses:
            _with_context(credential, STATUS_V1)  # nor is BitstringStatusListEntry
    canon = services.contexts.canonicalizer_for(credential)
    # Safe mode before anything is reserved: undefined terms and types are refused here (422), for JWTs
    # too, whose payload is the same JSON-LD credential.
    canon.canonicalize(credential)

    with transaction(session):
        row = IssuedCredential(issuer_id=caller.issuer_id, credential_id=credential_id, issued_by=caller.actor_id,
                               format=fmt, issued_at=now)
        session.add(row)
        session.flush()
        # Status entries come with an id (checked above): without one there are none to reserve.
        entries = [
            _reserve(session, services, caller, row, credential_id, purpose, status.statusListCredential)
            for purpose, status in zip(purposes, statuses)
        ] if credential_id is not None else []
        if entries:
            credential["credentialStatus"] = entries[0] if len(entries) == 1 else entries
        _check_open_badge(credential)
        result: dict[str, Any]
        if fmt == "jwt":
            token = encode_vc_jwt(credential, signer, now=now)
            row.jwt, row.document = token, credential
            result = {"@context": [CREDENTIALS_V2], "id": _ENVELOPE_PREFIX + token,
                      "type": "EnvelopedVerifiableCredential"}
        else:
            result = sign_credential(credential, signer, created=now, canonicalizer=canon)
            if schema.applicable_schema(result) is not None:
                # The strict 1EdTech schema wants ``proof`` as an array; in JSON-LD one proof or a one-element
                # list mean the same, and the signature does not cover the proof itself.
                result["proof"] = [result["proof"]]
            row.document = result
        audit(session, issuer_id=caller.issuer_id, actor_id=caller.actor_id, action="vcapi.credential.issued",
              target=f"issued-credential:{row.id}", credential_id=credential_id, format=fmt,
              status=[p.value for p in purposes], caller_status=caller_status, issuer=did)
    return {"verifiableCredential": result}


# -- status changes -------------------------------------------------------------------------------------


def update_status(session: Session, services: Services, caller: Caller, body: UpdateStatusRequest) -> dict[str, Any]:
    """Set (``status: true``) or clear a credential's bit for a purpose; the list is re-signed at once."""
    purpose = StatusPurpose(body.credentialStatus.statusPurpose)
    with transaction(session):
        entry = session.scalars(
            select(IssuedStatusEntry).where(
                IssuedStatusEntry.issuer_id == caller.issuer_id,
                IssuedStatusEntry.credential_id == body.credentialId, IssuedStatusEntry.purpose == purpose)
            .with_for_update(of=IssuedStatusEntry)
        ).first()
        if entry is None:
            raise CredentialStatusNotFound(
                f"no credential {body.credentialId!r} with a {purpose.value} status entry at this issuer")
        index = entry.entry.status_index
        status_list = session.get_one(StatusList, entry.entry.status_list_id)
        described = status.entry_for(_base(services), caller.issuer_slug, status_list, index)
        target = body.credentialStatus
        for name in ("id", "statusListIndex", "statusListCredential"):
            given = getattr(target, name)
            if given is not None and given != described[name]:
                raise Invalid(f"credentialStatus.{name} {given!r} is not this credential's ({described[name]!r})")
        if purpose is StatusPurpose.REVOCATION and entry.revoked_at is not None and not body.status:
            raise RevocationIsPermanent(f"credential {body.credentialId!r} is revoked; revocation is permanent")
        changed = status.set_bit(session, issuer=session.get_one(Issuer, caller.issuer_id), list_id=status_list.id,
                                 index=index, value=body.status, keystore=services.keystore,
                                 public_base_url=_base(services))
        if changed:
            if purpose is StatusPurpose.REVOCATION and body.status:
                entry.revoked_at = datetime.now(timezone.utc)
            audit(session, issuer_id=caller.issuer_id, actor_id=caller.actor_id,
                  action=f"vcapi.credential.{purpose.value}.{'set' if body.status else 'cleared'}",
                  target=f"issued-credential:{entry.issued_id}", credential_id=body.credentialId)
    return {"credentialId": body.credentialId, "credentialStatus": described, "status": body.status}


# -- presentations --------------------------------------------------------------------------------------

_VCDM = "https://www.w3.org/TR/vc-data-model#"


def _problem(type_: str, title: str, detail: str) -> dict[str, str]:
    return {"type": type_, "title": title, "detail": detail}


def _credential_result(report: VerificationReport, given: Any) -> dict[str, Any]:
    """A VCALM VerifyCredentialResult from an mcbadge report (every failed check a problem detail)."""
    problems, _ = problem_details(report)  # the same problem details as POST /credentials/verify
    credential = report.credential if report.credential is not None else given
    results: dict[str, Any] = {}
    if isinstance(credential, Mapping):
        for name in ("validFrom", "validUntil", "issuanceDate", "expirationDate"):
            if name in credential:
                validity = report.check("validity")
                results[name] = {"verified": validity is not None and validity.outcome is not Outcome.FAILED,
                                 "input": credential[name]}
        status = report.check("status")
        if credential.get("credentialStatus") is not None:
            results["credentialStatus"] = [
                {"verified": status is not None and status.outcome is Outcome.PASSED, "input": entry}
                for entry in _as_list(credential["credentialStatus"])]
        proof = report.check("proof")
        results["proof"] = [
            {"verified": proof is not None and proof.outcome is Outcome.PASSED, "input": p}
            for p in _as_list(credential.get("proof")) if p is not None]
    return {"verified": report.verified, "credential": credential, "problemDetails": problems,
            "results": results, "checks": [c.to_dict() for c in report.checks]}


def _holder_key_resolver(resolver: DidResolver, holder: str | None):  # noqa: ANN202
    def resolve(vm: str, purpose: str) -> PublicKey:
        method = resolver.resolve_verification_method(vm)
        if purpose not in method.relationships:
            raise CredentialError(f"the key {vm} is not listed for {purpose} in its controller's DID document")
        if holder is not None and method.controller != holder:
            raise CredentialError(f"the key {vm} belongs to {method.controller}, not to the holder {holder}")
        if not isinstance(method.public_key, PublicKey):
            raise CredentialError(f"the key {vm} is not an Ed25519 key")
        return method.public_key

    return resolve


def verify_presentation(services: Services, body: VerifyPresentationRequest,
                        now: datetime | None = None) -> dict[str, Any]:
    """Verify a presentation and each credential in it; returns a VCALM VerifyPresentationResult.

    A signed presentation needs an ``eddsa-rdfc-2022`` proof with purpose ``authentication`` by a key that
    the holder's DID lists under ``authentication``; ``options.challenge`` and ``options.domain``, when given,
    must be the proof's. Blocking (canonicalization, DID resolution): call it from a worker thread.
    """
    if (body.verifiablePresentation is None) == (body.presentation is None):
        raise InvalidPresentation("send exactly one of verifiablePresentation or presentation")
    presentation = body.verifiablePresentation if body.verifiablePresentation is not None else body.presentation
    assert presentation is not None
    try:
        holder = data_model.check_presentation(presentation)
    except DataModelError as error:
        raise InvalidPresentation(str(error)) from None
    now = now or datetime.now(timezone.utc)
    options = body.options
    contexts = services.contexts
    problems: list[dict[str, str]] = []
    presentation_results: dict[str, Any] = {}
    signed = presentation.get("proof") is not None
    if body.presentation is not None and signed:
        raise InvalidPresentation("presentation is for an unsigned presentation: send a signed one as "
                                  "verifiablePresentation")
    if signed:
        checks = data_integrity.verify_proofs(
            presentation, _holder_key_resolver(services.resolver, holder), now=now,
            expected_purpose="authentication", expected_challenge=options.challenge,
            expected_domain=options.domain, canonicalizer=contexts.canonicalizer_for(presentation))
        presentation_results["proof"] = [
            {"verified": c.verified, "input": dict(c.proof),
             "problemDetails": [] if c.verified else [_problem(_VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR",
                                                               "proof check failed", c.reason)]}
            for c in checks]
        for c in checks:
            if not c.verified:
                problems.append(_problem(_VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR", "proof check failed", c.reason))
        proofs = [dict(c.proof) for c in checks]
        if options.challenge is not None:
            presentation_results["challenge"] = {
                "verified": bool(proofs) and all(p.get("challenge") == options.challenge for p in proofs),
                "input": options.challenge}
        if options.domain is not None:
            presentation_results["domain"] = {
                "verified": bool(proofs) and all(p.get("domain") == options.domain for p in proofs),
                "input": options.domain}
        if holder is not None:
            presentation_results["holder"] = {"verified": bool(checks) and all(c.verified for c in checks),
                                              "input": holder}
    elif options.challenge is not None or options.domain is not None:
        problems.append(_problem(_VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR", "presentation not signed",
                                 "a challenge or domain was given, but the presentation has no proof to carry them"))

    credential_results = []
    fetch_status = services.status_fetcher
    for credential in _as_list(presentation.get("verifiableCredential")) if presentation.get(
            "verifiableCredential") is not None else []:
        report = verify(credential, resolver=services.resolver, status_fetcher=fetch_status, now=now,
                        canonicalizer=contexts.canonicalizer_for(credential),
                        status_list_cache=services.status_list_cache)
        credential_results.append(_credential_result(report, credential))
    verified = not problems and all(r["verified"] for r in credential_results)
    result: dict[str, Any] = {
        "verified": verified,
        "problemDetails": problems,
        "results": {"presentation": presentation_results, "credentials": credential_results},
    }
    if not signed:
        result["warnings"] = [_problem("urn:mcbadge:problem:unsigned-presentation", "presentation not signed",
                                       "the presentation has no proof: who presented it is not verified")]
    if options.returnPresentation:
        result["verifiablePresentation"] = presentation
    return result
