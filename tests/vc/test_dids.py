"""did:key and did:web: identifiers, documents, URL mapping and resolution (no network)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwcrypto import jwk as jose_jwk
from jwcrypto.common import base64url_encode

from mcbadge.vc.contexts import DID_V1, MULTIKEY_V1
from mcbadge.vc.dids import (
    DidResolver,
    TtlCache,
    did_key_document,
    did_key_from_public,
    did_web_document,
    did_web_from_url,
    did_web_to_url,
    find_verification_method,
)
from mcbadge.vc.errors import DidResolutionError, KeyFormatError
from mcbadge.vc.keys import Ed25519KeyPair, PublicKey, RsaPublicKey
from tests.reference_data import VECTORS as VECTOR_DIR

VECTORS = json.loads((VECTOR_DIR / "did-key" / "ed25519-x25519.json").read_text("utf-8"))


def _p256_public() -> PublicKey:
    private = ec.generate_private_key(ec.SECP256R1())
    raw = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    return PublicKey("P-256", raw)


# ---------------------------------------------------------------- did:key


@pytest.mark.parametrize("did", sorted(VECTORS))
def test_did_key_from_seed_matches_vectors(did: str) -> None:
    entry = VECTORS[did]
    pair = Ed25519KeyPair.from_seed(bytes.fromhex(entry["seed"]))
    assert did_key_from_public(pair.public_key) == did


@pytest.mark.parametrize("did", sorted(VECTORS))
def test_did_key_document_matches_vector_structure(did: str) -> None:
    expected = VECTORS[did]["didDocument"]
    document = did_key_document(did)
    assert document["@context"] == [DID_V1, MULTIKEY_V1]
    assert document["id"] == did
    (method,) = document["verificationMethod"]
    # Same verification method id and relationships as the vector (which also lists an X25519
    # keyAgreement key; we do not derive one).
    assert method["id"] == expected["verificationMethod"][0]["id"]
    assert method == {
        "id": method["id"],
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": did.removeprefix("did:key:"),
    }
    for rel in ("authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"):
        assert document[rel] == expected[rel]
    assert "keyAgreement" not in document


@pytest.mark.parametrize("did", sorted(VECTORS))
def test_vector_documents_decode_to_the_seed_key(did: str) -> None:
    """The legacy Ed25519VerificationKey2018 and JsonWebKey2020 representations decode to the same key."""
    entry = VECTORS[did]
    pair = Ed25519KeyPair.from_seed(bytes.fromhex(entry["seed"]))
    method = find_verification_method(entry["didDocument"], entry["didDocument"]["assertionMethod"][0])
    assert method.public_key == pair.public_key
    assert method.relationships == {
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
    }
    x25519 = entry["didDocument"]["keyAgreement"][0]
    with pytest.raises(DidResolutionError):  # X25519 is not a signing key we support
        find_verification_method(entry["didDocument"], x25519)


def test_did_key_round_trip_through_resolver() -> None:
    pair = Ed25519KeyPair.generate()
    did = did_key_from_public(pair.public_key)
    resolver = DidResolver()
    assert resolver.resolve(did) == did_key_document(did)
    method = resolver.resolve_verification_method(f"{did}#{pair.public_multibase}")
    assert method.public_key == pair.public_key
    assert method.controller == did
    assert method.type == "Multikey"
    assert "assertionMethod" in method.relationships
    # A bare did:key names its only key.
    assert resolver.resolve_verification_method(did).id == f"{did}#{pair.public_multibase}"
    # The verification method of a key pair bound to its did:key is what the resolver finds.
    assert pair.bound(did).verification_method == method.id


def test_p256_did_key() -> None:
    key = _p256_public()
    did = did_key_from_public(key)
    assert did.startswith("did:key:zDn")
    method = DidResolver().resolve_verification_method(did)
    assert method.public_key == key


@pytest.mark.parametrize(
    "did",
    [
        "did:key:",
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",  # secp256k1: unsupported
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW",  # truncated
        "did:key:6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",  # no multibase prefix
    ],
)
def test_bad_did_key_rejected(did: str) -> None:
    with pytest.raises(DidResolutionError):
        did_key_document(did)


def test_did_key_of_wrong_fragment_is_not_found() -> None:
    did = did_key_from_public(Ed25519KeyPair.generate().public_key)
    with pytest.raises(DidResolutionError):
        DidResolver().resolve_verification_method(f"{did}#key-1")


# ---------------------------------------------------------------- did:web mapping


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:example.com%3a3000", "https://example.com:3000/.well-known/did.json"),
        ("did:web:Example.COM:issuers:1", "https://example.com/issuers/1/did.json"),
        ("did:web:example.com:a%20b", "https://example.com/a%20b/did.json"),
    ],
)
def test_did_web_to_url(did: str, url: str) -> None:
    assert did_web_to_url(did) == url


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://w3c-ccg.github.io", "did:web:w3c-ccg.github.io"),
        ("https://w3c-ccg.github.io/", "did:web:w3c-ccg.github.io"),
        ("https://w3c-ccg.github.io/user/alice", "did:web:w3c-ccg.github.io:user:alice"),
        ("https://example.com:3000/user/alice/", "did:web:example.com%3A3000:user:alice"),
        ("http://localhost:8000", "did:web:localhost%3A8000"),
        ("https://Badges.Example.org/issuers/42", "did:web:badges.example.org:issuers:42"),
    ],
)
def test_did_web_from_url(url: str, did: str) -> None:
    assert did_web_from_url(url) == did
    assert did_web_to_url(did).startswith("https://")


@pytest.mark.parametrize(
    "did",
    [
        "did:web:",
        "did:web::user",  # empty host
        "did:web:example.com:..:admin",  # traversal
        "did:web:example.com:.",
        "did:web:example.com:%2E%2E:admin",  # encoded traversal
        "did:web:example.com:a%2Fb",  # encoded slash
        "did:web:example.com:a%5Cb",  # encoded backslash
        "did:web:example.com:a%252Fb",  # double encoding
        "did:web:example.com::x",  # empty segment
        "did:web:user%40example.com",  # userinfo
        "did:web:user@example.com",
        "did:web:example.com%2Fevil",  # slash in host
        "did:web:example.com%3A",  # empty port
        "did:web:example.com%3A99999",
        "did:web:example.com%3Aabc",
        "did:web:-example.com",
        "did:web:exa_mple.com",
        "did:web:example.com#key-1",  # a DID URL, not a DID
        "did:web:example.com/path",
        "did:web:example.com?x=1",
        "did:web:example.com:a b",
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
    ],
)
def test_malformed_did_web_rejected(did: str) -> None:
    with pytest.raises(DidResolutionError):
        did_web_to_url(did)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "https://user:pw@example.com",
        "https://user@example.com",
        "https://example.com/a?b=c",
        "https://example.com/a#frag",
        "https://example.com/a/../b",
        "https://example.com//a",
        "https://example.com/a%2Fb",
        "https://",
        "https://[::1]/",
        "not a url",
    ],
)
def test_malformed_base_url_rejected(url: str) -> None:
    with pytest.raises(DidResolutionError):
        did_web_from_url(url)


# ---------------------------------------------------------------- did:web documents and resolution

DID = "did:web:badges.example.org:issuers:1"
DID_URL = "https://badges.example.org/issuers/1/did.json"


def test_did_web_document_shape() -> None:
    current, old = Ed25519KeyPair.generate().public_key, _p256_public()
    document = did_web_document(DID, [current, old], key_ids=["key-2", None])
    assert document["@context"] == [DID_V1, MULTIKEY_V1]
    assert document["id"] == DID
    assert document["verificationMethod"] == [
        {"id": f"{DID}#key-2", "type": "Multikey", "controller": DID, "publicKeyMultibase": current.multibase},
        {
            "id": f"{DID}#{old.multibase}",
            "type": "Multikey",
            "controller": DID,
            "publicKeyMultibase": old.multibase,
        },
    ]
    assert document["assertionMethod"] == [f"{DID}#key-2", f"{DID}#{old.multibase}"]
    assert document["authentication"] == document["assertionMethod"]
    only_auth = did_web_document(DID, [current], assertion=False)
    assert "assertionMethod" not in only_auth


def test_did_web_document_rejects_bad_input() -> None:
    key = Ed25519KeyPair.generate().public_key
    with pytest.raises(DidResolutionError):
        did_web_document("did:web:example.com:..", [key])
    with pytest.raises(KeyFormatError):
        did_web_document(DID, [])
    with pytest.raises(KeyFormatError):
        did_web_document(DID, [key, key], key_ids=["k", "#k"])
    with pytest.raises(KeyFormatError):
        did_web_document(DID, [key], key_ids=["a/b"])


def test_did_web_resolution_through_injected_fetcher() -> None:
    pair = Ed25519KeyPair.generate()
    docs = {DID_URL: did_web_document(DID, [pair.public_key], key_ids=["key-1"])}
    resolver = DidResolver(fetch_json=docs.__getitem__)
    assert resolver.resolve(DID) == docs[DID_URL]
    method = resolver.resolve_verification_method(f"{DID}#key-1")
    assert method.public_key == pair.public_key
    assert method.relationships == {"assertionMethod", "authentication"}
    # The returned document is a copy: callers cannot change what the next caller sees.
    resolver.resolve(DID)["verificationMethod"].clear()
    assert resolver.resolve(DID)["verificationMethod"]


def test_a_remembered_method_follows_changes_to_its_document() -> None:
    # The resolver remembers decoded methods; the issuer's current document always decides.
    old, new = Ed25519KeyPair.generate(), Ed25519KeyPair.generate()
    served = {DID_URL: did_web_document(DID, [old.public_key], key_ids=["key-1"])}
    resolver = DidResolver(fetch_json=lambda url: json.loads(json.dumps(served[url])))
    assert resolver.resolve_verification_method(f"{DID}#key-1").public_key == old.public_key
    assert resolver.resolve_verification_method(f"{DID}#key-1").public_key == old.public_key
    served[DID_URL] = did_web_document(DID, [new.public_key], key_ids=["key-1"])  # same id, another key
    assert resolver.resolve_verification_method(f"{DID}#key-1").public_key == new.public_key
    served[DID_URL]["assertionMethod"] = []  # withdrawn from assertionMethod
    assert resolver.resolve_verification_method(f"{DID}#key-1").relationships == {"authentication"}
    served[DID_URL]["verificationMethod"] = []
    served[DID_URL]["authentication"] = []
    with pytest.raises(DidResolutionError, match="not in the DID document"):
        resolver.resolve_verification_method(f"{DID}#key-1")


def test_did_web_without_fetcher() -> None:
    with pytest.raises(DidResolutionError, match="needs a fetcher"):
        DidResolver().resolve(DID)


def test_did_web_fetch_failures_become_resolution_errors() -> None:
    with pytest.raises(DidResolutionError, match="cannot fetch"):
        DidResolver(fetch_json={}.__getitem__).resolve(DID)

    def broken(url: str) -> dict:
        raise OSError("connection refused")

    with pytest.raises(DidResolutionError, match="connection refused"):
        DidResolver(fetch_json=broken).resolve(DID)
    with pytest.raises(DidResolutionError, match="JSON object"):
        DidResolver(fetch_json=lambda url: ["not", "a", "document"]).resolve(DID)


def test_did_web_id_mismatch_rejected() -> None:
    pair = Ed25519KeyPair.generate()
    other = did_web_document("did:web:evil.example", [pair.public_key])
    resolver = DidResolver(fetch_json={DID_URL: other}.__getitem__)
    with pytest.raises(DidResolutionError, match="expected"):
        resolver.resolve(DID)


def test_unsupported_method_rejected() -> None:
    with pytest.raises(DidResolutionError, match="unsupported DID method"):
        DidResolver().resolve("did:example:123")
    with pytest.raises(DidResolutionError):
        DidResolver().resolve("https://example.com")


def _resolver_for(document: dict) -> DidResolver:
    return DidResolver(fetch_json={DID_URL: document}.__getitem__)


def test_relative_ids_embedded_methods_and_relationships() -> None:
    auth_key, assert_key = Ed25519KeyPair.generate().public_key, Ed25519KeyPair.generate().public_key
    document = {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": DID,
        "verificationMethod": [
            {"id": "#auth", "type": "Multikey", "controller": DID, "publicKeyMultibase": auth_key.multibase}
        ],
        "authentication": ["#auth"],
        "assertionMethod": [
            {
                "id": f"{DID}#signing",
                "type": "Ed25519VerificationKey2020",
                "controller": DID,
                "publicKeyMultibase": assert_key.multibase,
            }
        ],
    }
    resolver = _resolver_for(document)
    auth = resolver.resolve_verification_method(f"{DID}#auth")
    assert auth.id == f"{DID}#auth"
    assert auth.relationships == {"authentication"}
    signing = resolver.resolve_verification_method(f"{DID}#signing")
    assert signing.public_key == assert_key
    assert signing.relationships == {"assertionMethod"}


def test_controller_must_be_the_did() -> None:
    key = Ed25519KeyPair.generate().public_key
    document = did_web_document(DID, [key], key_ids=["key-1"])
    document["verificationMethod"][0]["controller"] = "did:web:someone-else.example"
    with pytest.raises(DidResolutionError, match="controlled by"):
        _resolver_for(document).resolve_verification_method(f"{DID}#key-1")


def test_ambiguous_or_mixed_methods_rejected() -> None:
    key, other = Ed25519KeyPair.generate().public_key, Ed25519KeyPair.generate().public_key
    document = did_web_document(DID, [key], key_ids=["key-1"])
    document["assertionMethod"].append(
        {"id": "#key-1", "type": "Multikey", "controller": DID, "publicKeyMultibase": other.multibase}
    )
    with pytest.raises(DidResolutionError, match="more than once"):
        _resolver_for(document).resolve_verification_method(f"{DID}#key-1")

    document = did_web_document(DID, [key], key_ids=["key-1"])
    document["verificationMethod"][0]["publicKeyJwk"] = other.to_jwk()
    with pytest.raises(DidResolutionError, match="exactly one"):
        _resolver_for(document).resolve_verification_method(f"{DID}#key-1")


@pytest.mark.parametrize("vm_type", ["JsonWebKey", "JsonWebKey2020"])
def test_json_web_key_methods(vm_type: str) -> None:
    ed, p256 = Ed25519KeyPair.generate().public_key, _p256_public()
    rsa_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_jwk = json.loads(jose_jwk.JWK.from_pyca(rsa_private.public_key()).export_public())
    document = {
        "id": DID,
        "verificationMethod": [
            {"id": "#ed", "type": vm_type, "controller": DID, "publicKeyJwk": ed.to_jwk()},
            {"id": "#p256", "type": vm_type, "controller": DID, "publicKeyJwk": p256.to_jwk()},
            {"id": "#rsa", "type": vm_type, "controller": DID, "publicKeyJwk": rsa_jwk},
        ],
        "assertionMethod": ["#ed", "#p256", "#rsa"],
    }
    resolver = _resolver_for(document)
    assert resolver.resolve_verification_method(f"{DID}#ed").public_key == ed
    # JWK coordinates and the Multikey's compressed point decode to the same PublicKey.
    assert resolver.resolve_verification_method(f"{DID}#p256").public_key == p256
    rsa_key = resolver.resolve_verification_method(f"{DID}#rsa").public_key
    assert isinstance(rsa_key, RsaPublicKey)
    assert rsa_key.n == rsa_private.public_key().public_numbers().n
    assert rsa_key.to_jwk() == {k: rsa_jwk[k] for k in ("kty", "n", "e")}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda jwk: jwk.update(d="AAAA"),  # private key material
        lambda jwk: jwk.update(crv="X25519"),
        lambda jwk: jwk.update(kty="oct"),
        lambda jwk: jwk.update(alg="ES256"),
        lambda jwk: jwk.update(use="enc"),
        lambda jwk: jwk.update(x="too-short"),
    ],
)
def test_bad_jwks_rejected(mutate) -> None:
    jwk = Ed25519KeyPair.generate().public_key.to_jwk()
    mutate(jwk)
    document = {
        "id": DID,
        "verificationMethod": [{"id": "#k", "type": "JsonWebKey", "controller": DID, "publicKeyJwk": jwk}],
        "assertionMethod": ["#k"],
    }
    with pytest.raises(DidResolutionError):
        _resolver_for(document).resolve_verification_method(f"{DID}#k")


def test_short_rsa_key_rejected() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    document = {
        "id": DID,
        "verificationMethod": [
            {
                "id": "#rsa",
                "type": "JsonWebKey2020",
                "controller": DID,
                "publicKeyJwk": json.loads(jose_jwk.JWK.from_pyca(weak.public_key()).export_public()),
            }
        ],
        "assertionMethod": ["#rsa"],
    }
    with pytest.raises(DidResolutionError, match="2048"):
        _resolver_for(document).resolve_verification_method(f"{DID}#rsa")


def test_ttl_cache_expires() -> None:
    clock = [0.0]
    pair = Ed25519KeyPair.generate()
    calls: list[str] = []
    docs = {DID_URL: did_web_document(DID, [pair.public_key])}

    def fetch(url: str) -> dict:
        calls.append(url)
        return docs[url]

    resolver = DidResolver(fetch_json=fetch, cache=TtlCache(ttl_s=10, clock=lambda: clock[0]))
    resolver.resolve(DID)
    resolver.resolve(DID)
    assert len(calls) == 1
    clock[0] = 11
    resolver.resolve(DID)
    assert len(calls) == 2


# --------------------------------------------------------------------------------------------------
# did:jwk
# --------------------------------------------------------------------------------------------------


def test_did_jwk_document_and_resolution() -> None:
    key = _p256_public()
    did = "did:jwk:" + base64url_encode(json.dumps(key.to_jwk()).encode())
    document = DidResolver().resolve(did)
    assert document["id"] == did and document["verificationMethod"][0]["type"] == "JsonWebKey2020"
    assert document["assertionMethod"] == [f"{did}#0"] and "keyAgreement" not in document
    method = DidResolver().resolve_verification_method(did)  # a bare did:jwk names its one key
    assert method.id == f"{did}#0" and method.public_key == key and "assertionMethod" in method.relationships


@pytest.mark.parametrize("suffix", ["", "not base64!", "eyJrdHkiOiJFQyJ9=", "WzFd", "eyJhIjoxLCJhIjoyfQ"])
def test_bad_did_jwk_rejected(suffix: str) -> None:
    # empty, not base64url, padded, a JSON array, duplicate members; then a JWK that is not a key
    with pytest.raises(DidResolutionError):
        DidResolver().resolve_verification_method("did:jwk:" + suffix + "#0")
    with pytest.raises(DidResolutionError):
        DidResolver().resolve_verification_method("did:jwk:eyJrdHkiOiJFQyJ9#0")
