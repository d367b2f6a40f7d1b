"""Hashed e-mail identity: the salted ``IdentityObject`` that names a teacher in a credential without publishing
their address, and the check that an address matches one.

OB 3.0 defines ``identityHash`` as ``"sha256$" + hex(sha256(utf8(address + salt)))`` (md5 is allowed too, and
an unhashed value when ``hashed`` is false). ``identity_object`` builds the model the issuer embeds;
``identity_matches`` works on the JSON, because a verifier checks credentials issued by anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from .models import IdentityObject

__all__ = ["identity_matches", "identity_object", "issued_to"]


def _normalize_email(email: str) -> str:
    # Addresses are compared case-insensitively in practice; normalising lets a verifier who knows the
    # address (in any case, with stray spaces) recompute the hash.
    return email.strip().lower()


def identity_object(email: str, salt: str | None = None, *, normalize: bool = True) -> IdentityObject:
    """A salted OB ``IdentityObject`` for an e-mail address.

    ``identityHash`` is ``"sha256$" + hex(sha256(utf8(email + salt)))`` as OB 3.0 defines it. The address is
    trimmed and lower-cased first unless ``normalize=False``. Without ``salt`` a random one is generated: an
    unsalted hash of an e-mail address is reversible with a dictionary of addresses.
    ``identity_object(...).to_json_ld()`` is the dict to embed.
    """
    if salt is None:
        salt = secrets.token_urlsafe(16)
    value = _normalize_email(email) if normalize else email
    digest = hashlib.sha256((value + salt).encode("utf-8")).hexdigest()
    return IdentityObject(identityHash=f"sha256${digest}", identityType="emailAddress", hashed=True, salt=salt)


def identity_matches(identity: Mapping[str, Any], email: str, *, normalize: bool = True) -> bool:
    """True when a (JSON) IdentityObject is a hash of ``email`` (sha256 or md5, as OB allows), or equals it."""
    value = _normalize_email(email) if normalize else email
    stored = identity.get("identityHash")
    if not isinstance(stored, str):
        return False
    if identity.get("hashed") is not True:
        return hmac.compare_digest(stored.strip().lower().encode(), value.encode())
    algorithm, sep, hex_digest = stored.partition("$")
    if not sep:
        return False
    salt = identity.get("salt") or ""
    data = (value + (salt if isinstance(salt, str) else "")).encode("utf-8")
    if algorithm.lower() == "sha256":
        computed = hashlib.sha256(data).hexdigest()
    elif algorithm.lower() == "md5":
        computed = hashlib.md5(data, usedforsecurity=False).hexdigest()
    else:
        return False
    return hmac.compare_digest(computed, hex_digest.lower())


def issued_to(credential: Mapping[str, Any], email: str) -> bool:
    """Whether ``credential`` names the holder of ``email`` as its subject: one of its subjects' OB
    ``identifier`` IdentityObjects of type ``emailAddress`` matches the address (hashed or plain).

    A credential someone adds to their record counts for them only if it was issued to them: holding a copy
    of another teacher's badge proves nothing about its holder.
    """
    subjects = credential.get("credentialSubject")
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        if not isinstance(subject, Mapping):
            continue
        identifiers = subject.get("identifier")
        for identity in identifiers if isinstance(identifiers, list) else [identifiers]:
            if (isinstance(identity, Mapping) and identity.get("identityType") == "emailAddress"
                    and identity_matches(identity, email)):
                return True
    return False
