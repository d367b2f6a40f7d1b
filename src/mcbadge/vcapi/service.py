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

Status lists are the VC API's own (``mcbadge.db.vcapi_models`` says why), served at ``/status-lists/{key}``,
re-signed eagerly on a bit change, lazily when behind, like the issuer lists of ``mcbadge.status``.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.models import Issuer, StatusPurpose, utcnow
from ..db.session import transaction
from ..db.vcapi_models import IssuedCredential, VcApiStatusEntry, VcApiStatusList
from ..errors import Conflict, Invalid, NotFound
from ..features import audit
from ..identity import issuer_did
from ..services import Services
from ..vc import data_integrity
from ..vc.contexts import CREDENTIALS_V1, CREDENTIALS_V2, DATA_INTEGRITY_V2
from ..vc.data_integrity import parse_datetime, sign_credential
from ..vc.dids import DidResolver
from ..vc.errors import CredentialError, StatusListError
from ..vc.jwt import encode_vc_jwt
from ..vc.keys import PublicKey
from ..vc.status_list import (
    MIN_LENGTH,
    BitstringStatusList,
    allocate_index,
    status_entry,
    status_list_credential,
)
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
    "signed_status_list",
    "status_fetcher",
    "update_status",
    "verify_presentation",
]

STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"
DEFAULT_TTL_MS = 300_000
_MAX_ALLOCATION_ATTEMPTS = 10
_LIST_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ENVELOPE_PREFIX = "data:application/vc+jwt,"


# -- errors --------------------------------------------------------------------------------------------


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


class VcApiStatusListNotFound(NotFound):
    """No VC API status list with this id (at the caller's issuer, for writes)."""

    code = "status-list-not-found"


class StatusListFull(Conflict):
    """The status list named in ``options.credentialStatus`` has no free index left."""

    code = "status-list-full"


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


def list_url(public_base_url: str, key: str) -> str:
    """Where the VC API status list ``key`` is published (its credential's id)."""
    return f"{public_base_url.rstrip('/')}/status-lists/{key}"


# -- checking the credential ---------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


# A URL as the VC data model uses the word: a scheme, then no whitespace (``did:…``, ``urn:…``, ``https://…``).
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")

# VC 2.0 §4.5 Types: the objects of these properties MUST have a type (credentialStatus is refused outright).
_TYPED_MEMBERS = ("credentialSchema", "evidence", "refreshService", "termsOfUse")


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and bool(_URL_RE.match(value))


def _has_type(item: Mapping[str, Any]) -> bool:
    kinds = item.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return bool(kinds) and all(_non_empty_str(k) for k in kinds)


def _check_members(credential: Mapping[str, Any]) -> None:
    """VC 2.0 §4.5 (typed objects), §4.11 (a data schema's id is a URL) and §5.3 (related resources): an
    issuer must not sign what a verifier has to refuse."""
    for name in _TYPED_MEMBERS:
        if name not in credential:
            continue
        value = credential[name]
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(i, dict) and _has_type(i) for i in items):
            raise InvalidCredential(f"each {name} must be an object with a type")
        if name == "credentialSchema" and not all(_is_url(i.get("id")) for i in items):
            raise InvalidCredential("each credentialSchema must have an id that is a URL")
    if "relatedResource" in credential:
        value = credential["relatedResource"]
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(i, dict) for i in items):
            raise InvalidCredential("relatedResource must be one or more objects")
        ids = [i.get("id") for i in items]
        if not all(_is_url(i) for i in ids):
            raise InvalidCredential("each relatedResource must have an id that is a URL")
        if len(set(ids)) != len(ids):
            raise InvalidCredential("each relatedResource id must be unique")
        if not all(_non_empty_str(i.get("digestSRI")) or _non_empty_str(i.get("digestMultibase")) for i in items):
            raise InvalidCredential("each relatedResource must have a digestSRI or a digestMultibase")


def check_credential(credential: Mapping[str, Any], issuer_did: str) -> int:
    """Check the members every credential must have, before anything is reserved or signed; returns the
    data model version (1 or 2). Raises :class:`InvalidCredential` naming the first problem.

    Terms and types are checked later, by the canonicalizer (safe mode): together this refuses anything
    the signature would not cover.
    """
    contexts = credential.get("@context")
    if contexts is None:
        raise InvalidCredential("the credential has no @context")
    if not isinstance(contexts, list) or not contexts:
        raise InvalidCredential("@context must be a non-empty array")
    for item in contexts:
        if not (_non_empty_str(item) or (isinstance(item, dict) and item)):
            raise InvalidCredential("each @context item must be a URL (string) or a context object")
    if contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
        raise InvalidCredential(f"the first @context must be {CREDENTIALS_V2} (or {CREDENTIALS_V1} for VC 1.1)")
    version = 2 if contexts[0] == CREDENTIALS_V2 else 1

    types = credential.get("type")
    if types is None:
        raise InvalidCredential("the credential has no type")
    if not isinstance(types, list) or not types or not all(_non_empty_str(t) for t in types):
        raise InvalidCredential("type must be a non-empty array of strings")
    if "VerifiableCredential" not in types:
        raise InvalidCredential("type must include VerifiableCredential")

    if "id" in credential and not _non_empty_str(credential["id"]):
        raise InvalidCredential("id, when present, must be one URL (a string)")

    issuer = credential.get("issuer")
    if issuer is None:
        raise InvalidCredential("the credential has no issuer")
    if isinstance(issuer, dict):
        issuer_id = issuer.get("id")
        if not _non_empty_str(issuer_id):
            raise InvalidCredential("an issuer object must have an id (a URL)")
    elif _non_empty_str(issuer):
        issuer_id = issuer
    else:
        raise InvalidCredential("issuer must be a URL (string) or an object with an id")
    if issuer_id != issuer_did:
        raise InvalidCredential(f"issuer must be {issuer_did}, the DID this API key issues as, not {issuer_id!r}")

    subject = credential.get("credentialSubject")
    if subject is None:
        raise InvalidCredential("the credential has no credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if not subjects or not all(isinstance(s, dict) and s for s in subjects):
        raise InvalidCredential("credentialSubject must be an object with at least one claim (or an array of them)")

    if "proof" in credential:
        raise InvalidCredential("the credential already has a proof: send it unsigned")
    if "credentialStatus" in credential:
        raise InvalidCredential("send no credentialStatus: ask for one with options.credentialStatus")
    _check_members(credential)

    start, end = ("validFrom", "validUntil") if version == 2 else ("issuanceDate", "expirationDate")
    parsed: dict[str, datetime] = {}
    for name in (start, end):
        if name in credential:
            value = parse_datetime(credential[name])
            if value is None:
                raise InvalidCredential(f"{name} must be an XML Schema dateTime with a time zone, "
                                        f"not {credential[name]!r}")
            parsed[name] = value
    if start in parsed and end in parsed and parsed[end] < parsed[start]:
        raise InvalidCredential(f"{end} is before {start}")
    return version


def _with_context(credential: dict[str, Any], url: str) -> None:
    if url not in credential["@context"]:
        credential["@context"] = [*credential["@context"], url]


# -- status lists ----------------------------------------------------------------------------------------


def _open_list(session: Session, issuer_id: uuid.UUID, purpose: StatusPurpose, length: int,
               key: str | None = None) -> VcApiStatusList:
    status_list = VcApiStatusList(
        key=key or uuid.uuid4().hex, issuer_id=issuer_id, purpose=purpose, length=length, allocated=0,
        bits=bytes(length // 8), revision=1, signed=None, signed_revision=0,
    )
    session.add(status_list)
    session.flush()
    return status_list


def _list_by_url(session: Session, services: Services, url: str, issuer_id: uuid.UUID | None) -> VcApiStatusList:
    prefix = list_url(_base(services), "")
    key = url[len(prefix):] if url.startswith(prefix) else ""
    query = select(VcApiStatusList).where(VcApiStatusList.key == key)
    if issuer_id is not None:
        query = query.where(VcApiStatusList.issuer_id == issuer_id)
    found = session.scalars(query).first() if _LIST_KEY.match(key) else None
    if found is None:
        raise VcApiStatusListNotFound(f"no status list {url!r} on this service")
    return found


def _list_with_room(session: Session, issuer_id: uuid.UUID, purpose: StatusPurpose) -> VcApiStatusList:
    current = session.scalars(
        select(VcApiStatusList)
        .where(VcApiStatusList.issuer_id == issuer_id, VcApiStatusList.purpose == purpose,
               VcApiStatusList.allocated < VcApiStatusList.length)
        .order_by(VcApiStatusList.created_at.desc(), VcApiStatusList.id)
        .limit(1)
    ).first()
    return current or _open_list(session, issuer_id, purpose, MIN_LENGTH)


def _allocate(session: Session, status_list: VcApiStatusList) -> int:
    list_id = status_list.id

    def used(index: int) -> bool:
        return session.scalar(select(VcApiStatusEntry.id).where(
            VcApiStatusEntry.status_list_id == list_id, VcApiStatusEntry.status_index == index)) is not None

    index = allocate_index(used, status_list.length)  # StatusListError when full
    session.execute(
        update(VcApiStatusList).where(VcApiStatusList.id == list_id)
        .values(allocated=VcApiStatusList.allocated + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.expire(status_list, ["allocated", "updated_at"])
    return index


def _reserve(session: Session, services: Services, caller: Caller, row: IssuedCredential, credential_id: str,
             purpose: StatusPurpose, named_list: str | None) -> dict[str, Any]:
    """Reserve a random free index for ``purpose`` and return the credential's status entry."""
    exists = select(VcApiStatusEntry.id).where(
        VcApiStatusEntry.issuer_id == caller.issuer_id, VcApiStatusEntry.credential_id == credential_id,
        VcApiStatusEntry.purpose == purpose)
    for _ in range(_MAX_ALLOCATION_ATTEMPTS):
        if session.scalar(exists) is not None:
            raise DuplicateCredentialId(
                f"credential {credential_id!r} already has a {purpose.value} status entry: use a new id")
        try:
            with session.begin_nested():
                if named_list is not None:
                    status_list = _list_by_url(session, services, named_list, caller.issuer_id)
                    if status_list.purpose is not purpose:
                        raise InvalidCredential(f"status list {named_list} is a {status_list.purpose.value} list")
                    try:
                        index = _allocate(session, status_list)
                    except StatusListError:
                        raise StatusListFull(f"status list {named_list} is full") from None
                else:
                    status_list = _list_with_room(session, caller.issuer_id, purpose)
                    try:
                        index = _allocate(session, status_list)
                    except StatusListError:  # the counter lagged behind the rows: open the next list
                        status_list.allocated = status_list.length
                        status_list = _open_list(session, caller.issuer_id, purpose, MIN_LENGTH)
                        index = _allocate(session, status_list)
                session.add(VcApiStatusEntry(
                    issuer_id=caller.issuer_id, issued_id=row.id, credential_id=credential_id, purpose=purpose,
                    status_list_id=status_list.id, status_index=index))
                session.flush()
            return status_entry(list_credential_url=list_url(_base(services), status_list.key), index=index,
                                purpose=purpose.value)
        except IntegrityError:
            continue  # another issue took that index (or the same credential id): look again
    raise Conflict("could not reserve a status-list index; try again")


def _sign_list(status_list: VcApiStatusList, issuer: Issuer, services: Services) -> None:
    did = _issuer_did(services, issuer.slug)
    min_length = min(MIN_LENGTH, status_list.length)
    bits = BitstringStatusList.from_bytes(status_list.bits, min_length=min_length)
    now = datetime.now(timezone.utc)
    unsigned = status_list_credential(
        id=list_url(_base(services), status_list.key), issuer=did, status_purpose=status_list.purpose.value,
        encoded_list=bits.encode(), valid_from=now, ttl=DEFAULT_TTL_MS, min_length=min_length)
    status_list.signed = sign_credential(unsigned, services.keystore.load_or_create(issuer.slug, did), created=now)
    status_list.signed_revision = status_list.revision
    status_list.updated_at = now


def create_status_list(session: Session, services: Services, caller: Caller,
                       body: CreateStatusListRequest) -> tuple[str, dict[str, Any]]:
    """A new, empty, signed list for one purpose: (its URL, the signed BitstringStatusListCredential)."""
    key: str | None = None
    if body.id is not None:
        prefix = list_url(_base(services), "")
        key = body.id[len(prefix):] if body.id.startswith(prefix) else None
        if key is None or not _LIST_KEY.match(key):
            raise Invalid(f"id must be {prefix}<key>, the key 1-64 letters, digits, '-' or '_'")
    length = body.options.length or MIN_LENGTH
    try:
        with transaction(session):
            issuer = session.get_one(Issuer, caller.issuer_id)
            status_list = _open_list(session, caller.issuer_id, StatusPurpose(body.statusPurpose), length, key)
            _sign_list(status_list, issuer, services)
            audit(session, issuer_id=caller.issuer_id, actor_id=caller.actor_id, action="vcapi.status_list.created",
                  target=f"status-list:{status_list.key}", purpose=body.statusPurpose, length=length)
            signed = status_list.signed
    except IntegrityError:
        raise Conflict(f"a status list {body.id!r} exists already") from None
    assert signed is not None
    return list_url(_base(services), status_list.key), signed


def signed_status_list(session: Session, services: Services, key: str) -> dict[str, Any]:
    """The signed list ``key``, signing it first only if it is behind (``VcApiStatusListNotFound``)."""
    if not _LIST_KEY.match(key):
        raise VcApiStatusListNotFound(f"no status list {key!r}")
    with transaction(session):
        found = session.scalars(select(VcApiStatusList).where(VcApiStatusList.key == key)).first()
        if found is None:
            raise VcApiStatusListNotFound(f"no status list {key!r}")
        if found.signed is not None and found.signed_revision >= found.revision:
            return found.signed
    with transaction(session):
        status_list = session.scalars(
            select(VcApiStatusList).where(VcApiStatusList.id == found.id).with_for_update()
            .execution_options(populate_existing=True)).one()
        if status_list.signed is None or status_list.signed_revision < status_list.revision:
            _sign_list(status_list, session.get_one(Issuer, status_list.issuer_id), services)
        signed = status_list.signed
    assert signed is not None
    return signed


def status_fetcher(services: Services) -> Callable[[str], Any]:
    """A status-list fetcher for ``mcbadge.vc.verify``: this service's VC API lists (``/status-lists/{key}``)
    read from the database, every other list through ``services.status_fetcher`` (own issuer lists from the
    database, remote ones through the guarded client)."""
    prefix = list_url(_base(services), "")
    fallback = services.status_fetcher

    def fetch(url: str) -> Any:
        if url.startswith(prefix):
            with services.sessions() as session:
                return signed_status_list(session, services, url[len(prefix):])
        if fallback is None:  # pragma: no cover - Services always builds one
            raise LookupError("no status fetcher")
        return fallback(url)

    return fetch


# -- issue -----------------------------------------------------------------------------------------------


def issue(session: Session, services: Services, caller: Caller, body: IssueRequest) -> dict[str, Any]:
    """Sign ``body.credential`` as the caller's issuer; returns the VC API response body
    ``{"verifiableCredential": ...}`` (the signed credential, or an EnvelopedVerifiableCredential)."""
    did = _issuer_did(services, caller.issuer_slug)
    credential = copy.deepcopy(body.credential)
    version = check_credential(credential, did)
    options = body.options
    fmt = FORMATS[options.format or "ldp"]
    statuses = [] if options.credentialStatus is None else _as_list(options.credentialStatus)
    purposes = [StatusPurpose(s.statusPurpose) for s in statuses]
    if len(set(purposes)) != len(purposes):
        raise InvalidCredential("options.credentialStatus asks for the same purpose twice")
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
        entries = [
            _reserve(session, services, caller, row, credential_id, purpose, status.statusListCredential)
            for purpose, status in zip(purposes, statuses)
        ]
        if entries:
            credential["credentialStatus"] = entries[0] if len(entries) == 1 else entries
        signer = services.keystore.load_or_create(caller.issuer_slug, did)
        result: dict[str, Any]
        if fmt == "jwt":
            token = encode_vc_jwt(credential, signer, now=now)
            row.jwt, row.document = token, credential
            result = {"@context": [CREDENTIALS_V2], "id": _ENVELOPE_PREFIX + token,
                      "type": "EnvelopedVerifiableCredential"}
        else:
            result = sign_credential(credential, signer, created=now, canonicalizer=canon)
            row.document = result
        audit(session, issuer_id=caller.issuer_id, actor_id=caller.actor_id, action="vcapi.credential.issued",
              target=f"issued-credential:{row.id}", credential_id=credential_id, format=fmt,
              status=[p.value for p in purposes])
    return {"verifiableCredential": result}


# -- status changes -------------------------------------------------------------------------------------


def update_status(session: Session, services: Services, caller: Caller, body: UpdateStatusRequest) -> dict[str, Any]:
    """Set (``status: true``) or clear a credential's bit for a purpose; the list is re-signed at once."""
    purpose = StatusPurpose(body.credentialStatus.statusPurpose)
    with transaction(session):
        entry = session.scalars(
            select(VcApiStatusEntry).where(
                VcApiStatusEntry.issuer_id == caller.issuer_id, VcApiStatusEntry.credential_id == body.credentialId,
                VcApiStatusEntry.purpose == purpose)
            .with_for_update()
        ).first()
        if entry is None:
            raise CredentialStatusNotFound(
                f"no credential {body.credentialId!r} with a {purpose.value} status entry at this issuer")
        status_list = session.scalars(
            select(VcApiStatusList).where(VcApiStatusList.id == entry.status_list_id).with_for_update()
            .execution_options(populate_existing=True)).one()
        url = list_url(_base(services), status_list.key)
        described = status_entry(list_credential_url=url, index=entry.status_index, purpose=purpose.value)
        target = body.credentialStatus
        for name in ("id", "statusListIndex", "statusListCredential"):
            given = getattr(target, name)
            if given is not None and given != described[name]:
                raise Invalid(f"credentialStatus.{name} {given!r} is not this credential's ({described[name]!r})")
        if purpose is StatusPurpose.REVOCATION and entry.revoked_at is not None and not body.status:
            raise RevocationIsPermanent(f"credential {body.credentialId!r} is revoked; revocation is permanent")
        bits = BitstringStatusList.from_bytes(status_list.bits, min_length=min(MIN_LENGTH, status_list.length))
        if bits.get(entry.status_index) != body.status:
            bits.set(entry.status_index, body.status)
            status_list.bits = bits.to_bytes()
            status_list.revision = status_list.revision + 1
            _sign_list(status_list, session.get_one(Issuer, caller.issuer_id), services)
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


def _holder_id(presentation: Mapping[str, Any]) -> str | None:
    holder = presentation.get("holder")
    if holder is None:
        return None
    if _non_empty_str(holder):
        return holder
    if isinstance(holder, dict) and _non_empty_str(holder.get("id")):
        return holder["id"]
    raise InvalidPresentation("holder must be a URL (string) or an object with an id")


def _check_presentation(presentation: Mapping[str, Any]) -> None:
    contexts = presentation.get("@context")
    if not isinstance(contexts, list) or not contexts:
        raise InvalidPresentation("@context must be a non-empty array")
    if contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
        raise InvalidPresentation(f"the first @context must be {CREDENTIALS_V2} (or {CREDENTIALS_V1})")
    if not all(_non_empty_str(c) or (isinstance(c, dict) and c) for c in contexts):
        raise InvalidPresentation("each @context item must be a URL (string) or a context object")
    types = presentation.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or "VerifiablePresentation" not in types:
        raise InvalidPresentation("type must include VerifiablePresentation")
    if "EnvelopedVerifiablePresentation" in types:
        raise InvalidPresentation("enveloped presentations (VP-JWT) are not supported; send a Data Integrity one")
    credentials = presentation.get("verifiableCredential")
    if credentials is not None and not all(isinstance(c, dict) for c in _as_list(credentials)):
        raise InvalidPresentation("verifiableCredential must be credential objects (or enveloped credentials)")


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
    _check_presentation(presentation)
    holder = _holder_id(presentation)
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
    fetch_status = status_fetcher(services)
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
