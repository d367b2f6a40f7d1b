"""OpenID4VCI JWT key proofs (``vc/key_proof.py``): the holder's did:key from a kid or a jwk, and each refusal."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from mcbadge.vc.dids import did_key_from_public
from mcbadge.vc.key_proof import KeyProofError, verify_key_proof
from mcbadge.vc.keys import Ed25519KeyPair, public_key_from_jwk

AUDIENCE = "https://badges.example"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _part(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def ed25519_proof(key: Ed25519KeyPair, *, header: dict[str, Any] | None = None, **claims: Any) -> str:
    did = did_key_from_public(key.public_key)
    head = {"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": f"{did}#{did[8:]}"} if header is None else header
    payload = {"aud": AUDIENCE, "iat": int(NOW.timestamp()), "nonce": "n-1", **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    signing_input = f"{_part(head)}.{_part(payload)}"
    return f"{signing_input}.{base64.urlsafe_b64encode(key.sign(signing_input.encode())).rstrip(b'=').decode()}"


def test_the_holder_is_the_did_key_of_the_proofs_key() -> None:
    key = Ed25519KeyPair.generate()
    did = did_key_from_public(key.public_key)
    assert verify_key_proof(ed25519_proof(key), audience=AUDIENCE, now=NOW).holder == did
    jwk = {"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "jwk": key.public_key.to_jwk()}
    proof = verify_key_proof(ed25519_proof(key, header=jwk), audience=AUDIENCE, now=NOW)
    assert proof.holder == did and proof.nonce == "n-1"
    assert verify_key_proof(ed25519_proof(key, aud=["x", AUDIENCE]), audience=AUDIENCE, now=NOW).holder == did


def test_a_p256_key_proves_with_es256() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

    jwk = {"kty": "EC", "crv": "P-256", "x": b64(numbers.x), "y": b64(numbers.y)}
    signing_input = (f"{_part({'alg': 'ES256', 'typ': 'openid4vci-proof+jwt', 'jwk': jwk})}."
                     f"{_part({'aud': AUDIENCE, 'iat': int(NOW.timestamp()), 'nonce': 'n'})}")
    r, s = decode_dss_signature(private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    token = f"{signing_input}.{base64.urlsafe_b64encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big')).rstrip(b'=').decode()}"
    assert verify_key_proof(token, audience=AUDIENCE, now=NOW).holder == did_key_from_public(public_key_from_jwk(jwk))


KEY = Ed25519KeyPair.generate()
_DID = did_key_from_public(KEY.public_key)


@pytest.mark.parametrize(("token", "reason"), [
    (ed25519_proof(KEY, header={"alg": "EdDSA", "typ": "JWT", "kid": f"{_DID}#{_DID[8:]}"}), "typ"),
    (ed25519_proof(KEY, header={"alg": "none", "typ": "openid4vci-proof+jwt", "kid": f"{_DID}#{_DID[8:]}"}), "alg"),
    (ed25519_proof(KEY, header={"alg": "ES256", "typ": "openid4vci-proof+jwt", "kid": f"{_DID}#{_DID[8:]}"}), "alg"),
    (ed25519_proof(KEY, header={"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": f"{_DID}#{_DID[8:]}",
                                "jwk": KEY.public_key.to_jwk()}), "exactly one"),
    (ed25519_proof(KEY, header={"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": f"{_DID}#{_DID[8:]}",
                                "jku": "https://evil.example/keys"}), "jku"),
    (ed25519_proof(KEY, header={"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": "did:web:evil.example#k"}),
     "did:key"),
    (ed25519_proof(KEY, aud="https://elsewhere.example"), "aud"),
    (ed25519_proof(KEY, iat=int((NOW - timedelta(minutes=6)).timestamp())), "too old"),
    (ed25519_proof(KEY, iat=int((NOW + timedelta(minutes=2)).timestamp())), "future"),
    (ed25519_proof(KEY, nonce=None), "nonce"),
    (ed25519_proof(Ed25519KeyPair.generate(), header={"alg": "EdDSA", "typ": "openid4vci-proof+jwt",
                                                     "kid": f"{_DID}#{_DID[8:]}"}), "signature"),
    ("not.a-jwt", "compact"),
])
def test_refusals(token: str, reason: str) -> None:
    with pytest.raises(KeyProofError, match=reason):
        verify_key_proof(token, audience=AUDIENCE, now=NOW)
