"""Assessor qualifications: the credential an issuer gives an assessor who passed calibration, and how an
award points at the qualification of whoever scored it.

The qualification is an OB 3.0 ``AchievementCredential`` of the assessor's own:

* the Achievement "Qualified assessor of <micro-credential>" (``achievementType`` ``ext:AssessorQualification``),
  aligned (``alignment``, ``targetType`` ``ceterms:Credential``) to the micro-credential *key*
  (``.../microcredentials/{key}``, every version of it: an assessor is qualified for the micro-credential, as
  trainings are), with two Percent ``resultDescription``\\ s for the calibration figures;
* the subject is named by a **pseudonym** (:func:`assessor_pseudonym`: HMAC-SHA256 of the person's id under a
  secret of the issuer, stable per issuer and assessor, not reversible without that secret) as an
  ``IdentityObject`` of type ``ext:AssessorPseudonym``, and by name only if the assessor opted in;
* ``validFrom``/``validUntil`` are the period the issuer sets (its re-calibration schedule), and
  ``credentialStatus`` is ONE revocation entry, an object, so the signed document validates against the
  unmodified 1EdTech schema.

An award references each scorer's qualification in two standard places that belong together, as evidence
files and designation components already do in this project:

* an OB ``Evidence`` item of genre ``Assessment`` whose ``id`` is the qualification's id, whose ``name`` and
  ``description`` say (for people) that the pseudonymous assessor scored the work, qualified by the issuer; and
* a VC 2.0 ``relatedResource`` with the same ``id`` and the ``digestMultibase`` of the qualification as it
  is served: its RFC 8785 (JCS) canonical JSON, ``mediaType`` ``application/ld+json``
  (:data:`QUALIFICATION_MEDIA_TYPE`). The issuer serves exactly those bytes at the id, so any VC 2.0
  verifier can check the digest of what it fetched, and a copy re-serialised elsewhere canonicalises back.
  Not the RDFC form designation components use: ``application/n-quads`` already means "a component" to
  ``vc.verify``, and a qualification must never be read as one (a later revocation of a component fails a
  designation; of a qualification, it is a warning).

No private JSON-LD context is involved: an award stays readable by any OB 3.0 wallet or verifier.

Pure, like the rest of ``vc``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785

from .errors import CredentialError
from .evidence import digest_multibase
from .json_values import as_list
from .models import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Alignment,
    BitstringStatusListEntry,
    Criteria,
    IdentityObject,
    Profile,
    Result,
    ResultDescription,
)
from .schema import validate_achievement_credential

__all__ = [
    "ASSESSMENT_GENRE",
    "PSEUDONYM_IDENTITY_TYPE",
    "QUALIFICATION_ACHIEVEMENT_TYPE",
    "QUALIFICATION_MEDIA_TYPE",
    "QualificationError",
    "QualificationFetcher",
    "QualificationRecord",
    "QualificationReference",
    "assessor_pseudonym",
    "microcredential_key_url",
    "qualification_achievement_id",
    "qualification_bytes",
    "qualification_credential",
    "qualification_digest",
    "qualification_references",
    "qualification_subject",
]

QUALIFICATION_ACHIEVEMENT_TYPE = "ext:AssessorQualification"
PSEUDONYM_IDENTITY_TYPE = "ext:AssessorPseudonym"
QUALIFICATION_MEDIA_TYPE = "application/ld+json"
ASSESSMENT_GENRE = "Assessment"

_VERSION_SUFFIX = re.compile(r"^(?P<key_url>.+)/v[0-9]+$")


class QualificationError(CredentialError, ValueError):
    """A qualification that must not be built: a missing member, or one the OB schema refuses."""


def assessor_pseudonym(secret: bytes, person_id: str) -> str:
    """The assessor's pseudonym at one issuer: HMAC-SHA256 of the person id under the issuer's ``secret``,
    128 bits in lower-case base32 (26 characters). Stable for the pair; without the secret, neither
    reversible nor linkable to the same person at another issuer."""
    if len(secret) < 16:
        raise QualificationError("the pseudonym secret must be at least 16 bytes")
    mac = hmac.new(secret, person_id.encode("utf-8"), hashlib.sha256).digest()[:16]
    return base64.b32encode(mac).decode("ascii").rstrip("=").lower()


def microcredential_key_url(achievement_id: str) -> str | None:
    """The micro-credential (every version) a version's Achievement id belongs to: ``.../{key}/v3`` ->
    ``.../{key}``; None for an id that names no version."""
    match = _VERSION_SUFFIX.match(achievement_id)
    return match["key_url"] if match else None


def qualification_achievement_id(key_url: str) -> str:
    """The id of the Achievement "Qualified assessor of" the micro-credential at ``key_url``."""
    return f"{key_url}/assessor-qualification"


def qualification_bytes(document: Mapping[str, Any]) -> bytes:
    """The qualification as served and digested: RFC 8785 canonical JSON (UTF-8)."""
    # rfc8785 (Trail of Bits) implements JCS exactly, number formatting and key order included; json.dumps
    # with sorted keys is not JCS (it sorts by code point, escapes differently, formats floats its own way).
    return rfc8785.dumps(dict(document))


def qualification_digest(document: Mapping[str, Any]) -> str:
    """The ``digestMultibase`` (sha2-256) an award records for a qualification: of :func:`qualification_bytes`."""
    return digest_multibase(qualification_bytes(document))


def qualification_credential(
    *,
    id: str,
    issuer: str,
    issuer_name: str,
    key_url: str,
    microcredential_title: str,
    pseudonym: str,
    assessor_name: str | None,
    valid_from: datetime,
    valid_until: datetime,
    exact_percent: int,
    adjacent_percent: int,
    criteria: str,
    credential_status: Mapping[str, Any],
) -> dict[str, Any]:
    """An UNSIGNED assessor qualification (see the module docstring); sign it with
    ``data_integrity.sign_credential``. ``exact_percent``/``adjacent_percent`` are the calibration figures it
    was awarded on, ``criteria`` the issuer's rule in words. Raises ``QualificationError``."""
    achievement_id = qualification_achievement_id(key_url)
    title = f"Qualified assessor of \u201c{microcredential_title}\u201d"
    identifiers = [IdentityObject(identityHash=pseudonym, identityType=PSEUDONYM_IDENTITY_TYPE, hashed=False)]
    if assessor_name:
        identifiers.append(IdentityObject(identityHash=assessor_name, identityType="name", hashed=False))
    try:
        credential = AchievementCredential(
            id=id,
            name=title,
            description=(f"{issuer_name} qualified this assessor to score submissions of the micro-credential "
                         f"\u201c{microcredential_title}\u201d (every version) after training and calibration "
                         "against its master scores."),
            issuer=Profile(id=issuer, name=issuer_name),
            validFrom=valid_from,
            validUntil=valid_until,
            credentialSubject=AchievementSubject(
                identifier=identifiers,
                achievement=Achievement(
                    id=achievement_id,
                    name=title,
                    description=(f"Scores submissions of \u201c{microcredential_title}\u201d against its rubric "
                                 "consistently with the issuer's master scores."),
                    criteria=Criteria(narrative=criteria),
                    achievementType=QUALIFICATION_ACHIEVEMENT_TYPE,
                    alignment=[Alignment(targetName=microcredential_title, targetUrl=key_url,
                                         targetType="ceterms:Credential")],
                    resultDescription=[
                        ResultDescription(id=f"{achievement_id}#exact-agreement", resultType="Percent",
                                          name="Exact agreement with the master scores (per criterion)"),
                        ResultDescription(id=f"{achievement_id}#adjacent-agreement", resultType="Percent",
                                          name="Agreement within one rubric level of the master scores"),
                    ],
                ),
                result=[
                    Result(resultDescription=f"{achievement_id}#exact-agreement", value=str(exact_percent)),
                    Result(resultDescription=f"{achievement_id}#adjacent-agreement", value=str(adjacent_percent)),
                ],
            ),
            credentialStatus=BitstringStatusListEntry.model_validate(dict(credential_status)),
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise QualificationError(f"the qualification cannot be built: {exc}") from None
    document = credential.to_json_ld()
    problems = validate_achievement_credential(document)
    if problems:
        raise QualificationError("the qualification does not follow the OB 3.0 schema: "
                                 + "; ".join(str(p) for p in problems))
    return document


@dataclass(frozen=True)
class QualificationReference:
    """One qualification an award names: its id and the digest the award recorded for it."""

    id: str
    digest: str


def qualification_references(credential: Mapping[str, Any]) -> list[QualificationReference]:
    """The qualifications ``credential`` references: each ``Evidence`` item of genre ``Assessment`` with an id
    that a ``relatedResource`` of :data:`QUALIFICATION_MEDIA_TYPE` binds by digest (see the module docstring).
    An award without them (older ones, or one scored without a qualification) gives an empty list."""
    digests: dict[str, str] = {}
    for related in as_list(credential.get("relatedResource")):
        if (isinstance(related, Mapping) and related.get("mediaType") == QUALIFICATION_MEDIA_TYPE
                and isinstance(related.get("id"), str) and isinstance(related.get("digestMultibase"), str)):
            digests.setdefault(related["id"], related["digestMultibase"])
    found: list[QualificationReference] = []
    for item in as_list(credential.get("evidence")):
        if not isinstance(item, Mapping) or item.get("genre") != ASSESSMENT_GENRE:
            continue
        ident = item.get("id")
        if isinstance(ident, str) and ident in digests and all(r.id != ident for r in found):
            found.append(QualificationReference(ident, digests[ident]))
    return found


@dataclass(frozen=True)
class QualificationSubject:
    """What a qualification says about whom, for what (read, not verified)."""

    pseudonym: str | None
    name: str | None
    achievement_type: str | None
    aligned_to: tuple[str, ...]


def qualification_subject(document: Mapping[str, Any]) -> QualificationSubject:
    """The pseudonym (and opted-in name), the achievement type and the micro-credentials it is aligned to."""
    subjects = [s for s in as_list(document.get("credentialSubject")) if isinstance(s, Mapping)]
    subject = subjects[0] if len(subjects) == 1 else {}
    pseudonym = name = None
    for identity in as_list(subject.get("identifier")):
        if not isinstance(identity, Mapping) or not isinstance(identity.get("identityHash"), str):
            continue
        if identity.get("identityType") == PSEUDONYM_IDENTITY_TYPE:
            pseudonym = identity["identityHash"]
        elif identity.get("identityType") == "name" and identity.get("hashed") is False:
            name = identity["identityHash"]
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    kind = achievement.get("achievementType")
    aligned = tuple(a["targetUrl"] for a in as_list(achievement.get("alignment"))
                    if isinstance(a, Mapping) and isinstance(a.get("targetUrl"), str))
    return QualificationSubject(pseudonym, name, kind if isinstance(kind, str) else None, aligned)


@dataclass(frozen=True)
class QualificationRecord:
    """A qualification as its issuer keeps it: the signed document, and since when it stands revoked.

    A status list says only "revoked now"; whether a revocation came before or after an assessment needs
    the date, which only the issuer's records hold (``revoked_from``: the moment from which the issuer
    withdrew it, possibly earlier than the moment it recorded the withdrawal). None: not revoked, as far as
    the source knows; ``revocation_known`` False: the source cannot tell revocation dates at all.
    """

    document: Mapping[str, Any]
    revoked_from: datetime | None = None
    revocation_known: bool = True


QualificationFetcher = Callable[[str], QualificationRecord]
"""``fetch(qualification id)`` -> its :class:`QualificationRecord`. Raises ``LookupError`` when the source
does not have it (the check is then "could not be checked")."""
