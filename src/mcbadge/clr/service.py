"""CLR 2.0 transcripts: an issuer's signed ``ClrCredential`` of an educator's chosen credentials, and the
verification of any CLR, each credential in it checked in its own right.

Who may make one (the roles' existing reach): an educator, of their own credentials; an issuer admin, of an
educator of their organisation. Only credentials this issuer awarded that educator, signed with a Data
Integrity proof (a VC-JWT award has no JSON-LD form to embed), neither revoked nor suspended: the CLR is the
issuer vouching for them now. The CLR is not stored (its ``id`` is a ``urn:uuid``): it is a signed snapshot
handed to the caller, recorded in the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..credentials.service import CredentialNotFound, CredentialRevoked, signed_ldp
from ..db.models import Credential, Issuer, Person, Role
from ..db.session import transaction
from ..errors import Conflict, Forbidden, Invalid, TooLarge
from ..features import audit
from ..identity import issuer_did
from ..limits import check_credential
from ..principal import Principal
from ..services import Services
from ..vc.clr import MAX_CLR_CREDENTIALS, clr_document, embedded_credentials, is_clr
from ..vc.data_model import check_issued_credential
from ..vc.identity_hash import identity_object
from ..vc.json_values import as_list
from ..vc.verify import Outcome, VerificationReport
from ..verification.inputs import GivenCredential
from ..verification.reading import credential_summary
from ..verification.service import problem_details, verify_given

__all__ = ["ClrRequest", "NotAClr", "make_clr", "verify_clr"]


class UnknownEducator(Invalid):
    code = "unknown-educator"


class NotEmbeddable(Conflict):
    """A chosen credential cannot be vouched for in a CLR now (suspended, or a VC-JWT)."""

    code = "credential-not-embeddable"


class NotAClr(Invalid):
    code = "not-a-clr"


class TooManyCredentials(TooLarge):
    code = "too-many-credentials"


@dataclass(frozen=True)
class ClrRequest:
    credential_ids: Sequence[uuid.UUID]
    name: str
    description: str | None = None
    educator_id: uuid.UUID | None = None


def _educator(session: Session, principal: Principal, educator_id: uuid.UUID | None) -> Person:
    if principal.role is Role.EDUCATOR:
        if educator_id not in (None, principal.person_id):
            raise Forbidden("an educator makes a CLR of their own credentials only")
        return session.get_one(Person, principal.person_id)
    if principal.role is not Role.ADMIN:
        raise Forbidden("a CLR is made by the educator or by an admin of their issuer")
    if educator_id is None:
        raise UnknownEducator("an admin names the educator (educator_id) whose credentials the CLR holds")
    person = session.get(Person, educator_id)
    if person is None or person.issuer_id != principal.issuer_id or person.role is not Role.EDUCATOR:
        raise UnknownEducator(f"no educator {educator_id} at this issuer")
    return person


def make_clr(session: Session, services: Services, principal: Principal, request: ClrRequest) -> dict[str, Any]:
    """The signed ``ClrCredential`` of the chosen credentials, in the order given (duplicates once)."""
    ids = list(dict.fromkeys(request.credential_ids))
    if not ids:
        raise Invalid("choose at least one credential")
    if len(ids) > MAX_CLR_CREDENTIALS:
        raise TooManyCredentials(f"a CLR holds at most {MAX_CLR_CREDENTIALS} credentials")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    clr_id = f"urn:uuid:{uuid.uuid4()}"
    with transaction(session):
        educator = _educator(session, principal, request.educator_id)
        rows = {c.id: c for c in session.scalars(select(Credential).where(
            Credential.id.in_(ids), Credential.issuer_id == principal.issuer_id,
            Credential.educator_id == educator.id))}
        missing = [str(i) for i in ids if i not in rows]
        if missing:
            raise CredentialNotFound(f"no credential {', '.join(missing)} of this educator")
        for credential in rows.values():
            if credential.revoked_at is not None:
                raise CredentialRevoked(f"credential {credential.id} is revoked: a CLR vouches only for "
                                        "credentials in good standing")
            if credential.suspended:
                raise NotEmbeddable(f"credential {credential.id} is suspended")
            if credential.format != "ldp" or credential.document is None:
                raise NotEmbeddable(f"credential {credential.id} is a VC-JWT: only Data Integrity credentials "
                                    "are embedded in a CLR")
        documents = [rows[i].document for i in ids]
        issuer = session.get_one(Issuer, principal.issuer_id)
        first = documents[0]
        assert first is not None
        unsigned = clr_document(clr_id=clr_id, issuer=first["issuer"], name=request.name,
                                description=request.description, valid_from=now,
                                identifier=[identity_object(educator.email).to_json_ld()],
                                credentials=[d for d in documents if d is not None])
        signer = services.keystore.load_or_create(issuer.slug, issuer_did(services.public_base_url, issuer.slug))
        signed = signed_ldp(unsigned, signer, now=now)
        check_issued_credential(signed, issuer_did(services.public_base_url, issuer.slug))
        audit(session, issuer_id=issuer.id, actor_id=principal.person_id, action="clr.issued", target=clr_id,
              educator=str(educator.id), credentials=[str(i) for i in ids])
    return signed


def _revoked(report: VerificationReport) -> bool:
    status = report.check("status")
    return status is not None and status.outcome is Outcome.FAILED and status.details.get("purpose") == "revocation"


def _result(report: VerificationReport) -> dict[str, Any]:
    errors, warnings = problem_details(report)
    return {**report.to_dict(), "credential": credential_summary(report.credential), "problemDetails": errors,
            "warnings": warnings}


MAX_CLR_NESTING = 3
"""CLRs within CLRs a verification follows (a CLR is a credential, so a CLR may hold another one)."""


def _contents(document: Any, at: str, depth: int, budget: list[int]) -> list[tuple[Any, Any]]:
    """(credential, its own contents when it is a CLR, else None) for each credential ``document`` holds, each
    held to the limits of one credential; ``budget`` counts down the credentials all levels may hold together."""
    embedded = embedded_credentials(document)
    if not embedded:
        raise NotAClr("the CLR holds no credentials (credentialSubject.verifiableCredential)")
    budget[0] -= len(embedded)
    if budget[0] < 0:
        raise TooManyCredentials(f"a CLR holds at most {MAX_CLR_CREDENTIALS} credentials, those of CLRs in it "
                                 "included")
    contents: list[tuple[Any, Any]] = []
    for index, credential in enumerate(embedded):
        where = f"{at}/credentialSubject/verifiableCredential/{index}"
        if is_clr(credential):
            if depth >= MAX_CLR_NESTING:
                raise TooManyCredentials(f"CLRs are nested at most {MAX_CLR_NESTING} deep")
            contents.append((credential, _contents(credential, where, depth + 1, budget)))
        else:
            check_credential(credential, at=where)
            contents.append((credential, None))
    # The CLR without them is held to the limits of one credential too.
    envelope = {**document, "credentialSubject": [
        {k: v for k, v in s.items() if k != "verifiableCredential"} if isinstance(s, dict) else s
        for s in as_list(document.get("credentialSubject"))]}
    check_credential(envelope, at=at)
    return contents


def _verify_contents(services: Services, contents: list[tuple[Any, Any]], now: datetime,
                     label: str) -> list[dict[str, Any]]:
    results = []
    for index, (credential, inner) in enumerate(contents):
        source = "jwt" if isinstance(credential, str) else "json"
        name = f"{label}{index + 1}"
        _, report = verify_given(services, GivenCredential(credential, source, label=f"credential {name}"), now=now)
        credential_id = report.credential.get("id") if report.credential is not None else None
        result = {"index": index, "id": credential_id, "revoked": _revoked(report), **_result(report)}
        if inner is not None:
            # A CLR in the CLR: the credentials in it are checked in their own right too, else one revoked
            # since would pass unseen inside a CLR whose own signature holds.
            result["credentials"] = _verify_contents(services, inner, now, f"{name}.")
            result["verified"] = result["verified"] and all(r["verified"] for r in result["credentials"])
        results.append(result)
    return results


def _revoked_ids(results: list[dict[str, Any]]) -> list[Any]:
    return [i for r in results for i in ([r["id"]] if r["revoked"] else []) + _revoked_ids(r.get("credentials", []))]


def verify_clr(services: Services, document: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """The CLR verified, then each credential in it in its own right (those of a CLR in it too, listed in its
    entry's ``credentials``). ``verified`` only when all are; the ids of revoked credentials, at any depth, are
    listed in ``revoked``. Blocking: call it from a worker thread."""
    if not is_clr(document):
        raise NotAClr("not a ClrCredential: its type must include ClrCredential")
    contents = _contents(document, "", 1, [MAX_CLR_CREDENTIALS])
    now = now or datetime.now(timezone.utc)
    _, clr_report = verify_given(services, GivenCredential(document, "json", label="the CLR"), now=now)
    results = _verify_contents(services, contents, now, "")
    return {
        "verified": clr_report.verified and all(r["verified"] for r in results),
        "clr": _result(clr_report),
        "credentials": results,
        "revoked": _revoked_ids(results),
    }
