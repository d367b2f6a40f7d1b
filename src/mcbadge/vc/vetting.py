"""A state agency vets one exact micro-credential *definition version*: an OB 3.0 ``EndorsementCredential``.

What the endorsement says, and where:

* ``credentialSubject`` is an OB ``EndorsementSubject`` whose ``id`` is the endorsed Achievement's id (the
  micro-credential version, ``.../microcredentials/{key}/v{n}``), with the agency's ``endorsementComment``.
* The digest that binds the exact definition is ``definitionDigest`` on that subject: the same term, with
  the same meaning, as a recognition registry's entry (``vc.recognition.definition_digest``: sha2-256
  ``digestMultibase`` of the RDFC-1.0 form of the Achievement), from mcbadge's pinned recognition context;
  ``achievementIssuer`` names whose achievement it is. Why not VC 2.0 ``relatedResource``: its digest is
  of the resource one retrieves at the ``id`` (a page or JSON here, not the canonical N-Quads that are
  digested), and an ``application/n-quads`` related resource already means "a component credential" to
  ``vc.verify`` (designations). The triple ``<achievement> definitionDigest "…"`` says exactly what is meant.
* ``credentialStatus`` is one revocation entry, an object (the OB schema has room for one): the agency
  withdraws its vetting by setting that bit.
* ``proof`` is emitted as a one-element array (the same in JSON-LD as a lone object), so the document as
  served validates against the unmodified 1EdTech EndorsementCredential JSON Schema, whose strict variant
  wants an array.

An edit of a micro-credential publishes a new version with a new Achievement id and a new definition, so
an endorsement never carries over: the new version is not vetted until the agency endorses it.

Pure, like the rest of ``vc``: ``endorsement_credential`` builds the unsigned document (checked against the
schema), ``verify_endorsement`` verifies one against the definition it must bind.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .canon import Canonicalizer
from .contexts import CREDENTIALS_V2, OB_CONTEXT, RECOGNITION_V1
from .data_integrity import format_datetime, sign_credential
from .data_model import check_members, is_url
from .dids import DidResolver
from .errors import CredentialError
from .evidence import DigestFormatError, parse_digest_multibase
from .json_values import as_list, issuer_id
from .keys import Signer
from .schema import validate_endorsement_credential
from .verify import Outcome, StatusFetcher, VerificationReport, verify

__all__ = [
    "ENDORSEMENT_CREDENTIAL_TYPE",
    "ENDORSEMENT_SUBJECT_TYPE",
    "EndorsementError",
    "EndorsementVerification",
    "endorsement_credential",
    "sign_endorsement",
    "verify_endorsement",
]

ENDORSEMENT_CREDENTIAL_TYPE = "EndorsementCredential"
ENDORSEMENT_SUBJECT_TYPE = "EndorsementSubject"


class EndorsementError(CredentialError, ValueError):
    """An endorsement that must not be built: a missing or malformed member, or one the OB schema refuses."""


def endorsement_credential(
    *,
    id: str,
    agency: str,
    agency_name: str,
    achievement_id: str,
    achievement_issuer: str,
    definition_digest: str,
    name: str,
    comment: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    credential_status: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An UNSIGNED vetting endorsement; sign it with ``data_integrity.sign_credential`` (see the module
    docstring for the proof's form). ``agency`` is the state agency's DID, ``definition_digest`` the
    ``vc.recognition.definition_digest`` of the endorsed Achievement. Raises ``EndorsementError``."""
    for what, value in (("the endorsement's id", id), ("the agency's DID", agency),
                        ("the achievement id", achievement_id), ("the achievement's issuer", achievement_issuer)):
        if not is_url(value):
            raise EndorsementError(f"{what} must be a URL (a DID or an https URL), not {value!r}")
    try:
        parse_digest_multibase(definition_digest)
    except DigestFormatError as exc:
        raise EndorsementError(f"the definition digest is unreadable: {exc}") from None
    if not agency_name.strip() or not name.strip() or not comment.strip():
        raise EndorsementError("the agency's name, the endorsement's name and its comment must not be empty")
    if valid_until is not None and valid_until <= valid_from:
        raise EndorsementError("validUntil must be later than validFrom")
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OB_CONTEXT, RECOGNITION_V1],
        "id": id,
        "type": ["VerifiableCredential", ENDORSEMENT_CREDENTIAL_TYPE],
        "name": name,
        "issuer": {"id": agency, "type": ["Profile"], "name": agency_name},
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    credential["credentialSubject"] = {
        "id": achievement_id,
        "type": [ENDORSEMENT_SUBJECT_TYPE],
        "endorsementComment": comment,
        "achievementIssuer": achievement_issuer,
        "definitionDigest": definition_digest,
    }
    if credential_status is not None:
        credential["credentialStatus"] = dict(credential_status)
    check_members(credential)
    problems = validate_endorsement_credential(credential)
    if problems:
        raise EndorsementError("the endorsement does not follow the OB 3.0 EndorsementCredential schema: "
                               + "; ".join(str(p) for p in problems))
    return credential


def sign_endorsement(
    credential: Mapping[str, Any], signer: Signer, *, created: datetime | None = None,
    canonicalizer: Canonicalizer | None = None,
) -> dict[str, Any]:
    """``credential`` signed (eddsa-rdfc-2022), its one proof written as a one-element array: the same
    statement in JSON-LD, and the form the OB schema's strict JSON variant asks for."""
    signed = sign_credential(credential, signer, created=created, canonicalizer=canonicalizer)
    proof = signed["proof"]
    signed["proof"] = proof if isinstance(proof, list) else [proof]
    return signed


@dataclass(frozen=True)
class EndorsementVerification:
    """One endorsement as verified: who vetted which definition, whether it holds, and why not."""

    verified: bool
    problems: tuple[str, ...]
    agency: str | None
    agency_name: str | None
    achievement_id: str | None
    definition_digest: str | None
    report: VerificationReport


def _digests_equal(recorded: Any, expected: str) -> bool:
    # Compare the decoded multihashes: one digest can be spelled in base64url or base58btc.
    try:
        recorded_alg, recorded_raw = parse_digest_multibase(recorded)
        expected_alg, expected_raw = parse_digest_multibase(expected)
    except DigestFormatError:
        return False
    return recorded_alg == expected_alg and hmac.compare_digest(recorded_raw, expected_raw)


def verify_endorsement(
    document: Any,
    *,
    resolver: DidResolver,
    now: datetime,
    status_fetcher: StatusFetcher | None,
    achievement_id: str,
    definition_digest: str,
    expected_agency: str | None = None,
    canonicalizer: Canonicalizer | None = None,
    status_list_cache: MutableMapping[bytes, bool] | None = None,
) -> EndorsementVerification:
    """Whether ``document`` is a vetting endorsement that holds today for the definition ``definition_digest``
    of ``achievement_id`` (and, when given, by ``expected_agency``).

    It holds when ``verify`` passes it (context, OB schema, signature by a key the issuer lists, validity)
    with its status *checked* and clear (a withdrawal that cannot be ruled out is not ruled out), it is an
    EndorsementCredential about that Achievement, and the digest it binds is the definition's. Never raises
    for a bad document. ``status_list_cache`` as for ``verify``.
    """
    report = verify(document, resolver=resolver, now=now, status_fetcher=status_fetcher, canonicalizer=canonicalizer,
                    status_list_cache=status_list_cache)
    credential = report.credential or {}
    problems = [f"{c.code}: {c.message}" for c in report.failed()]
    status = report.check("status")
    if status is None or status.outcome is Outcome.NOT_CHECKED:
        problems.append("status: its withdrawal could not be ruled out"
                        + (f" ({status.message})" if status is not None else ""))
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    subject = subjects[0] if len(subjects) == 1 else None
    if ENDORSEMENT_CREDENTIAL_TYPE not in as_list(credential.get("type")) or subject is None or (
        ENDORSEMENT_SUBJECT_TYPE not in as_list(subject.get("type"))
    ):
        problems.append("it is not an endorsement of one subject")
        subject = subject or {}
    if subject.get("id") != achievement_id:
        problems.append(f"it endorses {subject.get('id')!r}, not {achievement_id}")
    recorded = subject.get("definitionDigest")
    if not _digests_equal(recorded, definition_digest):
        problems.append("the definition it vetted is not this one: its digest differs")
    issuer = issuer_id(credential)
    if expected_agency is not None and issuer != expected_agency:
        problems.append(f"it is signed by {issuer}, not by {expected_agency}")
    issuer_value = credential.get("issuer")
    name = issuer_value.get("name") if isinstance(issuer_value, Mapping) else None
    return EndorsementVerification(
        verified=report.verified and not problems, problems=tuple(problems), agency=issuer,
        agency_name=name if isinstance(name, str) and name.strip() else None,
        achievement_id=subject.get("id") if isinstance(subject.get("id"), str) else None,
        definition_digest=recorded if isinstance(recorded, str) else None, report=report)
