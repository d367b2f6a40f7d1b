"""Was this credential issued to the person in front of me? The ``recipient`` check.

An employer types the candidate's e-mail address (or web address, telephone number or DID) and the verifier
compares it with how the credential names its recipient:

* Open Badges 3.0: the subject's ``identifier`` ``IdentityObject``s (``identityHash``, salted ``sha256$...`` or
  ``md5$...`` when ``hashed``, the value itself otherwise; :func:`mcbadge.vc.identity_hash.identity_matches`),
  and for a DID the subject's ``id``;
* Open Badges 2.0: the assertion's ``recipient`` ``IdentityObject`` (``type`` email, url or telephone;
  ``identity`` hashed with its ``salt`` as above, or plain).

What kind of identifier was typed is read from its form (an ``@``: e-mail; ``http(s)://``: URL; ``did:``: DID;
digits with ``+``, spaces, dots, dashes or brackets: telephone), and only identities of that kind are compared.

The report never shows the credential's identity in clear (a credential may carry it unhashed) nor repeats the
typed value: the check says "the e-mail address you typed", and the person knows what they typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .identity_hash import identity_matches
from .json_values import as_list
from .verify import Check, Outcome

__all__ = ["identifier_kind", "ob2_recipient_check", "recipient_check"]

_TELEPHONE = re.compile(r"^\+?[0-9][0-9 ().-]{3,30}$")

_WORDS = {"email": "e-mail address", "url": "web address", "telephone": "telephone number", "did": "DID"}

# OB 3.0 IdentityObject identityType values (and the OB 2.0 recipient types some issuers carried over) per kind.
_OB3_TYPES = {
    "email": {"emailAddress", "email"},
    "url": {"url", "identifier"},
    "telephone": {"phone", "telephone", "phoneNumber"},
    "did": {"did", "identifier"},
}
_OB2_TYPES = {"email": {"email"}, "url": {"url"}, "telephone": {"telephone"}, "did": {"id", "did"}}


def identifier_kind(typed: str) -> str:
    """``email``, ``url``, ``telephone`` or ``did``: what the typed identifier is, by its form."""
    value = typed.strip()
    if value.lower().startswith("did:"):
        return "did"
    if value.lower().startswith(("https://", "http://")):
        return "url"
    if "@" in value:
        return "email"
    if _TELEPHONE.match(value):
        return "telephone"
    return "email"  # what people type most; an unhashed or hashed e-mail identity is compared as typed


def _candidates(kind: str, typed: str) -> list[str]:
    """The spellings of the typed identifier an issuer may have hashed: as typed (trimmed), and normalised
    (an e-mail address in lower case; a telephone number as +digits, E.164 as OB 2.0 asks)."""
    value = typed.strip()
    spellings = [value]
    if kind == "email":
        spellings.append(value.lower())
    elif kind == "telephone":
        spellings.append(("+" if value.startswith("+") else "") + re.sub(r"[^0-9]", "", value))
    return list(dict.fromkeys(spellings))


def _matches(identity: Mapping[str, Any], kind: str, typed: str) -> bool:
    return any(identity_matches(identity, candidate, normalize=False) for candidate in _candidates(kind, typed))


def _verdict(kind: str, compared: int, matched: bool, hashed: bool) -> Check:
    what = _WORDS[kind]
    if not compared:
        return Check("recipient", Outcome.NOT_CHECKED,
                     f"the credential does not name its recipient by {what}, so the {what} you typed could not be "
                     "compared", {"kind": kind})
    how = "its salted hash" if hashed else "the identity it states"
    if matched:
        return Check("recipient", Outcome.PASSED, f"issued to the {what} you typed (compared with {how})",
                     {"kind": kind})
    return Check("recipient", Outcome.FAILED,
                 f"not issued to the {what} you typed (compared with {how}): it names someone else, or another "
                 f"{what} of theirs", {"kind": kind})


def recipient_check(credential: Mapping[str, Any], typed: str) -> Check:
    """The ``recipient`` check of an OB 3.0 (or any VC) credential for the identifier a verifier typed."""
    kind = identifier_kind(typed)
    compared, matched, hashed = 0, False, False
    for subject in as_list(credential.get("credentialSubject")):
        if not isinstance(subject, Mapping):
            continue
        if kind == "did" and isinstance(subject.get("id"), str) and subject["id"].startswith("did:"):
            compared += 1
            matched = matched or subject["id"] == typed.strip()
        for identity in as_list(subject.get("identifier")):
            if isinstance(identity, Mapping) and identity.get("identityType") in _OB3_TYPES[kind]:
                compared += 1
                hashed = hashed or identity.get("hashed") is True
                matched = matched or _matches(identity, kind, typed)
    return _verdict(kind, compared, matched, hashed)


def ob2_recipient_check(assertion: Mapping[str, Any], typed: str) -> Check:
    """The ``recipient`` check of an Open Badges 2.0 assertion (its ``recipient`` IdentityObject)."""
    kind = identifier_kind(typed)
    recipient = assertion.get("recipient")
    if not isinstance(recipient, Mapping) or recipient.get("type") not in _OB2_TYPES[kind]:
        return _verdict(kind, 0, False, False)
    hashed = recipient.get("hashed") is True
    # OB 2.0's IdentityObject, in the shape OB 3.0 gave it (the same hash: "<alg>$" + hex(alg(identity + salt))).
    identity = {"identityHash": recipient.get("identity"), "hashed": hashed, "salt": recipient.get("salt")}
    return _verdict(kind, 1, _matches(identity, kind, typed), hashed)
