"""The pinned Node reference (@digitalbazaar/vc + eddsa-rdfc-2022) verifies a state's recognition registry.

The Node harness reads the same pinned contexts (vc/contexts/PROVENANCE.json), so mcbadge's own recognition
context is served to it byte for byte: both sides must canonicalize the registry identically and agree on
the signature, and both must refuse a tampered copy.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone

import pytest

from mcbadge.vc.canon import canonicalize
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_web_document
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.recognition import (
    CountCredit,
    HoursCredit,
    ReciprocityAcceptance,
    RecognizedAchievement,
    definition_digest,
    registry_credential,
)
from mcbadge.vc.status_list import status_entry

from tests.factories.credentials import rich_credential
from tests.node_reference import node_reference  # noqa: F401 - the session fixture

pytestmark = pytest.mark.node

STATE = "did:web:education.state-s.example"


def signed_registry(key: Ed25519KeyPair) -> dict:
    achievement = rich_credential(issuer_id="did:web:district-a.example")["credentialSubject"]["achievement"]
    entries = [
        RecognizedAchievement("did:web:district-a.example", achievement["id"], definition_digest(achievement),
                              ("Mathematics 6-12", "Science 6-12"), CountCredit(1, 3), date(2026, 7, 1),
                              date(2029, 6, 30)),
        RecognizedAchievement("did:web:provider-b.example", "https://provider-b.example/achievements/7",
                              definition_digest({**achievement, "id": "https://provider-b.example/achievements/7"}),
                              ("Early Childhood",), HoursCredit(7.5), date(2026, 7, 1)),
    ]
    unsigned = registry_credential(
        id="https://education.state-s.example/registries/renewal-2026", agency=STATE, agency_name="State S",
        entries=entries, reciprocity=[ReciprocityAcceptance("did:web:education.state-t.example")],
        valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc),
        credential_status=[status_entry(list_credential_url="https://education.state-s.example/status/1",
                                        index=7, purpose="revocation")],
    )
    return sign_credential(unsigned, key)


def test_node_canonicalizes_the_registry_as_mcbadge_does(node_reference):
    registry = signed_registry(Ed25519KeyPair.generate().bound(STATE))
    unsecured = {k: v for k, v in registry.items() if k != "proof"}
    assert canonicalize(unsecured) == node_reference.canonize(unsecured)


def test_node_verifies_the_registry_signature(node_reference):
    key = Ed25519KeyPair.generate().bound(STATE)
    registry = signed_registry(key)
    documents = {STATE: did_web_document(STATE, [key.public_key])}
    assert node_reference.verify(registry, documents) == {"verified": True, "errors": []}
    tampered = copy.deepcopy(registry)
    tampered["credentialSubject"]["recognizes"][0]["renewalCredit"]["requiredCount"] = 1
    assert node_reference.verify(tampered, documents)["verified"] is False
