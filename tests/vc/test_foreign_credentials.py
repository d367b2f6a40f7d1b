"""Credentials made by other implementations, verified here: each Data Integrity suite and JOSE algorithm in
circulation, valid and tampered, and proof sets. The credentials are signed at test time by the pinned Node
packages (interop/: @digitalbazaar/ed25519-signature-2020, ecdsa-rdfc-2019-cryptosuite, eddsa-rdfc-2022-cryptosuite,
jose) with fresh keys whose DIDs (did:key, did:jwk, did:web) are the issuers.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from jwcrypto.common import base64url_decode, base64url_encode

from mcbadge.vc.contexts import CREDENTIALS_V1, OB_V3P0_CONTEXTS
from mcbadge.vc.dids import DidResolver, did_web_to_url
from mcbadge.vc.verify import Outcome, VerificationReport, verify

from tests.factories.credentials import rich_credential
from tests.node_reference import NodeReference, node_reference  # noqa: F401 - session fixture

pytestmark = pytest.mark.node

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
WEB_DID = "did:web:district.example"


def dcc_badge() -> dict[str, Any]:
    """An Open Badge as the Digital Credentials Consortium and early OB 3.0 issuers signed them: VC 1.1, the
    first OB 3.0 context (context.json), the Ed25519Signature2020 suite context."""
    return {
        "@context": [CREDENTIALS_V1, OB_V3P0_CONTEXTS[0], ED25519_2020_CONTEXT],
        "id": "urn:uuid:6b3b2a4c-2f0e-4d7b-9a33-6b1f1b0c2d11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Teaching with Primary Sources",
        "issuer": {"type": ["Profile"], "id": "set by the signer", "name": "Library of Congress TPS Consortium"},
        "issuanceDate": "2022-05-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "achievement": {
                "id": "urn:uuid:9e1d7a0e-4c55-4c6e-8f2a-0f6d1c7b5a10",
                "type": ["Achievement"],
                "name": "Teaching with Primary Sources",
                "description": "Completed the primary-source analysis course for K-12 teachers.",
                "criteria": {"narrative": "Designed and taught three primary-source lessons."},
            },
        },
    }


def unsigned_badge() -> dict[str, Any]:
    """A VC 2.0 Open Badge without a status entry (its status is not what these tests are about)."""
    credential = rich_credential()
    del credential["credentialStatus"]
    return credential


def check(report: VerificationReport, code: str) -> tuple[Outcome, str]:
    found = report.check(code)
    assert found is not None, [c.code for c in report.checks]
    return found.outcome, found.message


@pytest.fixture(scope="module")
def resolver() -> DidResolver:
    return DidResolver(fetch_json=DOCUMENTS.__getitem__)


DOCUMENTS: dict[str, Any] = {}
"""did:web documents the module's tests publish (URL -> DID document), read by ``resolver``."""


def verified(credential: Any, resolver: DidResolver) -> VerificationReport:
    return verify(credential, resolver=resolver, now=datetime.now(timezone.utc))  # after the signing, whenever it ran


# -- Ed25519Signature2020 on VC 1.1 ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dcc(node_reference: NodeReference) -> dict[str, Any]:
    return node_reference.issue_with("Ed25519Signature2020", dcc_badge())


def test_an_ed25519_signature_2020_badge_verifies(dcc: dict[str, Any], resolver: DidResolver) -> None:
    credential = dcc["credential"]
    assert credential["proof"]["type"] == "Ed25519Signature2020" and credential["issuer"]["id"].startswith("did:key:")
    report = verified(credential, resolver)
    assert report.verified, report.summary
    outcome, message = check(report, "proof")
    assert outcome is Outcome.PASSED and "Ed25519Signature2020 signature is valid" in message
    assert report.check("proof").details["suites"] == ["Ed25519Signature2020"]  # type: ignore[union-attr]
    # The published OB 3.0 schema is for VC 2.0: a VC 1.1 badge is not held to it, and says so.
    assert check(report, "schema")[0] is Outcome.NOT_CHECKED
    assert check(report, "validity") == (Outcome.PASSED, "valid since 2022-05-01T00:00:00Z with no end date")


@pytest.mark.parametrize("tamper", [
    lambda c: c["credentialSubject"]["achievement"].__setitem__("name", "Teaching with Secondary Sources"),
    lambda c: c.__setitem__("issuanceDate", "2021-05-01T00:00:00Z"),
    lambda c: c["proof"].__setitem__("created", "2020-01-01T00:00:00Z"),
])
def test_a_tampered_ed25519_signature_2020_badge_fails(dcc: dict[str, Any], resolver: DidResolver, tamper: Any) -> None:
    credential = copy.deepcopy(dcc["credential"])
    tamper(credential)
    report = verified(credential, resolver)
    assert check(report, "proof")[0] is Outcome.FAILED and not report.verified


def test_an_ed25519_signature_2020_proof_needs_its_suite_context(dcc: dict[str, Any], resolver: DidResolver) -> None:
    credential = copy.deepcopy(dcc["credential"])
    credential["@context"] = credential["@context"][:2]  # the proof's terms are then undefined
    report = verified(credential, resolver)
    outcome, message = check(report, "proof")
    assert outcome is Outcome.FAILED and "cannot be canonicalized" in message and not report.verified


# -- ecdsa-rdfc-2019 (P-256) ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ecdsa(node_reference: NodeReference) -> dict[str, Any]:
    return node_reference.issue_with("ecdsa-rdfc-2019", unsigned_badge())


def test_an_ecdsa_rdfc_2019_badge_verifies_with_a_did_key(ecdsa: dict[str, Any], resolver: DidResolver) -> None:
    assert ecdsa["did"].startswith("did:key:zDn")
    report = verified(ecdsa["credential"], resolver)
    assert report.verified, report.summary
    assert check(report, "schema")[0] is Outcome.PASSED
    assert "ecdsa-rdfc-2019 signature is valid" in check(report, "proof")[1]


def test_an_ecdsa_rdfc_2019_badge_verifies_with_a_did_web(node_reference: NodeReference,
                                                          resolver: DidResolver) -> None:
    signed = node_reference.issue_with("ecdsa-rdfc-2019", unsigned_badge(),
                                       did_method={"web": WEB_DID, "fragment": "p256-1"})
    DOCUMENTS[did_web_to_url(WEB_DID)] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": WEB_DID,
        "verificationMethod": [{"id": f"{WEB_DID}#p256-1", "type": "Multikey", "controller": WEB_DID,
                                "publicKeyMultibase": signed["publicKeyMultibase"]}],
        "assertionMethod": [f"{WEB_DID}#p256-1"],
    }
    report = verified(signed["credential"], resolver)
    assert report.verified, report.summary
    assert check(report, "issuer_key") == (
        Outcome.PASSED, f"signed with {WEB_DID}#p256-1, a key the issuer lists for assertionMethod")


def test_a_tampered_ecdsa_rdfc_2019_badge_fails(ecdsa: dict[str, Any], resolver: DidResolver) -> None:
    credential = copy.deepcopy(ecdsa["credential"])
    credential["credentialSubject"]["achievement"]["name"] = "Something Else"
    assert check(verified(credential, resolver), "proof")[0] is Outcome.FAILED
    # A P-256 signature relabelled as eddsa-rdfc-2022 names a key that suite cannot use.
    relabelled = copy.deepcopy(ecdsa["credential"])
    relabelled["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    outcome, message = check(verified(relabelled, resolver), "proof")
    assert outcome is Outcome.FAILED and "needs a Ed25519 verification method" in message


# -- proof sets ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proof_set(node_reference: NodeReference, ecdsa: dict[str, Any]) -> dict[str, Any]:
    """The ecdsa badge with a second proof, eddsa-rdfc-2022, by another key (a co-signer)."""
    return node_reference.issue_with("eddsa-rdfc-2022", ecdsa["credential"], set_issuer=False)


def test_a_proof_set_verifies_when_every_proof_does(proof_set: dict[str, Any], resolver: DidResolver) -> None:
    credential = proof_set["credential"]
    assert [p["cryptosuite"] for p in credential["proof"]] == ["ecdsa-rdfc-2019", "eddsa-rdfc-2022"]
    report = verified(credential, resolver)
    assert report.verified, report.summary
    proof = report.check("proof")
    assert proof is not None and "(2 proofs, all valid)" in proof.message
    assert proof.details["suites"] == ["ecdsa-rdfc-2019", "eddsa-rdfc-2022"]
    assert [row["outcome"] for row in proof.details["proofs"]] == ["passed", "passed"]


def test_a_proof_set_says_which_proof_failed(proof_set: dict[str, Any], resolver: DidResolver) -> None:
    credential = copy.deepcopy(proof_set["credential"])
    value = credential["proof"][1]["proofValue"]
    credential["proof"][1]["proofValue"] = value[:-2] + ("11" if not value.endswith("11") else "22")
    report = verified(credential, resolver)
    outcome, message = check(report, "proof")
    assert outcome is Outcome.FAILED and not report.verified
    assert message.startswith(f"proof 2 of 2 (eddsa-rdfc-2022, {proof_set['verificationMethod']}): "), message
    rows = report.check("proof").details["proofs"]  # type: ignore[union-attr]
    assert [row["outcome"] for row in rows] == ["passed", "failed"]


# -- VC-JWT / VC-JOSE by jose ---------------------------------------------------------------------------------


def jwt_credential() -> dict[str, Any]:
    credential = unsigned_badge()
    credential["validFrom"] = "2025-03-14T15:09:26Z"
    return credential


@pytest.mark.parametrize(("alg", "did_method", "shape"), [
    ("EdDSA", "key", "vc-claim"),
    ("ES256", "key", "vc-claim"),
    ("ES256", "jwk", "credential"),
    ("RS256", "jwk", "vc-claim"),
    ("RS256", "web", "vc-claim"),
])
def test_jose_tokens_verify_and_tampered_ones_fail(node_reference: NodeReference, resolver: DidResolver,
                                                   alg: str, did_method: str, shape: str) -> None:
    did = f"did:web:{alg.lower()}.example"
    method: str | dict[str, str] = {"web": did, "fragment": "key-1"} if did_method == "web" else did_method
    signed = node_reference.jwt_sign(alg, jwt_credential(), did_method=method, shape=shape)
    if did_method == "web":
        DOCUMENTS[did_web_to_url(did)] = {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"], "id": did,
            "verificationMethod": [{"id": f"{did}#key-1", "type": "JsonWebKey", "controller": did,
                                    "publicKeyJwk": signed["publicJwk"]}],
            "assertionMethod": [f"{did}#key-1"],
        }
    assert signed["did"].startswith(f"did:{did_method}:")
    report = verified(signed["token"], resolver)
    assert report.verified, report.summary
    assert report.format == "jwt" and f"JOSE {alg} signature is valid" in check(report, "proof")[1]

    header, payload, signature = signed["token"].split(".")
    claims = json.loads(base64url_decode(payload))
    credential = claims["vc"] if shape == "vc-claim" else claims
    credential["credentialSubject"]["achievement"]["name"] = "Something Else"
    tampered = f"{header}.{base64url_encode(json.dumps(claims).encode())}.{signature}"
    report = verified(tampered, resolver)
    assert not report.verified and check(report, "proof")[0] is Outcome.FAILED
