"""CLR 2.0: a signed ClrCredential of an educator's chosen credentials, verified by ``@digitalbazaar/vc`` and by
mcbadge; a CLR signed by the Node reference verified by mcbadge; each embedded credential checked in its own
right, so a credential revoked after the CLR was signed is reported (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import httpx

from mcbadge.db.models import Role
from mcbadge.identity import did_document, issuer_did
from mcbadge.vc.clr import CLR_CONTEXT, clr_document
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_key_from_public
from mcbadge.vc.keys import Ed25519KeyPair
from tests.assertions import assert_problem
from tests.factories.credentials import award_one
from tests.factories.tenants import Tenant
from tests.live_server import SQLITE_ONLY, LiveServer
from tests.node_reference import node_reference  # noqa: F401 - the session fixture


def verify_clr(client: httpx.Client, clr: Any) -> dict[str, Any]:
    response = client.post("/api/v1/clrs/verify", json=clr)
    assert response.status_code == 200, response.text
    return response.json()


@SQLITE_ONLY  # checked by the Node reference: above the database (making a CLR runs on both below)
def test_clr_signed_and_verified_here_and_in_node(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                                  node_reference) -> None:  # noqa: F811
    first, second = award_one(server, tenant), award_one(server, tenant)
    response = client.post("/api/v1/clrs", headers=tenant.headers(Role.EDUCATOR), json={
        "credential_ids": [str(second.id), str(first.id), str(second.id)], "name": "Renewal cycle 2022-2027"})
    assert response.status_code == 201, response.text
    clr = response.json()
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"] and CLR_CONTEXT in clr["@context"]
    did = issuer_did(server.base_url, tenant.issuer.slug)
    assert clr["issuer"]["id"] == did and clr["name"] == "Renewal cycle 2022-2027"
    # Each credential as issued (proof included), in the order chosen, once.
    assert clr["credentialSubject"]["verifiableCredential"] == [second.document, first.document]

    documents = {did: did_document(server.keystore, server.base_url, tenant.issuer.slug)}
    assert node_reference.verify(clr, documents) == {"verified": True, "errors": []}
    for embedded in clr["credentialSubject"]["verifiableCredential"]:
        assert node_reference.verify(embedded, documents) == {"verified": True, "errors": []}
    answer = verify_clr(client, clr)
    assert answer["verified"] is True and answer["clr"]["verified"] is True and answer["revoked"] == []
    assert [c["id"] for c in answer["credentials"]] == [second.document["id"], first.document["id"]]
    assert all(c["verified"] for c in answer["credentials"])
    tampered = copy.deepcopy(clr)
    tampered["name"] = "Renewal cycle 2017-2022"
    assert verify_clr(client, tampered)["clr"]["verified"] is False
    assert node_reference.verify(tampered, documents)["verified"] is False

    # A CLR the Node reference signs (its own did:key issuer) over the same credentials verifies here.
    key = Ed25519KeyPair.generate()
    node_issuer = did_key_from_public(key.public_key)
    unsigned = {k: v for k, v in clr.items() if k != "proof"} | {"issuer": {"id": node_issuer, "type": ["Profile"],
                                                                              "name": "A state licensing office"}}
    signed_in_node = node_reference.sign(unsigned, private_key_multibase=key.export_private_multibase(),
                                         public_key_multibase=key.public_multibase,
                                         verification_method=f"{node_issuer}#{node_issuer[8:]}")
    assert verify_clr(client, signed_in_node)["verified"] is True

    # Revoked after the CLR was signed: the CLR's own signature still holds, the credential is reported.
    assert client.post(f"/api/v1/credentials/{first.id}/revoke", json={"reason": "evidence was not the educator's"},
                       headers=tenant.headers()).status_code == 200
    answer = verify_clr(client, clr)
    assert answer["verified"] is False and answer["clr"]["verified"] is True
    assert answer["revoked"] == [first.document["id"]]
    by_id = {c["id"]: c for c in answer["credentials"]}
    assert by_id[second.document["id"]]["verified"] is True
    assert by_id[first.document["id"]]["problemDetails"][0]["detail"] == "the issuer has revoked this credential"
    # ...and a new CLR will not vouch for it.
    assert_problem(client.post("/api/v1/clrs", headers=tenant.headers(Role.EDUCATOR),
                               json={"credential_ids": [str(first.id)], "name": "x"}), 409, "credential-revoked")


def test_who_may_make_a_clr_of_what(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    award = award_one(server, tenant)
    body = {"credential_ids": [str(award.id)], "name": "Transcript"}
    made = client.post("/api/v1/clrs", headers=tenant.headers(), json=body | {"educator_id": str(tenant.educator.id)})
    assert made.status_code == 201 and made.json()["credentialSubject"]["verifiableCredential"] == [award.document]
    assert_problem(client.post("/api/v1/clrs", headers=tenant.headers(), json=body), 422, "unknown-educator")
    assert_problem(client.post("/api/v1/clrs", headers=tenant.headers(), json=body | {
        "educator_id": str(tenant.assessor.id)}), 422, "unknown-educator")
    for role in (Role.ASSESSOR, Role.INTEGRATOR):
        assert_problem(client.post("/api/v1/clrs", headers=tenant.headers(role), json=body), 403, "forbidden")
    assert_problem(client.post("/api/v1/clrs", headers=tenant.headers(Role.EDUCATOR), json=body | {
        "educator_id": str(tenant.admin.id)}), 403, "forbidden")
    assert_problem(client.post("/api/v1/clrs", headers=tenant.headers(Role.EDUCATOR), json=body | {
        "credential_ids": [str(award.id), "00000000-0000-4000-8000-000000000000"]}), 404)
    jwt_award = award_one(server, tenant, format="jwt")
    assert_problem(client.post("/api/v1/clrs", headers=tenant.headers(Role.EDUCATOR), json=body | {
        "credential_ids": [str(jwt_award.id)]}), 409, "credential-not-embeddable")
    assert_problem(client.post("/api/v1/clrs/verify", json=award.document), 422, "not-a-clr")
    assert_problem(client.post("/api/v1/clrs", headers=tenant.headers(Role.EDUCATOR), json={"name": "x",
                                                                                         "credential_ids": []}), 422)


@SQLITE_ONLY  # what is decided is above the database
def test_a_clr_in_a_clr_has_its_credentials_checked_too(server: LiveServer, client: httpx.Client,
                                                         tenant: Tenant) -> None:
    award = award_one(server, tenant)
    inner = client.post("/api/v1/clrs", headers=tenant.headers(Role.EDUCATOR), json={
        "credential_ids": [str(award.id)], "name": "Transcript"}).json()
    key = Ed25519KeyPair.generate()
    did = did_key_from_public(key.public_key)
    # A ClrCredential is a credential, so another issuer's CLR may hold it (as its only one: JSON-LD reads a
    # single object as an array of one, so the signature covers either form).
    outer = sign_credential(clr_document(
        clr_id="urn:uuid:6f1c3a52-0d8e-4f0e-9a57-0c1f6a9e2b10", issuer={"id": did, "type": ["Profile"], "name": "A"},
        name="Everything", valid_from=datetime(2025, 1, 1, tzinfo=timezone.utc),
        identifier=inner["credentialSubject"]["identifier"], credentials=[inner]), key.bound(did))
    single = copy.deepcopy(outer)
    single["credentialSubject"]["verifiableCredential"] = inner
    for clr in (outer, single):
        answer = verify_clr(client, clr)
        assert answer["verified"] is True and answer["clr"]["verified"] is True
        [held] = answer["credentials"]
        assert held["id"] == inner["id"] and [c["id"] for c in held["credentials"]] == [award.document["id"]]
    # Revoked since: the outer CLR and the inner one still verify, but the credential in the inner one does not.
    assert client.post(f"/api/v1/credentials/{award.id}/revoke", json={"reason": "not the educator's"},
                       headers=tenant.headers()).status_code == 200
    answer = verify_clr(client, outer)
    assert answer["verified"] is False and answer["clr"]["verified"] is True
    assert answer["revoked"] == [award.document["id"]]
    [held] = answer["credentials"]
    assert held["verified"] is False and held["credentials"][0]["revoked"] is True
