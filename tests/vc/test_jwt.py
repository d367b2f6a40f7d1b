"""VC-JWT (OB 3.0 §8.2): round trips, and each attack or inconsistency refused with JwtError."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwcrypto import jwk as jose_jwk
from jwcrypto import jws as jose_jws
from jwcrypto.common import base64url_decode, base64url_encode

from mcbadge.vc.dids import DidResolver, did_key_from_public, did_web_document
from mcbadge.vc.errors import JwtError
from mcbadge.vc.jwt import decode_vc_jwt, encode_vc_jwt, parse_unverified
from mcbadge.vc.keys import Ed25519KeyPair, PublicKey

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ISSUER = "did:web:badges.example.org"
ISSUER_URL = "https://badges.example.org/.well-known/did.json"


class P256Signer:
    """A test-only ES256 Signer: returns raw r||s, as JOSE (and PublicKey.verify) expect."""

    def __init__(self, controller: str, key_id: str = "p256") -> None:
        self._private = ec.generate_private_key(ec.SECP256R1())
        raw = self._private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        self._public = PublicKey("P-256", raw)
        self._vm = f"{controller}#{key_id}"

    @property
    def verification_method(self) -> str:
        return self._vm

    @property
    def algorithm(self) -> str:
        return "ES256"

    @property
    def public_key(self) -> PublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self._private.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class DerP256Signer(P256Signer):
    """A misbehaving KMS adapter that returns DER signatures."""

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data, ec.ECDSA(hashes.SHA256()))


def make_credential(issuer: str = ISSUER, **extra: Any) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:7f4c1b8e-2f3a-4b8e-9c1d-0a1b2c3d4e5f",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example School"},
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2026-01-01T00:00:00Z",
        "name": "Teaching with Data",
        "credentialSubject": {
            "id": "did:example:teacher-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.example.org/achievements/1",
                "type": ["Achievement"],
                "name": "Teaching with Data",
                "criteria": {"narrative": "Completed the course."},
            },
        },
    }
    credential.update(extra)
    return credential


@pytest.fixture
def ed_signer() -> Ed25519KeyPair:
    return Ed25519KeyPair.generate().bound(ISSUER, "key-1")


@pytest.fixture
def p256_signer() -> P256Signer:
    return P256Signer(ISSUER)


@pytest.fixture
def resolver(ed_signer: Ed25519KeyPair, p256_signer: P256Signer) -> DidResolver:
    document = did_web_document(ISSUER, [ed_signer.public_key, p256_signer.public_key], key_ids=["key-1", "p256"])
    return DidResolver(fetch_json={ISSUER_URL: document}.__getitem__)


def forge(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """Build a compact JWS from parts; ``sign(signing_input) -> bytes`` (None: empty signature)."""
    signing_input = (
        base64url_encode(json.dumps(header).encode()) + "." + base64url_encode(json.dumps(claims).encode())
    )
    signature = sign(signing_input.encode()) if sign else b""
    return signing_input + "." + base64url_encode(signature)


def split(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return parse_unverified(token)


# ---------------------------------------------------------------- round trips


def test_eddsa_round_trip(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    credential = make_credential()
    token = encode_vc_jwt(credential, ed_signer, now=NOW)
    header, claims = split(token)
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": f"{ISSUER}#key-1"}
    assert claims["iss"] == ISSUER
    assert claims["jti"] == credential["id"]
    assert claims["sub"] == "did:example:teacher-1"
    assert claims["nbf"] == int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
    assert claims["exp"] == int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    assert claims["iat"] == int(NOW.timestamp())
    assert claims["vc"] == credential

    result = decode_vc_jwt(token, resolver, now=NOW)
    assert result.credential == credential
    assert result.verification_method == f"{ISSUER}#key-1"
    assert result.header == header
    assert result.claims == claims
    assert result.payload_format == "vc-claim"


def test_es256_round_trip(p256_signer: P256Signer, resolver: DidResolver) -> None:
    token = encode_vc_jwt(make_credential(), p256_signer, now=NOW)
    assert split(token)[0]["alg"] == "ES256"
    assert len(base64url_decode(token.split(".")[2])) == 64
    result = decode_vc_jwt(token, resolver, now=NOW)
    assert result.verification_method == f"{ISSUER}#p256"


def test_did_key_issuer_round_trip() -> None:
    pair = Ed25519KeyPair.generate()
    did = did_key_from_public(pair.public_key)
    token = encode_vc_jwt(make_credential(issuer=did), pair.bound(did), now=NOW)
    result = decode_vc_jwt(token, DidResolver(), now=NOW)
    assert result.credential["issuer"]["id"] == did


def test_credential_without_optional_dates_and_ids(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    credential = make_credential()
    for name in ("id", "validUntil"):
        del credential[name]
    credential["issuer"] = ISSUER  # issuer as a plain IRI
    del credential["credentialSubject"]["id"]
    token = encode_vc_jwt(credential, ed_signer, now=NOW)
    claims = split(token)[1]
    assert {"jti", "sub", "exp"}.isdisjoint(claims)
    assert decode_vc_jwt(token, resolver, now=NOW).credential == credential


def test_relative_kid_is_resolved_against_the_issuer(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    token = forge({"alg": "EdDSA", "typ": "JWT", "kid": "#key-1"}, claims, ed_signer.sign)
    assert decode_vc_jwt(token, resolver, now=NOW).verification_method == f"{ISSUER}#key-1"


def test_vc_jose_cose_payload_is_the_credential(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    credential = make_credential()
    token = forge({"alg": "EdDSA", "typ": "vc+jwt", "kid": f"{ISSUER}#key-1"}, credential, ed_signer.sign)
    result = decode_vc_jwt(token, resolver, now=NOW)
    assert result.credential == credential
    assert result.payload_format == "credential"


def test_ob30_top_level_claims_are_stripped_from_the_credential(
    ed_signer: Ed25519KeyPair, resolver: DidResolver
) -> None:
    credential = make_credential()
    payload = dict(credential, iss=ISSUER, jti=credential["id"], nbf=1735689600, sub="did:example:teacher-1")
    token = forge({"alg": "EdDSA", "typ": "JWT", "kid": f"{ISSUER}#key-1"}, payload, ed_signer.sign)
    assert decode_vc_jwt(token, resolver, now=NOW).credential == credential
    bad = forge({"alg": "EdDSA", "kid": f"{ISSUER}#key-1"}, dict(payload, iss="did:web:x.example"), ed_signer.sign)
    with pytest.raises(JwtError, match="iss"):
        decode_vc_jwt(bad, resolver, now=NOW)


def test_rs256_verify_only() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = jose_jwk.JWK.from_pyca(private)
    public_jwk = json.loads(key.export_public())
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": ISSUER,
        "verificationMethod": [
            {"id": f"{ISSUER}#rsa-1", "type": "JsonWebKey2020", "controller": ISSUER, "publicKeyJwk": public_jwk}
        ],
        "assertionMethod": [f"{ISSUER}#rsa-1"],
    }
    resolver = DidResolver(fetch_json={ISSUER_URL: document}.__getitem__)
    credential = make_credential()
    claims = {"iss": ISSUER, "jti": credential["id"], "sub": "did:example:teacher-1", "nbf": 1735689600}
    claims["vc"] = credential
    signed = jose_jws.JWS(json.dumps(claims).encode())
    signed.add_signature(key, alg="RS256", protected=json.dumps({"alg": "RS256", "typ": "JWT", "kid": "#rsa-1"}))
    token = signed.serialize(compact=True)
    assert decode_vc_jwt(token, resolver, now=NOW).credential == credential

    # The same key may not be used with another RSA algorithm.
    signed = jose_jws.JWS(json.dumps(claims).encode())
    signed.add_signature(key, alg="PS256", protected=json.dumps({"alg": "PS256", "kid": "#rsa-1"}))
    with pytest.raises(JwtError, match="not supported"):
        decode_vc_jwt(signed.serialize(compact=True), resolver, now=NOW)


# ---------------------------------------------------------------- signing-side checks


def test_encode_refuses_inconsistent_input(ed_signer: Ed25519KeyPair) -> None:
    with pytest.raises(JwtError, match="proof"):
        encode_vc_jwt(make_credential(proof={"type": "DataIntegrityProof"}), ed_signer, now=NOW)
    with pytest.raises(JwtError, match="not a key of the issuer"):
        encode_vc_jwt(make_credential(issuer="did:web:other.example"), ed_signer, now=NOW)
    no_issuer = make_credential()
    del no_issuer["issuer"]
    with pytest.raises(JwtError, match="issuer"):
        encode_vc_jwt(no_issuer, ed_signer, now=NOW)
    with pytest.raises(JwtError, match="DER"):
        encode_vc_jwt(make_credential(), DerP256Signer(ISSUER), now=NOW)


# ---------------------------------------------------------------- attacks and inconsistencies


def test_tampered_payload_fails(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    token = encode_vc_jwt(make_credential(), ed_signer, now=NOW)
    header_b64, _, signature_b64 = token.split(".")
    claims = split(token)[1]
    claims["vc"]["name"] = "Something Else"
    tampered = f"{header_b64}.{base64url_encode(json.dumps(claims).encode())}.{signature_b64}"
    with pytest.raises(JwtError, match="signature"):
        decode_vc_jwt(tampered, resolver, now=NOW)


def test_alg_none_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    for alg in ("none", "None", "NONE"):
        token = forge({"alg": alg, "typ": "JWT", "kid": f"{ISSUER}#key-1"}, claims)
        with pytest.raises(JwtError, match="none"):
            decode_vc_jwt(token, resolver, now=NOW)


def test_hs256_with_public_key_as_secret_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    """The classic confusion: HMAC keyed with bytes the attacker knows — the issuer's public key."""
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    header = {"alg": "HS256", "typ": "JWT", "kid": f"{ISSUER}#key-1"}
    for secret in (ed_signer.public_key.raw, json.dumps(ed_signer.public_key.to_jwk()).encode()):
        token = forge(header, claims, lambda data, s=secret: hmac.new(s, data, hashlib.sha256).digest())
        with pytest.raises(JwtError, match="HMAC"):
            decode_vc_jwt(token, resolver, now=NOW)


@pytest.mark.parametrize(
    "extra",
    [
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
        {"x5c": ["MIIB..."]},
        {"crit": ["exp"], "exp": 0},
    ],
)
def test_key_by_reference_headers_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver, extra: dict) -> None:
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    token = forge({"alg": "EdDSA", "typ": "JWT", "kid": f"{ISSUER}#key-1", **extra}, claims, ed_signer.sign)
    with pytest.raises(JwtError, match="not accepted"):
        decode_vc_jwt(token, resolver, now=NOW)


def test_embedded_jwk_must_be_the_resolved_key(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    attacker = Ed25519KeyPair.generate()
    token = forge(
        {"alg": "EdDSA", "kid": f"{ISSUER}#key-1", "jwk": attacker.public_key.to_jwk()}, claims, attacker.sign
    )
    with pytest.raises(JwtError, match="embedded jwk"):
        decode_vc_jwt(token, resolver, now=NOW)
    # The issuer's own key embedded alongside kid is fine.
    own = {"alg": "EdDSA", "kid": f"{ISSUER}#key-1", "jwk": ed_signer.public_key.to_jwk()}
    token = forge(own, claims, ed_signer.sign)
    assert decode_vc_jwt(token, resolver, now=NOW).verification_method == f"{ISSUER}#key-1"


def test_missing_kid_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    token = forge({"alg": "EdDSA", "jwk": ed_signer.public_key.to_jwk()}, claims, ed_signer.sign)
    with pytest.raises(JwtError, match="no kid"):
        decode_vc_jwt(token, resolver, now=NOW)


def test_key_not_under_assertion_method_rejected(ed_signer: Ed25519KeyPair) -> None:
    document = did_web_document(ISSUER, [ed_signer.public_key], key_ids=["key-1"], assertion=False)
    resolver = DidResolver(fetch_json={ISSUER_URL: document}.__getitem__)
    token = encode_vc_jwt(make_credential(), ed_signer, now=NOW)
    with pytest.raises(JwtError, match="assertionMethod"):
        decode_vc_jwt(token, resolver, now=NOW)


def test_kid_from_another_did_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    attacker = Ed25519KeyPair.generate()
    attacker_did = did_key_from_public(attacker.public_key)
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    token = forge({"alg": "EdDSA", "kid": attacker.bound(attacker_did).verification_method}, claims, attacker.sign)
    with pytest.raises(JwtError, match="not of the issuer"):
        decode_vc_jwt(token, resolver, now=NOW)


def test_wrong_alg_for_key_type_rejected(
    ed_signer: Ed25519KeyPair, p256_signer: P256Signer, resolver: DidResolver
) -> None:
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    # ES256 header naming the Ed25519 key (signed with the P-256 key: still refused before any crypto).
    token = forge({"alg": "ES256", "kid": f"{ISSUER}#key-1"}, claims, p256_signer.sign)
    with pytest.raises(JwtError, match="does not match the Ed25519 key"):
        decode_vc_jwt(token, resolver, now=NOW)
    token = forge({"alg": "EdDSA", "kid": f"{ISSUER}#p256"}, claims, ed_signer.sign)
    with pytest.raises(JwtError, match="does not match the P-256 key"):
        decode_vc_jwt(token, resolver, now=NOW)


def test_signature_by_other_key_of_issuer_rejected(
    ed_signer: Ed25519KeyPair, resolver: DidResolver
) -> None:
    other = Ed25519KeyPair.generate()
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    token = forge({"alg": "EdDSA", "kid": f"{ISSUER}#key-1"}, claims, other.sign)
    with pytest.raises(JwtError, match="signature"):
        decode_vc_jwt(token, resolver, now=NOW)


def test_expired_and_not_yet_valid(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    token = encode_vc_jwt(make_credential(), ed_signer, now=datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(JwtError, match="expired"):
        decode_vc_jwt(token, resolver, now=datetime(2026, 1, 1, 0, 5, tzinfo=UTC))
    with pytest.raises(JwtError, match="not yet valid"):
        decode_vc_jwt(token, resolver, now=datetime(2024, 12, 31, 23, 55, tzinfo=UTC))
    # Within the leeway both edges still pass.
    decode_vc_jwt(token, resolver, now=datetime(2025, 12, 31, 23, 59, 30, tzinfo=UTC) + timedelta(seconds=45))
    decode_vc_jwt(token, resolver, now=datetime(2024, 12, 31, 23, 59, 30, tzinfo=UTC))


def test_iat_in_the_future_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    token = encode_vc_jwt(make_credential(), ed_signer, now=NOW + timedelta(days=1))
    with pytest.raises(JwtError, match="iat"):
        decode_vc_jwt(token, resolver, now=NOW)


@pytest.mark.parametrize(
    ("claim", "value", "message"),
    [
        ("iss", "did:web:evil.example", "iss"),
        ("jti", "urn:uuid:other", "jti"),
        ("sub", "did:example:someone-else", "sub"),
        ("nbf", 1704067200, "nbf"),
        ("exp", 1893456000, "exp"),
        ("nbf", "2025-01-01", "NumericDate"),
    ],
)
def test_claims_must_match_the_credential(
    ed_signer: Ed25519KeyPair, resolver: DidResolver, claim: str, value: Any, message: str
) -> None:
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    claims[claim] = value
    token = forge({"alg": "EdDSA", "typ": "JWT", "kid": f"{ISSUER}#key-1"}, claims, ed_signer.sign)
    with pytest.raises(JwtError, match=message):
        decode_vc_jwt(token, resolver, now=NOW)


def test_issuer_mismatch_in_vc_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    """The vc names another issuer while iss and kid name ours: refused (kid must be the vc issuer's)."""
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    claims["vc"]["issuer"]["id"] = "did:web:victim.example"
    token = forge({"alg": "EdDSA", "typ": "JWT", "kid": f"{ISSUER}#key-1"}, claims, ed_signer.sign)
    with pytest.raises(JwtError, match="issuer"):
        decode_vc_jwt(token, resolver, now=NOW)


def test_missing_iss_rejected_for_vc_claim(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    del claims["iss"]
    token = forge({"alg": "EdDSA", "kid": f"{ISSUER}#key-1"}, claims, ed_signer.sign)
    with pytest.raises(JwtError, match="no iss"):
        decode_vc_jwt(token, resolver, now=NOW)


@pytest.mark.parametrize("typ", ["vp+jwt", "at+jwt", "dc+sd-jwt", 5])
def test_other_token_types_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver, typ: Any) -> None:
    claims = split(encode_vc_jwt(make_credential(), ed_signer, now=NOW))[1]
    token = forge({"alg": "EdDSA", "typ": typ, "kid": f"{ISSUER}#key-1"}, claims, ed_signer.sign)
    with pytest.raises(JwtError, match="typ"):
        decode_vc_jwt(token, resolver, now=NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d.e",
        "eyJhbGciOiJFZERTQSJ9.e30.!!!",
        base64url_encode(b"[1]") + ".e30.AA",
        base64url_encode(b'{"alg":"EdDSA","alg":"none"}') + ".e30.AA",
    ],
)
def test_malformed_tokens_rejected(token: str, resolver: DidResolver) -> None:
    with pytest.raises(JwtError):
        decode_vc_jwt(token, resolver, now=NOW)


def test_payload_that_is_not_a_credential_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    token = forge({"alg": "EdDSA", "kid": f"{ISSUER}#key-1"}, {"iss": ISSUER, "sub": "x"}, ed_signer.sign)
    with pytest.raises(JwtError, match="neither"):
        decode_vc_jwt(token, resolver, now=NOW)
    token = forge({"alg": "EdDSA", "kid": f"{ISSUER}#key-1"}, {"iss": ISSUER, "vp": {}}, ed_signer.sign)
    with pytest.raises(JwtError, match="presentation"):
        decode_vc_jwt(token, resolver, now=NOW)


def test_unresolvable_issuer_reported_as_jwt_error(ed_signer: Ed25519KeyPair) -> None:
    token = encode_vc_jwt(make_credential(), ed_signer, now=NOW)
    with pytest.raises(JwtError, match="cannot resolve kid"):
        decode_vc_jwt(token, DidResolver(), now=NOW)


def test_naive_now_rejected(ed_signer: Ed25519KeyPair, resolver: DidResolver) -> None:
    token = encode_vc_jwt(make_credential(), ed_signer, now=NOW)
    with pytest.raises(JwtError, match="timezone"):
        decode_vc_jwt(token, resolver, now=datetime(2025, 6, 1))


def test_unbound_signer_rejected() -> None:
    with pytest.raises(JwtError, match="verification method"):
        encode_vc_jwt(make_credential(), Ed25519KeyPair.generate(), now=NOW)


# ---------------------------------------------------------------- algorithm confusion, keys from did:jwk


def did_jwk(public_jwk: dict[str, Any]) -> str:
    return "did:jwk:" + base64url_encode(json.dumps(public_jwk).encode())


def jwk_claims(issuer: str) -> dict[str, Any]:
    credential = make_credential(issuer)
    return {"iss": issuer, "jti": credential["id"], "sub": "did:example:teacher-1", "nbf": 1735689600, "vc": credential}


@pytest.fixture(scope="module")
def rsa_key() -> jose_jwk.JWK:
    return jose_jwk.JWK.from_pyca(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def test_rs256_ed25519_and_p256_keys_from_did_jwk(rsa_key: jose_jwk.JWK, ed_signer: Ed25519KeyPair,
                                                  p256_signer: P256Signer) -> None:
    rsa_did = did_jwk(json.loads(rsa_key.export_public()))
    signed = jose_jws.JWS(json.dumps(jwk_claims(rsa_did)).encode())
    signed.add_signature(rsa_key, alg="RS256", protected=json.dumps({"alg": "RS256", "typ": "JWT", "kid": f"{rsa_did}#0"}))
    assert decode_vc_jwt(signed.serialize(compact=True), DidResolver(), now=NOW).verification_method == f"{rsa_did}#0"
    for key, alg, sign in ((ed_signer.public_key, "EdDSA", ed_signer.sign), (p256_signer.public_key, "ES256", p256_signer.sign)):
        did = did_jwk(key.to_jwk())
        # A bare did:jwk names its only key, #0.
        token = forge({"alg": alg, "typ": "JWT", "kid": did}, jwk_claims(did), sign)
        assert decode_vc_jwt(token, DidResolver(), now=NOW).verification_method == f"{did}#0"


def test_an_rsa_public_key_used_as_an_hmac_secret_is_refused(rsa_key: jose_jwk.JWK) -> None:
    """The classic confusion on RS256: HS256 keyed with the issuer's public key, in every form an attacker has."""
    public_jwk = json.loads(rsa_key.export_public())
    did = did_jwk(public_jwk)
    pem = rsa_key.export_to_pem()  # the public key, PEM: what a vulnerable library would take as the HMAC secret
    for alg, digest in (("HS256", hashlib.sha256), ("HS384", hashlib.sha384), ("hs512", hashlib.sha512)):
        for secret in (pem, json.dumps(public_jwk).encode(), base64url_decode(public_jwk["n"])):
            token = forge({"alg": alg, "typ": "JWT", "kid": f"{did}#0"}, jwk_claims(did),
                          lambda data, s=secret, d=digest: hmac.new(s, data, d).digest())
            with pytest.raises(JwtError, match="HMAC"):
                decode_vc_jwt(token, DidResolver(), now=NOW)


def test_a_signature_of_another_algorithm_than_the_key_is_refused(
    rsa_key: jose_jwk.JWK, ed_signer: Ed25519KeyPair, p256_signer: P256Signer
) -> None:
    ed_did, p256_did = did_jwk(ed_signer.public_key.to_jwk()), did_jwk(p256_signer.public_key.to_jwk())
    rsa_did = did_jwk(json.loads(rsa_key.export_public()))
    rsa_sign = rsa_key.get_op_key("sign")
    cases = [
        # ES256 signature (by a P-256 key) presented as the EdDSA key's
        (ed_did, "ES256", p256_signer.sign, "does not match the Ed25519 key"),
        # EdDSA signature presented as the P-256 key's
        (p256_did, "EdDSA", ed_signer.sign, "does not match the P-256 key"),
        # RS256 signature under an EC key, and an ES256 one under the RSA key
        (p256_did, "RS256", lambda d: rsa_sign.sign(d, padding.PKCS1v15(), hashes.SHA256()), "does not match the P-256 key"),
        (rsa_did, "ES256", p256_signer.sign, "does not match the RSA key"),
        (rsa_did, "EdDSA", ed_signer.sign, "does not match the RSA key"),
    ]
    for did, alg, sign, reason in cases:
        token = forge({"alg": alg, "typ": "JWT", "kid": f"{did}#0"}, jwk_claims(did), sign)
        with pytest.raises(JwtError, match=reason):
            decode_vc_jwt(token, DidResolver(), now=NOW)
    # Other algorithms over the same keys are not accepted at all (one algorithm per key type).
    for alg in ("PS256", "ES384", "ES256K", "RS512", "Ed25519"):
        token = forge({"alg": alg, "typ": "JWT", "kid": f"{rsa_did}#0"}, jwk_claims(rsa_did), ed_signer.sign)
        with pytest.raises(JwtError, match="not supported"):
            decode_vc_jwt(token, DidResolver(), now=NOW)


@pytest.mark.parametrize("jwk", [
    {"kty": "oct", "k": "c2VjcmV0", "alg": "HS256"},  # a symmetric key: anyone who reads the DID can sign
    {"kty": "EC", "crv": "P-256", "alg": "HS256"},  # a key that says it is for HMAC
    {"kty": "OKP", "crv": "Ed25519", "use": "enc"},  # an encryption key
    {"kty": "OKP", "crv": "Ed25519", "d": "leaked"},  # a published private key
])
def test_did_jwk_keys_that_may_not_sign_are_refused(ed_signer: Ed25519KeyPair, p256_signer: P256Signer,
                                                    jwk: dict[str, Any]) -> None:
    base = ed_signer.public_key.to_jwk() if jwk.get("crv") == "Ed25519" else p256_signer.public_key.to_jwk()
    public = {**base, **jwk} if jwk["kty"] != "oct" else jwk
    did = did_jwk(public)
    token = forge({"alg": "EdDSA", "typ": "JWT", "kid": f"{did}#0"}, jwk_claims(did), ed_signer.sign)
    with pytest.raises(JwtError):
        decode_vc_jwt(token, DidResolver(), now=NOW)
