"""VC-JWT: Open Badges 3.0 §8.2 "JSON Web Token Proof Format", as a compact JWS.

Issuing (:func:`encode_vc_jwt`) produces the OB 3.0 shape: JOSE header ``{alg, typ: "JWT", kid}``
and a payload carrying the credential under ``vc`` with the registered claims ``iss`` (issuer id),
``jti`` (credential id), ``sub`` (credentialSubject.id), ``nbf`` (validFrom), ``exp`` (validUntil)
and ``iat``.

Verifying (:func:`decode_vc_jwt`) accepts three payload shapes, since all occur in the wild:

* ``{"vc": {...credential...}, "iss": …}`` — OB 3.0 as first published / VC-JWT for VCDM 1.1;
* the credential itself with ``iss``/``jti``/``sub``/``nbf``/``exp`` added at the top level — the
  later OB 3.0 text;
* the credential itself, ``typ: "vc+jwt"`` — W3C VC-JOSE-COSE.

Security decisions, each enforced here and tested in tests/vc/test_jwt.py:

* Keys come only from the issuer's DID document, via ``kid``. ``jku``/``x5u`` (fetch a key from a
  URL the token names) and ``x5c`` (trust a certificate the token carries) are refused, and an
  embedded ``jwk`` is accepted only if it is exactly the resolved key — otherwise anyone could sign
  with their own key and attach it.
* One algorithm per key type, fixed in code: Ed25519 -> EdDSA, P-256 -> ES256, RSA -> RS256 (RSA is
  verify-only). The header's ``alg`` must equal it. This closes ``alg: none``, HMAC-with-the-public-
  key confusion, and cross-algorithm tricks, whatever the JOSE library would otherwise allow.
* The key must be controlled by the credential's issuer (kid DID == issuer id == ``iss``) and be
  listed under ``assertionMethod``; a key the issuer only uses to log in must not sign badges.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jwcrypto import jwk as jose_jwk
from jwcrypto import jws as jose_jws
from jwcrypto.common import JWException, base64url_decode, base64url_encode

from .dids import DidResolver, split_did_url
from .errors import DidResolutionError, JwtError, JwtKeyError, KeyFormatError
from .json_values import DuplicateMember, strict_loads
from .keys import Signer

__all__ = [
    "SIGNING_ALGORITHMS",
    "VERIFYING_ALGORITHMS",
    "JwtVerification",
    "decode_vc_jwt",
    "encode_vc_jwt",
    "parse_unverified",
]

SIGNING_ALGORITHMS: Mapping[str, str] = {"Ed25519": "EdDSA", "P-256": "ES256"}
"""The one JOSE algorithm mcbadge signs with, per key type."""

VERIFYING_ALGORITHMS: Mapping[str, str] = {"Ed25519": "EdDSA", "P-256": "ES256", "RSA": "RS256"}
"""The one JOSE algorithm accepted per key type when verifying (RS256 is the OB 3.0 baseline)."""

FORBIDDEN_HEADERS = ("jku", "x5u", "x5c", "crit", "b64")
"""Header parameters that are refused. ``jku``/``x5u``/``x5c`` would let the token choose its own key
or trust anchor; ``crit``/``b64`` announce JWS extensions this verifier does not implement, and
RFC 7515 §4.1.11 requires rejecting what one does not understand."""

ACCEPTED_TYP = {"jwt": "JWT", "vc+jwt": "vc+jwt", "vc+ld+jwt": "vc+ld+jwt"}
"""Accepted ``typ`` values (compared case-insensitively, ``application/`` prefix optional, RFC 7515
§4.1.9). Any other type — ``vp+jwt``, ``at+jwt``, ``dc+sd-jwt`` — is a different kind of token and is
refused so that it cannot be replayed as a credential."""

REGISTERED_CLAIMS = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
"""RFC 7519 registered claims: stripped from a credential-as-payload, since they are not
credential properties (and would be undefined terms for JSON-LD processing)."""

MAX_TOKEN_CHARS = 4_000_000
"""Refuse larger tokens before parsing anything (credentials may embed images, but not megabytes more)."""

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class JwtVerification:
    """The result of a successful :func:`decode_vc_jwt`.

    ``credential`` is the credential the issuer signed (the ``vc`` claim, or the payload without
    the registered JWT claims); ``header`` and ``claims`` are the verified JOSE header and JWT
    payload; ``verification_method`` is the absolute DID URL of the key that verified;
    ``payload_format`` is ``"vc-claim"`` or ``"credential"``.
    """

    credential: dict[str, Any]
    header: dict[str, Any]
    claims: dict[str, Any]
    verification_method: str
    payload_format: str


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64url_encode(data)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _loads_object(data: bytes, what: str) -> dict[str, Any]:
    """Parse a JSON object, refusing duplicate member names and NaN/Infinity (``strict_loads``).

    Duplicates are refused (RFC 7515 §5.2 allows it) because two parsers that pick different
    duplicates would disagree on what was signed.
    """
    try:
        value = strict_loads(data.decode("utf-8"))
    except DuplicateMember as exc:
        raise JwtError(f"duplicate member {exc.name!r} in the {what}") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise JwtError(f"the {what} is not valid UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise JwtError(f"the {what} is not a JSON object")
    return value


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        raise JwtError("the credential has no issuer id")
    return issuer_id


def _subject_id(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    subject_id = subject.get("id") if isinstance(subject, Mapping) else None
    return subject_id if isinstance(subject_id, str) else None


def _credential_time(credential: Mapping[str, Any], names: tuple[str, str]) -> float | None:
    """validFrom/validUntil (VCDM 2.0) or issuanceDate/expirationDate (VCDM 1.1) as a POSIX timestamp."""
    for name in names:
        if name in credential:
            value = credential[name]
            try:
                moment = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise JwtError(f"the credential's {name} is not a date-time with a time zone")
            return moment.timestamp()
    return None


def _numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise JwtError(f"the {name} claim is not a NumericDate")
    return float(value)


def _now_ts(now: datetime) -> float:
    if now.tzinfo is None:
        raise JwtError("now must be a timezone-aware datetime")
    return now.timestamp()


# --------------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------------


def encode_vc_jwt(credential: Mapping[str, Any], signer: Signer, *, now: datetime | None = None) -> str:
    """Sign ``credential`` as an OB 3.0 VC-JWT (compact JWS) with ``signer``.

    Header: ``alg`` = ``signer.algorithm`` (EdDSA for Ed25519, ES256 for P-256), ``typ: "JWT"``,
    ``kid`` = ``signer.verification_method``. Payload: ``vc`` (the credential), ``iss``, ``jti``,
    ``sub``, ``nbf``, ``exp`` (when the credential has the matching property) and ``iat`` (``now``,
    default: the current time).

    Raises JwtError when the credential already has an embedded ``proof`` (sign it one way or the
    other, deliberately), has no issuer id, when the signer's key is not the issuer's, when its
    algorithm does not match its key type, or when its signature does not verify.
    """
    # We assemble the compact JWS by hand instead of calling jwcrypto's signer: a Signer may be a
    # KMS or HSM that signs bytes but never hands out a private key, so there is no JWK to give
    # jwcrypto. Building "base64url(header).base64url(payload)" is the entire signing input
    # (RFC 7515 §5.1) and is easy to get right; the delicate side — parsing and verifying tokens
    # from others — is left to jwcrypto in decode_vc_jwt.
    if not isinstance(credential, Mapping):
        raise JwtError("the credential must be a JSON object")
    if "proof" in credential:
        raise JwtError("the credential already has an embedded proof; the vc claim carries an unsigned credential")
    key = signer.public_key
    algorithm = signer.algorithm
    if SIGNING_ALGORITHMS.get(key.kind) != algorithm:
        raise JwtError(f"a {key.kind} key signs with {SIGNING_ALGORITHMS.get(key.kind)}, not {algorithm!r}")
    issuer_id = _issuer_id(credential)
    try:
        kid = signer.verification_method
    except KeyFormatError as exc:  # e.g. a key pair not bound to a DID
        raise JwtError(f"the signer has no verification method: {exc}") from None
    try:
        kid_did, fragment = split_did_url(kid)
    except DidResolutionError as exc:
        raise JwtError(f"the signer's verification method is not a DID URL: {exc}") from None
    if kid_did != issuer_id or fragment is None:
        raise JwtError(f"the signer's key {kid!r} is not a key of the issuer {issuer_id!r}")

    issued_at = now if now is not None else datetime.now().astimezone()
    claims: dict[str, Any] = {"iss": issuer_id}
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    subject_id = _subject_id(credential)
    if subject_id is not None:
        claims["sub"] = subject_id
    valid_from = _credential_time(credential, ("validFrom", "issuanceDate"))
    if valid_from is not None:
        # Round toward the inside of the validity window: never valid earlier, never valid longer.
        claims["nbf"] = math.ceil(valid_from)
    valid_until = _credential_time(credential, ("validUntil", "expirationDate"))
    if valid_until is not None:
        claims["exp"] = math.floor(valid_until)
    claims["iat"] = math.floor(_now_ts(issued_at))
    claims["vc"] = copy.deepcopy(dict(credential))

    header = {"alg": algorithm, "typ": "JWT", "kid": kid}
    signing_input = f"{_b64(_json_bytes(header))}.{_b64(_json_bytes(claims))}"
    signature = signer.sign(signing_input.encode("ascii"))
    # Check before handing the token out: a KMS adapter returning DER instead of raw r||s for ES256,
    # or signing with another key, would otherwise produce badges nobody can verify.
    if not key.verify(signature, signing_input.encode("ascii")):
        raise JwtError(
            "the signer's signature does not verify with its public key "
            "(ES256 signatures must be raw r||s, 64 bytes, not DER)"
        )
    return f"{signing_input}.{_b64(signature)}"


# --------------------------------------------------------------------------------------------------
# Decoding and verification
# --------------------------------------------------------------------------------------------------


def parse_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a compact JWS and parse its header and payload WITHOUT verifying anything.

    For display and routing only (e.g. to show who claims to be the issuer); never trust the result.
    Raises JwtError for anything that is not a three-part compact JWS with JSON object parts.
    """
    if not isinstance(token, str):
        raise JwtError("a VC-JWT must be a string")
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise JwtError("the VC-JWT is too large")
    parts = token.split(".")
    if len(parts) != 3:
        # Five parts would be a JWE; we never decrypt.
        raise JwtError(f"a VC-JWT is a compact JWS with 3 parts, got {len(parts)}")
    if not all(_B64URL.match(part) for part in parts):
        raise JwtError("the VC-JWT is not base64url encoded")
    try:
        header_bytes, payload_bytes = base64url_decode(parts[0]), base64url_decode(parts[1])
    except ValueError:
        raise JwtError("the VC-JWT is not base64url encoded") from None
    return _loads_object(header_bytes, "JOSE header"), _loads_object(payload_bytes, "JWT payload")


def _check_header(header: Mapping[str, Any]) -> str:
    """Everything about the header that can be judged without the key; returns the ``alg``."""
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise JwtError("the JOSE header has no alg")
    if alg.lower() == "none":
        raise JwtError("alg 'none' (unsigned token) is not accepted")
    if alg.upper().startswith("HS"):
        raise JwtError(f"alg {alg!r}: symmetric (HMAC) algorithms are not accepted")
    if alg not in VERIFYING_ALGORITHMS.values():
        raise JwtError(f"alg {alg!r} is not supported (accepted: EdDSA, ES256, RS256)")
    for name in FORBIDDEN_HEADERS:
        if name in header:
            raise JwtError(f"the JOSE header parameter {name!r} is not accepted")
    if "typ" in header:
        typ = header["typ"]
        normalized = typ.lower().removeprefix("application/") if isinstance(typ, str) else None
        if normalized not in ACCEPTED_TYP:
            raise JwtError(f"typ {typ!r} is not a credential token type")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise JwtError("the JOSE header has no kid; the key must be resolvable from the issuer DID")
    return alg


def _extract_credential(claims: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    if "vp" in claims:
        raise JwtError("the token is a presentation (vp), not a credential")
    if "vc" in claims:
        if not isinstance(claims["vc"], dict):
            raise JwtError("the vc claim is not a JSON object")
        return copy.deepcopy(claims["vc"]), "vc-claim"
    credential = {k: copy.deepcopy(v) for k, v in claims.items() if k not in REGISTERED_CLAIMS}
    types = credential.get("type")
    types = [types] if isinstance(types, str) else types
    if "@context" not in credential or not isinstance(types, list) or "VerifiableCredential" not in types:
        raise JwtError("the JWT payload is neither a vc claim nor a credential")
    return credential, "credential"


def _check_claims(
    claims: Mapping[str, Any], credential: Mapping[str, Any], payload_format: str, now_ts: float, leeway_s: float
) -> None:
    issuer_id = _issuer_id(credential)
    if "iss" not in claims and payload_format == "vc-claim":
        raise JwtError("the JWT has no iss claim")
    if "iss" in claims and claims["iss"] != issuer_id:
        raise JwtError(f"iss {claims['iss']!r} does not match the credential issuer {issuer_id!r}")
    if "jti" in claims and "id" in credential and claims["jti"] != credential["id"]:
        raise JwtError(f"jti {claims['jti']!r} does not match the credential id {credential['id']!r}")
    subject_id = _subject_id(credential)
    if "sub" in claims and subject_id is not None and claims["sub"] != subject_id:
        raise JwtError(f"sub {claims['sub']!r} does not match credentialSubject.id {subject_id!r}")

    nbf, exp, iat = (_numeric_date(claims, name) for name in ("nbf", "exp", "iat"))
    valid_from = _credential_time(credential, ("validFrom", "issuanceDate"))
    valid_until = _credential_time(credential, ("validUntil", "expirationDate"))
    # NumericDate is whole seconds by convention while validFrom may carry fractions: within 1 s agrees.
    if nbf is not None and valid_from is not None and abs(nbf - valid_from) >= 1:
        raise JwtError("nbf does not match the credential's validFrom")
    if exp is not None and valid_until is not None and abs(exp - valid_until) >= 1:
        raise JwtError("exp does not match the credential's validUntil")
    if nbf is not None and now_ts + leeway_s < nbf:
        raise JwtError("the VC-JWT is not yet valid (nbf is in the future)")
    if exp is not None and now_ts - leeway_s >= exp:
        raise JwtError("the VC-JWT has expired (exp is in the past)")
    if iat is not None and now_ts + leeway_s < iat:
        raise JwtError("the VC-JWT was issued in the future (iat)")


def decode_vc_jwt(token: str, resolver: DidResolver, *, now: datetime, leeway_s: float = 60) -> JwtVerification:
    """Verify a VC-JWT and return the credential it secures.

    Steps: parse the compact JWS (no duplicate JSON members); check the header (``alg`` one of
    EdDSA/ES256/RS256, never ``none`` or HS*; no ``jku``/``x5u``/``x5c``/``crit``; a credential
    ``typ``; a ``kid``); find the credential (``vc`` claim, or the payload itself); resolve ``kid``
    — absolute, or ``#fragment`` relative to the issuer — through ``resolver`` and require its DID
    to be the issuer's, its controller the issuer, and ``assertionMethod`` among its relationships;
    require ``alg`` to be the one algorithm of the key's type and any embedded ``jwk`` to be that
    very key; verify the signature with jwcrypto, algorithm pinned; then check ``iss``/``jti``/
    ``sub``/``nbf``/``exp`` against the credential and ``nbf``/``exp``/``iat`` against ``now``
    (timezone-aware) with ``leeway_s`` seconds of clock skew.

    The credential's own validFrom/validUntil, status, schema and any embedded proofs are not
    checked here; that is the credential verifier's job. Raises JwtError with a readable reason.
    """
    now_ts = _now_ts(now)
    header, claims = parse_unverified(token)
    alg = _check_header(header)
    credential, payload_format = _extract_credential(claims)
    issuer_id = _issuer_id(credential)
    if not issuer_id.startswith("did:"):
        raise JwtKeyError(f"the issuer {issuer_id!r} is not a DID; VC-JWT keys are resolved from the issuer's DID")

    kid: str = header["kid"]
    kid_url = issuer_id + kid if kid.startswith("#") else kid
    try:
        kid_did, fragment = split_did_url(kid_url)
    except DidResolutionError as exc:
        raise JwtKeyError(f"kid {kid!r} is not a DID URL: {exc}") from None
    if kid_did != issuer_id:
        raise JwtKeyError(f"kid {kid!r} is a key of {kid_did!r}, not of the issuer {issuer_id!r}")
    if fragment is None and not kid_did.startswith(("did:key:", "did:jwk:")):
        raise JwtKeyError(f"kid {kid!r} does not name a key (no fragment)")
    try:
        method = resolver.resolve_verification_method(kid_url)
    except DidResolutionError as exc:
        raise JwtKeyError(f"cannot resolve kid {kid!r}: {exc}") from None
    if method.controller != issuer_id:
        raise JwtKeyError(f"key {method.id!r} is controlled by {method.controller!r}, not by the issuer")
    if "assertionMethod" not in method.relationships:
        raise JwtKeyError(
            f"key {method.id!r} is not listed under the issuer's assertionMethod; it may not sign credentials"
        )

    key = method.public_key
    expected_alg = VERIFYING_ALGORITHMS.get(key.kind)
    if alg != expected_alg:
        raise JwtError(f"alg {alg!r} does not match the {key.kind} key {method.id!r} (requires {expected_alg})")
    try:
        verification_key = jose_jwk.JWK(**key.to_jwk())
    except JWException as exc:
        raise JwtError(f"the issuer key cannot be used: {exc}") from None
    if "jwk" in header:
        embedded = header["jwk"]
        if not isinstance(embedded, dict) or "d" in embedded:
            raise JwtError("the embedded jwk is not a public JWK")
        try:
            same = jose_jwk.JWK(**embedded).thumbprint() == verification_key.thumbprint()
        except (JWException, TypeError, ValueError):
            same = False
        if not same:
            raise JwtError("the embedded jwk is not the issuer's key named by kid")

    jws = jose_jws.JWS()
    jws.allowed_algs = [expected_alg]  # and only it, whatever jwcrypto enables by default
    try:
        jws.deserialize(token.strip())
        jws.verify(verification_key, alg=expected_alg)
    except JWException as exc:
        raise JwtError(f"the VC-JWT signature is invalid: {exc}") from None
    # jwcrypto verified exactly the bytes we parsed; make sure nothing differs between the two reads.
    if jws.payload != base64url_decode(token.strip().split(".")[1]):
        raise JwtError("the verified payload differs from the parsed payload")

    _check_claims(claims, credential, payload_format, now_ts, leeway_s)
    return JwtVerification(
        credential=credential,
        header=dict(header),
        claims=dict(claims),
        verification_method=method.id,
        payload_format=payload_format,
    )
