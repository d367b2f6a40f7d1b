"""The W3C VC data model's rules for what is about to be signed or read as a presentation: members and
shapes a verifier has to refuse, checked before anything is reserved or signed (VC 2.0 §4, VC 1.1 by its
first context). Pure functions; each raises :class:`~mcbadge.vc.errors.DataModelError` naming the first
problem, which a service maps to its own error.

What the JSON-LD terms mean is the canonicalizer's concern (``canon``, safe mode); signatures, status and
validity of a signed credential are ``verify``'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeGuard

from .contexts import CREDENTIALS_V1, CREDENTIALS_V2
from .data_integrity import parse_datetime
from .errors import DataModelError, IssuerMismatch

__all__ = ["check_issued_credential", "check_members", "check_presentation", "check_unsigned_credential", "is_url"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _non_empty_str(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


# A URL as the VC data model uses the word: a scheme, then no whitespace (``did:…``, ``urn:…``, ``https://…``).
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")

# VC 2.0 §4.5 Types: the objects of these properties MUST have a type (credentialStatus: _check_status_entries).
_TYPED_MEMBERS = ("credentialSchema", "evidence", "refreshService", "termsOfUse")


def is_url(value: Any) -> bool:
    """Whether ``value`` is a URL as the VC data model uses the word (a scheme, then no whitespace)."""
    return isinstance(value, str) and bool(_URL_RE.match(value))


def _has_type(item: Mapping[str, Any]) -> bool:
    kinds = item.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return bool(kinds) and all(_non_empty_str(k) for k in kinds)


def check_members(credential: Mapping[str, Any]) -> None:
    """VC 2.0 §4.5 (typed objects), §4.11 (a data schema's id is a URL) and §5.3 (related resources): an
    issuer must not sign what a verifier has to refuse."""
    for name in _TYPED_MEMBERS:
        if name not in credential:
            continue
        value = credential[name]
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(i, dict) and _has_type(i) for i in items):
            raise DataModelError(f"each {name} must be an object with a type")
        if name == "credentialSchema" and not all(is_url(i.get("id")) for i in items):
            raise DataModelError("each credentialSchema must have an id that is a URL")
    if "relatedResource" in credential:
        value = credential["relatedResource"]
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(i, dict) for i in items):
            raise DataModelError("relatedResource must be one or more objects")
        ids = [i.get("id") for i in items]
        if not all(is_url(i) for i in ids):
            raise DataModelError("each relatedResource must have an id that is a URL")
        if len(set(ids)) != len(ids):
            raise DataModelError("each relatedResource id must be unique")
        if not all(_non_empty_str(i.get("digestSRI")) or _non_empty_str(i.get("digestMultibase")) for i in items):
            raise DataModelError("each relatedResource must have a digestSRI or a digestMultibase")


def check_unsigned_credential(credential: Mapping[str, Any], expected_issuer: str | None = None, *,
                              status_given: bool = False) -> int:
    """Check a credential that is to be signed: the members every credential must have (VC 2.0, or VC 1.1
    by its first context), no proof or status yet, typed members, dates; returns the data model version
    (1 or 2). Raises :class:`DataModelError` naming the first problem (:class:`IssuerMismatch` when the
    issuer is not ``expected_issuer``).

    ``status_given``: the signer accepts status entries the caller made (signed as given); they are then held
    to the rules of an issued credential's entries (:func:`check_issued_credential`) instead of refused.

    Terms and types are for the canonicalizer (safe mode): together the two refuse anything a signature
    would not cover.
    """
    version = _check_required_members(credential, expected_issuer)
    if "proof" in credential:
        raise DataModelError("the credential already has a proof: send it unsigned")
    if "credentialStatus" in credential:
        if not status_given:
            raise DataModelError("send no credentialStatus: ask for one with options.credentialStatus")
        _check_status_entries(credential["credentialStatus"])
    check_members(credential)
    _check_dates(credential, version)
    return version


def check_issued_credential(credential: Mapping[str, Any], expected_issuer: str | None = None) -> int:
    """Check a credential as this service issues it (its status entries and proofs in place): the members of
    :func:`check_unsigned_credential`, each ``credentialStatus`` entry an object with a type (a
    ``BitstringStatusListEntry`` with its purpose, decimal index and list URL, and an id, when it has one,
    that is not the list's: the Recommendation's rules), each proof an object with a type; returns the data
    model version. Raises :class:`DataModelError` naming the first problem.

    What the pre-issuance conformance gate and the conformance tests hold every issued kind to, beside the
    1EdTech schema where one applies (``schema``); a signature's validity is ``verify``'s concern.
    """
    version = _check_required_members(credential, expected_issuer)
    if "credentialStatus" in credential:
        _check_status_entries(credential["credentialStatus"])
    if "proof" in credential:
        proofs = _as_list(credential["proof"])
        if not proofs or not all(isinstance(p, dict) and _has_type(p) for p in proofs):
            raise DataModelError("each proof must be an object with a type")
    check_members(credential)
    _check_dates(credential, version)
    return version


_BITSTRING_ENTRY = "BitstringStatusListEntry"
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")


def _check_status_entries(value: Any) -> None:
    entries = _as_list(value)
    if not entries or not all(isinstance(e, dict) and _has_type(e) for e in entries):
        raise DataModelError("each credentialStatus must be an object with a type")
    for entry in entries:
        if "id" in entry and not is_url(entry["id"]):
            raise DataModelError("a credentialStatus id, when present, must be a URL")
        if _BITSTRING_ENTRY not in _as_list(entry["type"]):
            continue
        if not _non_empty_str(entry.get("statusPurpose")):
            raise DataModelError("a BitstringStatusListEntry must have a statusPurpose")
        index = entry.get("statusListIndex")
        if not isinstance(index, str) or not _DECIMAL.match(index):
            raise DataModelError("a BitstringStatusListEntry's statusListIndex must be a decimal string")
        if not is_url(entry.get("statusListCredential")):
            raise DataModelError("a BitstringStatusListEntry's statusListCredential must be a URL")
        if entry.get("id") == entry["statusListCredential"]:
            raise DataModelError("a BitstringStatusListEntry's id must not be its statusListCredential")


def _check_required_members(credential: Mapping[str, Any], expected_issuer: str | None) -> int:
    contexts = credential.get("@context")
    if contexts is None:
        raise DataModelError("the credential has no @context")
    if not isinstance(contexts, list) or not contexts:
        raise DataModelError("@context must be a non-empty array")
    for item in contexts:
        if not (_non_empty_str(item) or (isinstance(item, dict) and item)):
            raise DataModelError("each @context item must be a URL (string) or a context object")
    if contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
        raise DataModelError(f"the first @context must be {CREDENTIALS_V2} (or {CREDENTIALS_V1} for VC 1.1)")
    version = 2 if contexts[0] == CREDENTIALS_V2 else 1

    types = credential.get("type")
    if types is None:
        raise DataModelError("the credential has no type")
    if not isinstance(types, list) or not types or not all(_non_empty_str(t) for t in types):
        raise DataModelError("type must be a non-empty array of strings")
    if "VerifiableCredential" not in types:
        raise DataModelError("type must include VerifiableCredential")

    if "id" in credential and not _non_empty_str(credential["id"]):
        raise DataModelError("id, when present, must be one URL (a string)")

    issuer = credential.get("issuer")
    if issuer is None:
        raise DataModelError("the credential has no issuer")
    if isinstance(issuer, dict):
        issuer_id = issuer.get("id")
        if not _non_empty_str(issuer_id):
            raise DataModelError("an issuer object must have an id (a URL)")
    elif _non_empty_str(issuer):
        issuer_id = issuer
    else:
        raise DataModelError("issuer must be a URL (string) or an object with an id")
    if expected_issuer is not None and issuer_id != expected_issuer:
        raise IssuerMismatch(expected_issuer, issuer_id)

    subject = credential.get("credentialSubject")
    if subject is None:
        raise DataModelError("the credential has no credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if not subjects or not all(isinstance(s, dict) and s for s in subjects):
        raise DataModelError("credentialSubject must be an object with at least one claim (or an array of them)")

    return version


def _check_dates(credential: Mapping[str, Any], version: int) -> None:
    start, end = ("validFrom", "validUntil") if version == 2 else ("issuanceDate", "expirationDate")
    parsed: dict[str, datetime] = {}
    for name in (start, end):
        if name in credential:
            value = parse_datetime(credential[name])
            if value is None:
                raise DataModelError(f"{name} must be an XML Schema dateTime with a time zone, "
                                        f"not {credential[name]!r}")
            parsed[name] = value
    if start in parsed and end in parsed and parsed[end] < parsed[start]:
        raise DataModelError(f"{end} is before {start}")


def _holder_id(presentation: Mapping[str, Any]) -> str | None:
    holder = presentation.get("holder")
    if holder is None:
        return None
    if _non_empty_str(holder):
        return holder
    holder_id = holder.get("id") if isinstance(holder, dict) else None
    if _non_empty_str(holder_id):
        return holder_id
    raise DataModelError("holder must be a URL (string) or an object with an id")


def check_presentation(presentation: Mapping[str, Any]) -> str | None:
    """Check the members a presentation must have (VC 2.0 §4.13: contexts, type, credentials as objects);
    returns the holder's id, if it names one. Raises :class:`DataModelError` naming the first problem.
    Enveloped presentations (VP-JWT) are refused: they are not supported here."""
    contexts = presentation.get("@context")
    if not isinstance(contexts, list) or not contexts:
        raise DataModelError("@context must be a non-empty array")
    if contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
        raise DataModelError(f"the first @context must be {CREDENTIALS_V2} (or {CREDENTIALS_V1})")
    if not all(_non_empty_str(c) or (isinstance(c, dict) and c) for c in contexts):
        raise DataModelError("each @context item must be a URL (string) or a context object")
    types = presentation.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or "VerifiablePresentation" not in types:
        raise DataModelError("type must include VerifiablePresentation")
    if "EnvelopedVerifiablePresentation" in types:
        raise DataModelError("enveloped presentations (VP-JWT) are not supported; send a Data Integrity one")
    credentials = presentation.get("verifiableCredential")
    if credentials is not None and not all(isinstance(c, dict) for c in _as_list(credentials)):
        raise DataModelError("verifiableCredential must be credential objects (or enveloped credentials)")
    return _holder_id(presentation)
