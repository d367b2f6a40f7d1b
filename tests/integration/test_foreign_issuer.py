"""Credentials this service did not issue: signed by the reference implementation (@digitalbazaar/vc) under a
did:web that another organisation serves (a local HTTPS server), with that organisation's status list.

The verifier resolves the DID and fetches the list through the guarded client, over real TLS: valid,
tampered, expired, not yet valid, revoked, suspended, list unreachable, list signed by someone else.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mcbadge.outbound import FetchPolicy, OutboundClient
from mcbadge.resolution import StatusListFetcher, service_resolver
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_web_document
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.status_list import BitstringStatusList, status_list_credential
from mcbadge.vc.verify import Outcome, verify

from tests.factories.credentials import rich_credential
from tests.local_servers import LocalServer, TestCA, send
from tests.node_reference import node_reference  # noqa: F401 - session fixture

pytestmark = pytest.mark.node


class Organisation:
    """Another district: its DID document and two status lists on its own HTTPS server."""

    def __init__(self, server: LocalServer) -> None:
        self.base = f"https://127.0.0.1:{server.port}"
        self.did = f"did:web:127.0.0.1%3A{server.port}"
        self.key = Ed25519KeyPair.generate().bound(self.did)
        self.lists = {"revocation": BitstringStatusList(), "suspension": BitstringStatusList()}
        self.bodies: dict[str, bytes] = {}
        self.document = did_web_document(self.did, [self.key.public_key])
        server.routes["/.well-known/did.json"] = lambda h: send(h, 200, json.dumps(self.document).encode(),
                                                                content_type="application/did+json")
        for purpose in self.lists:
            server.routes[f"/status/{purpose}"] = (lambda p: lambda h: send(
                h, 200, self.bodies[p], {"Cache-Control": "no-cache"}, content_type="application/vc+ld+json"))(purpose)
        self.publish()

    def publish(self, signer: Ed25519KeyPair | None = None, issuer: str | None = None) -> None:
        for purpose, bits in self.lists.items():
            unsigned = status_list_credential(id=f"{self.base}/status/{purpose}", issuer=issuer or self.did,
                                              status_purpose=purpose, encoded_list=bits.encode())
            self.bodies[purpose] = json.dumps(sign_credential(unsigned, signer or self.key)).encode()

    def unsigned(self, **changes: Any) -> dict[str, Any]:
        credential = rich_credential(issuer_id=self.did, base_url=self.base)
        entry = credential["credentialStatus"]
        credential["credentialStatus"] = [
            {**entry, "id": f"{self.base}/status/revocation#94567", "statusListCredential": f"{self.base}/status/revocation"},
            {**entry, "id": f"{self.base}/status/suspension#94567", "statusPurpose": "suspension",
             "statusListCredential": f"{self.base}/status/suspension"},
        ]
        credential.update(changes)
        return credential


@pytest.fixture
def world(tmp_path, node_reference):  # noqa: F811
    ca = TestCA(tmp_path / "ca")
    with LocalServer(tls=ca.server_tls) as server:
        org = Organisation(server)
        outbound = OutboundClient(FetchPolicy(allow_loopback=True, ca_file=str(ca.ca_file)))
        resolver = service_resolver(outbound, local=None, own_base_url="https://mcbadge.invalid")
        fetcher = StatusListFetcher(outbound)

        def node_signs(credential: dict[str, Any]) -> dict[str, Any]:
            return node_reference.sign(credential, private_key_multibase=org.key.export_private_multibase(),
                                       public_key_multibase=org.key.public_multibase,
                                       verification_method=org.key.verification_method, controller=org.did,
                                       documents={org.did: org.document})

        def check(credential: Any):
            return verify(credential, resolver=resolver, status_fetcher=fetcher, now=datetime.now(timezone.utc))

        yield org, server, node_signs, check


def outcome(report, code: str) -> str:
    return report.check(code).outcome.value


def test_valid_and_tampered(world):
    org, server, node_signs, check = world
    signed = node_signs(org.unsigned())
    report = check(signed)
    assert report.verified, report.summary
    assert outcome(report, "status") == "passed" and server.hits["/.well-known/did.json"] >= 1
    # In plain words (issue 14): both entries read as what they mean.
    assert report.check("status").message.startswith("not revoked, not suspended")
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Something else"
    assert outcome(check(tampered), "proof") == "failed"


def test_expired_and_not_yet_valid(world):
    org, _, node_signs, check = world
    now = datetime.now(timezone.utc)
    expired = node_signs(org.unsigned(validUntil=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    assert outcome(check(expired), "validity") == "failed" and outcome(check(expired), "proof") == "passed"
    future = node_signs(org.unsigned(validFrom=(now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    assert outcome(check(future), "validity") == "failed"


@pytest.mark.parametrize("purpose, word", [("revocation", "revoked"), ("suspension", "suspended")])
def test_revoked_and_suspended_through_the_organisations_list(world, purpose, word):
    org, _, node_signs, check = world
    signed = node_signs(org.unsigned())
    org.lists[purpose].set(94567, True)
    org.publish()
    report = check(signed)
    assert outcome(report, "status") == "failed" and word in report.check("status").message


def test_unreachable_list_is_not_checked(world):
    org, server, node_signs, check = world
    signed = node_signs(org.unsigned())
    del server.routes["/status/revocation"]
    report = check(signed)
    assert outcome(report, "status") == Outcome.NOT_CHECKED.value and "could not be checked" in report.check("status").message


def test_list_signed_by_another_issuer_fails(world):
    org, _, node_signs, check = world
    signed = node_signs(org.unsigned())
    other = Ed25519KeyPair.generate()
    from mcbadge.vc.dids import did_key_from_public

    other = other.bound(did_key_from_public(other.public_key))
    org.publish(signer=other, issuer=other.controller)
    report = check(signed)
    assert outcome(report, "status") == "failed" and "not trustworthy" in report.check("status").message
