"""The JWT key proof of OpenID for Verifiable Credential Issuance 1.0 (§8.2.1.1 and Appendix F.1): a wallet
proves it holds the key a credential will be bound to.

:func:`verify_key_proof` checks a proof and returns the holder's ``did:key``. Its rules:

* header ``typ`` is ``openid4vci-proof+jwt`` (so no other JWT, a VC-JWT or an access token, passes for one);
* the key is named by exactly one of ``kid`` (a ``did:key`` DID URL, resolved offline) or ``jwk`` (a public
  Ed25519 or P-256 JWK); ``jku``, ``x5u``, ``x5c``, ``trust_chain`` and ``crit`` are refused (a key fetched or
  certified from elsewhere is a trust decision this issuer does not make);
* ``alg`` is the one algorithm of the key's type (Ed25519: EdDSA, P-256: ES256), never ``none`` or HMAC;
* ``aud`` is this credential issuer, ``iat`` is recent (``max_age``, and not ahead by more than ``leeway``),
  ``nonce`` is present (the caller checks it is one it handed out, unused: that needs its storage).

Either key form gives the same holder: the ``did:key`` of the public key, which is what the credential's
``credentialSubject.id`` is set to. Pure: no I/O; the clock is an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jwcrypto.common import base64url_decode

from .dids import did_key_document, did_key_from_public, find_verification_method, split_did_url
from .errors import CredentialError, DidResolutionError, JwtError, KeyFormatError
from .jwt import SIGNING_ALGORITHMS, parse_unverified
from .keys import PublicKey, public_key_from_jwk

__all__ = ["KEY_PROOF_TYP", "KeyProof", "KeyProofError", "PROOF_ALGORITHMS", "verify_key_proof"]

KEY_PROOF_TYP = "openid4vci-proof+jwt"

PROOF_ALGORITHMS: tuple[str, ...] = tuple(SIGNING_ALGORITHMS.values())
"""The algorithms a key proof may use: those of the key types a ``did:key`` holder can have (EdDSA, ES256)."""

_REFUSED_HEADERS = ("jku", "x5u", "x5c", "trust_chain", "crit", "b64", "key_attestation")


class KeyProofError(CredentialError):
    """The key proof is not acceptable; the message says why (OID4VCI's ``invalid_proof``)."""


@dataclass(frozen=True)
class KeyProof:
    """A verified key proof: the holder's ``did:key`` and the nonce the proof carries."""

    holder: str
    nonce: str


def _holder_key(header: Mapping[str, Any]) -> tuple[str, PublicKey]:
    """The holder's DID and public key from ``kid`` (a did:key DID URL) or ``jwk`` (exactly one of them)."""
    if ("kid" in header) == ("jwk" in header):
        raise KeyProofError("the proof's header names its key by exactly one of kid (a did:key URL) or jwk")
    if "kid" in header:
        kid = header["kid"]
        if not isinstance(kid, str) or not kid.startswith("did:key:"):
            raise KeyProofError("the proof's kid is not a did:key DID URL (the only DID method accepted for holders)")
        try:
            did, fragment = split_did_url(kid)
            method = find_verification_method(did_key_document(did), kid if fragment else f"{did}#{did[8:]}")
        except DidResolutionError as exc:
            raise KeyProofError(f"the proof's kid cannot be resolved: {exc}") from None
        if not isinstance(method.public_key, PublicKey):
            raise KeyProofError("the proof's key is not an Ed25519 or P-256 key")
        return did, method.public_key
    try:
        key = public_key_from_jwk(header["jwk"])
    except KeyFormatError as exc:
        raise KeyProofError(f"the proof's jwk is not a usable public key: {exc}") from None
    if not isinstance(key, PublicKey):
        raise KeyProofError("the proof's jwk is not an Ed25519 or P-256 key")
    return did_key_from_public(key), key


def verify_key_proof(token: str, *, audience: str, now: datetime, max_age: timedelta = timedelta(minutes=5),
                     leeway: timedelta = timedelta(seconds=60)) -> KeyProof:
    """Verify a JWT key proof for the credential issuer ``audience`` at ``now`` (see the module docstring).

    Raises :class:`KeyProofError` with a readable reason."""
    try:
        header, claims = parse_unverified(token)
    except JwtError as exc:
        raise KeyProofError(f"the proof is not a compact JWT: {exc}") from None
    if header.get("typ") != KEY_PROOF_TYP:
        raise KeyProofError(f"the proof's typ is {header.get('typ')!r}, not {KEY_PROOF_TYP!r}")
    refused = [name for name in _REFUSED_HEADERS if name in header]
    if refused:
        raise KeyProofError(f"the proof's header parameter {refused[0]!r} is not accepted")
    holder, key = _holder_key(header)
    expected_alg = SIGNING_ALGORITHMS[key.kind]
    if header.get("alg") != expected_alg:
        raise KeyProofError(f"the proof's alg is {header.get('alg')!r}; a {key.kind} key signs with {expected_alg}")
    signing_input, _, signature = token.strip().rpartition(".")
    try:
        signature_bytes = base64url_decode(signature)
    except ValueError:
        raise KeyProofError("the proof's signature is not base64url") from None
    # PublicKey.verify pins the algorithm to the key type (raw r||s for ES256, as JWS requires).
    if not key.verify(signature_bytes, signing_input.encode("ascii")):
        raise KeyProofError("the proof's signature does not verify with its key")

    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise KeyProofError(f"the proof's aud is {aud!r}, not this credential issuer {audience!r}")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, (int, float)):
        raise KeyProofError("the proof has no numeric iat")
    issued = now.timestamp() - float(iat)
    if issued > max_age.total_seconds():
        raise KeyProofError("the proof is too old (iat)")
    if -issued > leeway.total_seconds():
        raise KeyProofError("the proof was issued in the future (iat)")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise KeyProofError("the proof has no nonce (get one from the nonce endpoint)")
    return KeyProof(holder=holder, nonce=nonce)
