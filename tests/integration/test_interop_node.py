"""Interoperability with the reference implementation (@digitalbazaar/vc + eddsa-rdfc-2022, pinned in interop/).

Both ways: Node verifies what mcbadge signs, mcbadge verifies what Node signs, and a tampered copy fails in
both. Also the awkward inputs where implementations drift apart: control characters, non-ASCII text,
numbers like 4.0.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest

from mcbadge.vc.canon import canonicalize
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import DidResolver, did_key_from_public, did_web_document
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.verify import Outcome, verify

from tests.factories.credentials import rich_credential
from tests.node_reference import node_reference  # noqa: F401 - the session fixture

pytestmark = pytest.mark.node



def now() -> datetime:
    # The clock at the moment of use: the whole suite runs for minutes, and signatures are made "now".
    return datetime.now(timezone.utc)
AWKWARD_TEXT = "Ünïcode — 数学 — \U0001f34e; controls: \u0001\u0008\u000b\u000c\u001f\u007f; tab\tquote\"back\\slash"


def did_key_signer() -> Ed25519KeyPair:
    key = Ed25519KeyPair.generate()
    return key.bound(did_key_from_public(key.public_key))


def awkward_credential(issuer: str) -> dict[str, Any]:
    doc = rich_credential(issuer_id=issuer, text_extra=AWKWARD_TEXT)
    doc["credentialSubject"]["creditsEarned"] = 4.0  # JSON-LD: an integer, as JavaScript reads it
    doc["credentialSubject"]["achievement"]["creditsAvailable"] = 2.5
    return doc


def tamper(doc: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    changed["credentialSubject"]["achievement"]["name"] += " (edited)"
    return changed


def node_signs(node, credential: dict[str, Any], key: Ed25519KeyPair) -> dict[str, Any]:
    return node.sign(
        credential,
        private_key_multibase=key.export_private_multibase(),
        public_key_multibase=key.public_multibase,
        verification_method=key.verification_method,
        controller=key.controller,
    )


@pytest.mark.parametrize("make", [rich_credential, awkward_credential], ids=["rich", "awkward"])
def test_canonical_form_is_identical(node_reference, make):
    doc = make(issuer="did:web:example.org") if make is awkward_credential else make()
    assert canonicalize(doc) == node_reference.canonize(doc)


@pytest.mark.parametrize("make", [rich_credential, awkward_credential], ids=["rich", "awkward"])
def test_node_verifies_what_mcbadge_signs(node_reference, make):
    key = did_key_signer()
    signed = sign_credential(make(key.controller) if make is awkward_credential else make(issuer_id=key.controller), key)
    assert node_reference.verify(signed) == {"verified": True, "errors": []}
    assert node_reference.verify(tamper(signed))["verified"] is False


def test_node_verifies_a_did_web_issuer(node_reference):
    did = "did:web:district.example:issuers:demo"
    key = Ed25519KeyPair.generate().bound(did)
    signed = sign_credential(rich_credential(issuer_id=did), key)
    documents = {did: did_web_document(did, [key.public_key])}
    assert node_reference.verify(signed, documents) == {"verified": True, "errors": []}
    assert node_reference.verify(tamper(signed), documents)["verified"] is False


@pytest.mark.parametrize("make", [rich_credential, awkward_credential], ids=["rich", "awkward"])
def test_mcbadge_verifies_what_node_signs(node_reference, make):
    key = did_key_signer()
    unsigned = make(key.controller) if make is awkward_credential else make(issuer_id=key.controller)
    signed = node_signs(node_reference, unsigned, key)
    report = verify(signed, resolver=DidResolver(), now=now())
    assert report.check("proof").outcome is Outcome.PASSED, report.summary
    assert report.check("issuer_key").outcome is Outcome.PASSED
    assert report.verified, report.summary
    bad = verify(tamper(signed), resolver=DidResolver(), now=now())
    assert bad.check("proof").outcome is Outcome.FAILED and not bad.verified


def test_node_rejects_a_foreign_key_under_the_issuer(node_reference):
    victim, mallory = did_key_signer(), did_key_signer()
    forged = sign_credential(rich_credential(issuer_id=victim.controller), mallory)
    assert node_reference.verify(forged)["verified"] is False
    assert verify(forged, resolver=DidResolver(), now=now()).check("issuer_key").outcome is Outcome.FAILED
