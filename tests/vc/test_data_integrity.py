"""eddsa-rdfc-2022 proofs: the published vectors byte for byte, proof sets and chains, purpose and dates."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from mcbadge.vc.canon import Canonicalizer
from mcbadge.vc.data_integrity import create_proof, sign_credential, verify_proofs
from mcbadge.vc.dids import DidResolver, did_key_from_public
from mcbadge.vc.errors import CanonicalizationError, DidResolutionError
from mcbadge.vc.keys import Ed25519KeyPair, decode_multikey

from tests.factories.credentials import rich_credential
from tests.reference_data import (
    EDDSA,
    OB_CREATED,
    OB_ISSUER,
    OB_PROOF_VALUE,
    OB_SECRET,
    examples_loader,
    ob_vector_credential,
    read_json,
)



def now() -> datetime:
    # The clock at the moment of use: the whole suite runs for minutes, and signatures are made "now".
    return datetime.now(timezone.utc)


def _did_key_resolver(vm: str, purpose: str):
    return DidResolver().resolve_verification_method(vm).public_key


@pytest.fixture(scope="module")
def canon() -> Canonicalizer:
    return Canonicalizer(examples_loader(), allow_vocab=True)


@pytest.mark.parametrize("folder, unsigned", [("", "unsigned.json"), ("employ/", "employ/employmentAuth.json")])
def test_w3c_vectors_signed_byte_exact(canon, folder, unsigned):
    key_pair = read_json(EDDSA / "keyPair.json")
    config = read_json(EDDSA / f"{folder}proofConfigDataInt.json")
    did = config["verificationMethod"].split("#")[0]
    signer = Ed25519KeyPair.from_private_multibase(key_pair["privateKeyMultibase"], did)
    created = datetime.fromisoformat(config["created"].replace("Z", "+00:00"))
    signed = sign_credential(read_json(EDDSA / unsigned), signer, created=created, canonicalizer=canon)
    assert signed == read_json(EDDSA / f"{folder}signedDataInt.json")
    assert signed["proof"]["proofValue"] == (EDDSA / f"{folder}sigBTC58DataInt.txt").read_text().strip()


def test_w3c_vector_verifies(canon):
    signed = read_json(EDDSA / "signedDataInt.json")
    [check] = verify_proofs(signed, _did_key_resolver, now=now(), canonicalizer=canon)
    assert check.verified, check.reason


def test_ob_vector_signed_byte_exact():
    signer = Ed25519KeyPair.from_private_multibase(OB_SECRET, OB_ISSUER)
    created = datetime.fromisoformat(OB_CREATED.replace("Z", "+00:00"))
    proof = create_proof(ob_vector_credential(), signer, created=created)
    assert proof["proofValue"] == OB_PROOF_VALUE
    assert proof["verificationMethod"] == "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


@pytest.fixture
def issuer():
    key = Ed25519KeyPair.generate()
    return key.bound(did_key_from_public(key.public_key))


def test_round_trip_and_tamper(issuer):
    signed = sign_credential(rich_credential(issuer_id=issuer.controller), issuer)
    assert [c.verified for c in verify_proofs(signed, _did_key_resolver, now=now())] == [True]
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["result"][0]["achievedLevel"] = tampered["credentialSubject"]["result"][1]["achievedLevel"]
    [check] = verify_proofs(tampered, _did_key_resolver, now=now())
    assert not check.verified and "does not match" in check.reason


class _CountingCanonicalizer(Canonicalizer):
    def __init__(self) -> None:
        super().__init__()
        self.documents: list[dict] = []

    def canonicalize(self, document):  # noqa: ANN001, ANN201 - the parent's signature
        self.documents.append(document)
        return super().canonicalize(document)


def test_a_proof_configuration_is_canonicalized_once_per_key_and_second(issuer):
    """Signing many credentials in one second with one key (a bulk award) canonicalizes their shared proof
    configuration once; another ``created`` is another configuration, and every signature verifies."""
    canon = _CountingCanonicalizer()
    created = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    signed = [sign_credential(rich_credential(issuer_id=issuer.controller, credential_id=f"urn:example:{n}"),
                              issuer, created=created, canonicalizer=canon) for n in ("a", "b")]
    signed.append(sign_credential(rich_credential(issuer_id=issuer.controller), issuer,
                                  created=created + timedelta(seconds=1), canonicalizer=canon))
    configs = [d for d in canon.documents if "proofPurpose" in d]
    assert [c["created"] for c in configs] == ["2024-05-01T12:00:00Z", "2024-05-01T12:00:01Z"]
    assert len(canon.documents) == 5  # three credentials, two proof configurations
    for document in signed:
        assert [c.verified for c in verify_proofs(document, _did_key_resolver, now=now())] == [True]


def test_proof_set_every_proof_verifies(issuer):
    second = Ed25519KeyPair.generate()
    second = second.bound(did_key_from_public(second.public_key))
    doc = sign_credential(sign_credential(rich_credential(issuer_id=issuer.controller), issuer), second)
    assert isinstance(doc["proof"], list) and len(doc["proof"]) == 2
    assert [c.verified for c in verify_proofs(doc, _did_key_resolver, now=now())] == [True, True]


def test_proof_chain_signs_the_previous_proof(issuer):
    unsigned = rich_credential(issuer_id=issuer.controller)
    proof1 = create_proof(unsigned, issuer, proof_id="urn:uuid:3f4e0a3e-5b4e-4c1e-9d0e-000000000001")
    endorser = Ed25519KeyPair.generate()
    endorser = endorser.bound(did_key_from_public(endorser.public_key))
    with_first = {**unsigned, "proof": proof1}
    proof2 = create_proof(with_first, endorser, previous_proof=proof1["id"])
    chained = {**unsigned, "proof": [proof1, proof2]}
    results = verify_proofs(chained, _did_key_resolver, now=now())
    assert [r.verified for r in results] == [True, True]
    # Dropping the earlier proof breaks the chain.
    broken = {**unsigned, "proof": [proof2]}
    assert "previousProof names a proof" in verify_proofs(broken, _did_key_resolver, now=now())[0].reason
    # Swapping in another earlier proof under the same id breaks the signature.
    other = create_proof({**unsigned, "name": "Other"}, issuer, proof_id=proof1["id"])
    swapped = {**unsigned, "proof": [other, proof2]}
    assert not verify_proofs(swapped, _did_key_resolver, now=now())[1].verified


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda p: p.__setitem__("proofPurpose", "authentication"), "proofPurpose"),
        (lambda p: p.__setitem__("cryptosuite", "ecdsa-rdfc-2019"), "cryptosuite"),
        (lambda p: p.__setitem__("cryptosuite", "eddsa-jcs-2022"), "cryptosuite"),
        (lambda p: p.__setitem__("type", "Ed25519Signature2020"), "proof type"),
        (lambda p: p.__setitem__("created", "yesterday"), "not a valid date-time"),
        (lambda p: p.__setitem__("created", "2999-01-01T00:00:00Z"), "in the future"),
        (lambda p: p.__setitem__("expires", "2020-01-01T00:00:00Z"), "expired"),
        (lambda p: p.__setitem__("proofValue", "zzzz"), "64-byte"),
        (lambda p: p.__setitem__("proofValue", "u" + "A" * 86), "base58btc"),
        (lambda p: p.pop("verificationMethod"), "verificationMethod"),
    ],
)
def test_proof_options_are_checked(issuer, change, reason):
    signed = sign_credential(rich_credential(issuer_id=issuer.controller), issuer)
    change(signed["proof"])
    [check] = verify_proofs(signed, _did_key_resolver, now=now())
    assert not check.verified and reason in check.reason


def test_unresolvable_key_is_an_issuer_key_failure(issuer):
    signed = sign_credential(rich_credential(issuer_id=issuer.controller), issuer)

    def refuse(vm, purpose):
        raise DidResolutionError("cannot resolve")

    [check] = verify_proofs(signed, refuse, now=now())
    assert not check.verified and check.code == "issuer_key"


def test_signing_refuses_undefined_terms(issuer):
    doc = rich_credential(issuer_id=issuer.controller)
    doc["secretNote"] = "not in any context"
    with pytest.raises(CanonicalizationError, match="secretNote"):
        sign_credential(doc, issuer)


def test_expires_and_created_are_signed(issuer):
    day = datetime(2026, 11, 23, tzinfo=timezone.utc)
    proof = create_proof(rich_credential(issuer_id=issuer.controller), issuer, created=day - timedelta(days=1),
                         expires=day + timedelta(days=1))
    assert proof["created"] == "2026-11-22T00:00:00Z" and proof["expires"] == "2026-11-24T00:00:00Z"
    assert decode_multikey(issuer.public_multibase).raw == issuer.public_key.raw


def test_signature_cache_keyed_by_the_callers_document_key(issuer):
    """With ``document_key``, a signature is remembered per (exact document, which proof, key): another key is
    checked afresh (and fails), and the proof's dates are checked at every call, remembered or not."""
    signed = sign_credential(rich_credential(issuer_id=issuer.controller), issuer)
    cache: dict[bytes, bool] = {}
    key = b"\x01" * 32  # the caller's digest of the exact document
    assert verify_proofs(signed, _did_key_resolver, now=now(), signature_cache=cache, document_key=key)[0].verified
    assert len(cache) == 1
    other = Ed25519KeyPair.generate()
    [check] = verify_proofs(signed, lambda vm, purpose: other.public_key, now=now(), signature_cache=cache,
                            document_key=key)
    assert not check.verified and "does not match" in check.reason
    # The same key for a document whose proof expired: the dates are checked before the cache is consulted.
    created = datetime.fromisoformat(signed["proof"]["created"].replace("Z", "+00:00"))
    [check] = verify_proofs({**signed, "proof": {**signed["proof"], "expires": signed["proof"]["created"]}},
                            _did_key_resolver, now=created + timedelta(days=1), signature_cache=cache,
                            document_key=key)
    assert not check.verified and "expired" in check.reason


def test_w3c_ecdsa_rdfc_2019_vector_verifies(canon):
    """The W3C vc-di-ecdsa P-256 vector (another implementation's signature): valid as published, and not
    once altered or relabelled as another suite."""
    signed = read_json(EDDSA.parent / "ecdsa-rdfc-2019-p256" / "signedECDSAP256.json")
    [check] = verify_proofs(signed, _did_key_resolver, now=now(), canonicalizer=canon)
    assert check.verified and check.suite == "ecdsa-rdfc-2019", check.reason
    altered = {**signed, "name": "Another Credential"}
    [check] = verify_proofs(altered, _did_key_resolver, now=now(), canonicalizer=canon)
    assert not check.verified and "altered" in check.reason
    legacy = {**signed, "proof": {**signed["proof"], "type": "Ed25519Signature2020"}}
    legacy["proof"].pop("cryptosuite")
    [check] = verify_proofs(legacy, _did_key_resolver, now=now(), canonicalizer=canon)
    assert not check.verified and "proof type Ed25519Signature2020 needs a Ed25519 verification method" in check.reason
