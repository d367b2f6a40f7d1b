"""The W3C VC API over real HTTP, on SQLite and PostgreSQL (refusals and checks by other libraries on SQLite only): issue (Data Integrity, VC-JWT, VC 1.1 and 2.0,
status entries), status changes seen in the served lists, status lists, presentation verification, and the
bad input the W3C/CCG suites send (always 400/422 problem details: never 401 with a valid key, never 500).
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from mcbadge.db.models import Role, StatusEntry
from mcbadge.extra_contexts import context_policy, parse_names
from mcbadge.identity import issuer_did
from mcbadge.vc.contexts import CREDENTIALS_V1, CREDENTIALS_V2, DATA_INTEGRITY_V2
from mcbadge.vc.data_integrity import create_proof, verify_proofs
from mcbadge.vc.dids import did_key_from_public
from mcbadge.vc.jwt import parse_unverified
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.schema import validate_issued
from mcbadge.vc.verify import verify
from tests.assertions import assert_problem
from tests.factories.credentials import VC_SUBJECT, rich_credential, vc2
from tests.factories.tenants import Tenant, make_tenant
from tests.live_server import SQLITE_ONLY, LiveServer, live_server, make_settings
from tests.node_reference import node_reference  # noqa: F401  (session fixture)
from tests.reference_data import TESTS

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
EXAMPLES_DOC = json.loads((TESTS / "contexts/credentials-examples-v2.jsonld").read_bytes())
SUBJECT = VC_SUBJECT


@pytest.fixture
def tenant(server: LiveServer) -> Tenant:
    return make_tenant(server.app.state.services.sessions, "vc-district")


@pytest.fixture
def did(server: LiveServer) -> str:
    return issuer_did(server.base_url, "vc-district")


def vc11(did: str) -> dict[str, Any]:
    """What vc-api-issuer-test-suite sends: VC 1.1 with issuanceDate."""
    return {"@context": [CREDENTIALS_V1], "id": f"urn:uuid:{uuid.uuid4()}", "type": ["VerifiableCredential"],
            "issuer": did, "issuanceDate": "2025-01-01T00:00:00Z", "credentialSubject": {"id": SUBJECT}}


def issue(client: httpx.Client, tenant: Tenant, credential: dict[str, Any], **options: Any) -> dict[str, Any]:
    response = client.post("/credentials/issue", json={"credential": credential, "options": options},
                           headers=tenant.headers())
    assert response.status_code == 201, response.text
    return response.json()["verifiableCredential"]


def library_verify(server: LiveServer, credential: Any, *, canonicalizer: Any = None) -> Any:
    services = server.app.state.services
    return verify(credential, resolver=services.resolver, status_fetcher=services.status_fetcher,
                  now=datetime.now(timezone.utc), canonicalizer=canonicalizer)


def did_document(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/issuers/vc-district/did.json")
    assert response.status_code == 200, response.text
    return response.json()


def decoded_bits(encoded: str) -> bytes:
    assert encoded.startswith("u")
    return gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))


def bit(client: httpx.Client, entry: dict[str, Any]) -> bool:
    response = client.get(entry["statusListCredential"])
    assert response.status_code == 200, response.text
    bits = decoded_bits(response.json()["credentialSubject"]["encodedList"])
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


# -- issue -----------------------------------------------------------------------------------------------


@SQLITE_ONLY  # checked by the Node reference or in the browser: above the database
def test_issue_vc2_with_status_verifies_with_library_and_node(server, client, tenant, did, node_reference):
    issued = issue(client, tenant, vc2(did), credentialStatus={"type": "BitstringStatusListEntry",
                                                               "statusPurpose": "revocation"})
    assert isinstance(issued["proof"], dict)  # the suites want one proof object
    assert issued["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert issued["proof"]["verificationMethod"].startswith(did + "#")
    entry = issued["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    assert entry["statusListCredential"].startswith(server.base_url + "/status-lists/")
    assert int(entry["statusListIndex"]) >= 0 and bit(client, entry) is False

    report = library_verify(server, issued)
    assert report.verified, report.summary
    assert report.check("status").outcome.value == "passed"
    result = node_reference.verify(issued, {did: did_document(client)})
    assert result["verified"], result


def _open_badge(did: str) -> dict[str, Any]:
    """An Open Badge (OB 3.0 AchievementCredential) an integrator sends to be signed, without status."""
    credential = rich_credential(issuer_id=did, credential_id=f"urn:uuid:{uuid.uuid4()}")
    del credential["credentialStatus"]
    return credential


@SQLITE_ONLY  # checked by the Node reference or in the browser: above the database
def test_an_open_badge_is_issued_as_the_1edtech_schema_accepts_it(server, client, tenant, did, node_reference):
    """An Open Badge signed through the VC API validates against the unmodified 1EdTech schema as issued: its
    status entry one object, its proof a one-element array (the strict schema's shape; the suites' plain
    credentials keep the object). One that would not, two status entries, is refused before anything is
    reserved or signed, with the schema's reasons."""
    revocation = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
    issued = issue(client, tenant, _open_badge(did), credentialStatus=revocation)
    assert isinstance(issued["credentialStatus"], dict) and isinstance(issued["proof"], list)
    assert validate_issued(issued) == []
    assert library_verify(server, issued).verified
    assert node_reference.verify(issued, {did: did_document(client)})["verified"]

    enveloped = issue(client, tenant, _open_badge(did), credentialStatus=revocation, format="vc-jwt")
    _, payload = parse_unverified(enveloped["id"].removeprefix("data:application/vc+jwt,"))
    assert validate_issued(payload["vc"]) == []

    def entries() -> int:
        with server.app.state.services.sessions() as session:
            return session.scalar(select(func.count()).select_from(StatusEntry))

    before = entries()
    refused = client.post("/credentials/issue", headers=tenant.headers(), json={
        "credential": _open_badge(did),
        "options": {"credentialStatus": [revocation, {**revocation, "statusPurpose": "suspension"}]}})
    problem = assert_problem(refused, 422, "invalid-credential")
    assert "1EdTech OB 3.0 JSON Schema" in problem["detail"]
    assert any(p.startswith("credentialStatus: must be of type 'object'") for p in problem["problems"]), problem
    assert entries() == before  # the refused request reserved nothing

    assert isinstance(issue(client, tenant, vc2(did))["proof"], dict)  # not an Open Badge: no 1EdTech schema


@SQLITE_ONLY  # checked by the Node reference or in the browser: above the database
def test_issue_vc11_input_signs_with_the_data_integrity_context(server, client, tenant, did, node_reference):
    sent = vc11(did)
    issued = issue(client, tenant, sent)
    assert issued["@context"] == [CREDENTIALS_V1, DATA_INTEGRITY_V2]
    assert issued["issuanceDate"] == sent["issuanceDate"] and issued["id"] == sent["id"]
    assert library_verify(server, issued).verified
    assert node_reference.verify(issued, {did: did_document(client)})["verified"]


def test_issue_vc11_without_issuance_date_gets_one(client, tenant, did):
    sent = vc11(did)
    del sent["issuanceDate"]
    issued = issue(client, tenant, sent)
    assert issued["issuanceDate"].endswith("Z")


def test_issue_vc11_with_status(server, client, tenant, did):
    issued = issue(client, tenant, vc11(did), credentialStatus={"type": "BitstringStatusListEntry",
                                                                "statusPurpose": "suspension"})
    assert "https://www.w3.org/ns/credentials/status/v1" in issued["@context"]
    assert library_verify(server, issued).verified


def test_issue_vc_jwt_is_an_enveloped_credential(server, client, tenant, did):
    sent = vc2(did)
    issued = issue(client, tenant, sent, format="vc-jwt")
    assert issued["type"] == "EnvelopedVerifiableCredential"
    assert issued["id"].startswith("data:application/vc+jwt,")
    token = issued["id"].split(",", 1)[1]
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert payload["vc"]["id"] == sent["id"] and payload["iss"] == did
    report = library_verify(server, issued)
    assert report.verified, report.summary


@SQLITE_ONLY  # checked by the Node reference or in the browser: above the database
def test_issue_as_the_did_key_of_the_issuers_key(server, client, tenant, did, node_reference):
    """The did:key issuer option: the same key, named by a DID every verifier resolves offline."""
    issue(client, tenant, vc2(did))  # the issuer's key exists from its first issue
    did_key = "did:key:" + did_document(client)["verificationMethod"][-1]["publicKeyMultibase"]
    issued = issue(client, tenant, vc2(did_key))
    assert issued["issuer"] == did_key and issued["proof"]["verificationMethod"] == f"{did_key}#{did_key[8:]}"
    report = library_verify(server, issued)
    assert report.verified, report.summary
    assert node_reference.verify(issued)["verified"]  # the reference resolves did:key by itself
    enveloped = issue(client, tenant, vc2(did_key), format="vc-jwt")
    assert library_verify(server, enveloped).verified
    # Its status lists are the did:web's, which a verifier would not trust for a did:key credential.
    response = client.post("/credentials/issue", headers=tenant.headers(), json={
        "credential": vc2(did_key), "options": {"credentialStatus": {"type": "BitstringStatusListEntry",
                                                                     "statusPurpose": "revocation"}}})
    assert "did:key issuer gets no status entry" in assert_problem(response, 422, "invalid-credential")["detail"]
    # Another key's did:key is not the issuer's.
    stranger = did_key_from_public(Ed25519KeyPair.generate().public_key)
    response = client.post("/credentials/issue", headers=tenant.headers(), json={"credential": vc2(stranger)})
    assert "issuer must be" in assert_problem(response, 422, "invalid-credential")["detail"]


def test_a_credential_status_the_caller_made_is_signed_as_given(server, client, tenant, did):
    entry = {"id": "https://status.example.org/lists/1#7", "type": "BitstringStatusListEntry",
             "statusPurpose": "revocation", "statusListIndex": "7",
             "statusListCredential": "https://status.example.org/lists/1"}
    sent = vc2(did, credentialStatus=entry)
    issued = issue(client, tenant, sent)
    assert issued["credentialStatus"] == entry
    [proof] = verify_proofs(issued, lambda vm, purpose: server.app.state.services.resolver
                            .resolve_verification_method(vm).public_key, now=datetime.now(timezone.utc))
    assert proof.verified, proof.reason
    # This service did not make the entry, so it cannot change it.
    response = client.post("/credentials/status", headers=tenant.headers(), json={
        "credentialId": sent["id"], "credentialStatus": {"type": "BitstringStatusListEntry",
                                                         "statusPurpose": "revocation"}})
    assert_problem(response, 404, "credential-status-not-found")
    # One or the other: the caller's entry, or one asked of this service.
    response = client.post("/credentials/issue", headers=tenant.headers(), json={
        "credential": vc2(did, credentialStatus=entry),
        "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}}})
    assert "send one or the other" in assert_problem(response, 422, "invalid-credential")["detail"]
    # A malformed entry, or one whose terms no context defines, is refused.
    for bad in ({**entry, "statusListIndex": 7}, {**entry, "type": "MadeUpStatusEntry"}):
        response = client.post("/credentials/issue", headers=tenant.headers(), json={"credential": vc2(did, credentialStatus=bad)})
        assert_problem(response, 422)


def test_issue_sets_no_id_and_credential_id_names_it(client, tenant, did):
    sent = vc2(did)
    del sent["id"]
    issued = issue(client, tenant, sent)
    assert "id" not in issued
    issued = issue(client, tenant, sent, credentialId="urn:example:no-id-1",
                   credentialStatus={"type": "BitstringStatusListEntry", "statusPurpose": "revocation"})
    response = client.post("/credentials/status", headers=tenant.headers(), json={
        "credentialId": "urn:example:no-id-1",
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}})
    assert response.status_code == 200, response.text
    assert bit(client, issued["credentialStatus"]) is True


def test_two_purposes_give_two_entries_in_distinct_lists(client, tenant, did):
    issued = issue(client, tenant, vc2(did), credentialStatus=[
        {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}])
    entries = issued["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert entries[0]["statusListCredential"] != entries[1]["statusListCredential"]


def test_status_indexes_are_unique_and_random(client, tenant, did):
    indexes = set()
    for _ in range(12):
        issued = issue(client, tenant, vc2(did), credentialStatus={"type": "BitstringStatusListEntry",
                                                                   "statusPurpose": "revocation"})
        indexes.add(int(issued["credentialStatus"]["statusListIndex"]))
    assert len(indexes) == 12
    assert indexes != set(range(min(indexes), min(indexes) + 12))  # not handed out in sequence


def test_same_credential_id_twice_with_status_is_a_conflict(client, tenant, did):
    sent = vc2(did)
    status = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
    issue(client, tenant, sent, credentialStatus=status)
    response = client.post("/credentials/issue", headers=tenant.headers(),
                           json={"credential": sent, "options": {"credentialStatus": status}})
    assert_problem(response, 409, "duplicate-credential-id")


# -- bad input -------------------------------------------------------------------------------------------

_MISSING = object()


def _with(credential: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    if value is _MISSING:
        changed.pop(key, None)
    else:
        changed[key] = value
    return changed


BAD_CREDENTIALS: list[tuple[str, str, Any]] = [
    ("no-context", "@context", _MISSING),
    *[(f"context-{i}", "@context", v) for i, v in enumerate([4, {"foo": True}, False, None, "string", [], [4],
                                                              [[]], [None], [True], [EXAMPLES_V2],
                                                              ["https://example.org/unpinned/v1"]])],
    ("no-type", "type", _MISSING),
    *[(f"type-{i}", "type", v) for i, v in enumerate([4, None, True, [], [4], [{}], "VerifiableCredential",
                                                     ["Foo"], ["VerifiableCredential", "UndefinedType"]])],
    ("no-issuer", "issuer", _MISSING),
    *[(f"issuer-{i}", "issuer", v) for i, v in enumerate([None, True, 4, [], {}, {"id": None}, "",
                                                         "did:example:someone-else"])],
    ("no-subject", "credentialSubject", _MISSING),
    *[(f"subject-{i}", "credentialSubject", v) for i, v in enumerate([None, True, 4, [], "did:example:1234", {},
                                                                      [{}], {"undefinedTerm": "x"}])],
    ("proof-given", "proof", {"type": "DataIntegrityProof"}),
    ("status-given", "credentialStatus", {"type": "BitstringStatusListEntry"}),
    ("id-not-string", "id", ["urn:uuid:1", "urn:uuid:2"]),
    ("id-relative", "id", "not a url"),
    ("validFrom-bad", "validFrom", "yesterday"),
    ("validUntil-before-validFrom", "validUntil", "2000-01-01T00:00:00Z"),
    ("undefined-term", "favouriteColour", "blue"),
]


@pytest.mark.parametrize(("case", "key", "value"), BAD_CREDENTIALS, ids=[c[0] for c in BAD_CREDENTIALS])
def test_bad_credentials_are_refused(refusing_server, case, key, value):
    credential = vc2(refusing_server.did, validFrom="2025-01-01T00:00:00Z")
    response = refusing_server.client.post("/credentials/issue", headers=refusing_server.tenant.headers(),
                                           json={"credential": _with(credential, key, value), "options": {}})
    assert_problem(response, 422)


def test_redefining_a_protected_term_is_refused(client, tenant, did):
    credential = vc2(did)
    credential["@context"] = [CREDENTIALS_V2, {"VerifiableCredential": "https://example.org/#Bad"}]
    assert_problem(client.post("/credentials/issue", headers=tenant.headers(), json={"credential": credential}), 422)


def test_inline_context_defining_a_type_is_accepted(server, client, tenant, did):
    credential = vc2(did)
    credential["@context"] = [CREDENTIALS_V2, {"ExampleTestCredential": "https://example.org/#ExampleTestCredential"}]
    credential["type"] = ["VerifiableCredential", "ExampleTestCredential"]
    issued = issue(client, tenant, credential)
    assert library_verify(server, issued).verified


def test_vc11_undefined_term_is_refused(client, tenant, did):
    credential = vc11(did)
    credential["credentialSubject"]["alumniOf"] = "Example University"
    body = client.post("/credentials/issue", headers=tenant.headers(), json={"credential": credential})
    assert "alumniOf" in assert_problem(body, 422)["detail"]


BAD_BODIES: list[tuple[str, Any]] = [
    ("empty-object", {}),
    ("verifiableCredential-instead", {"verifiableCredential": {"type": ["VerifiableCredential"]}}),
    ("credential-null", {"credential": None}),
    ("credential-string", {"credential": "a credential"}),
    ("credential-array", {"credential": []}),
    ("options-string", {"credential": {}, "options": "x"}),
    ("array-body", []),
    ("string-body", "credential"),
]


@pytest.mark.parametrize(("case", "body"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_are_refused(refusing_server, case, body):
    assert_problem(refusing_server.client.post("/credentials/issue", headers=refusing_server.tenant.headers(),
                                               json=body), 422)


BAD_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("unknown-option", {"frobnicate": True}),
    ("unknown-format", {"format": "mso_mdoc"}),
    ("mandatory-pointers", {"mandatoryPointers": ["/issuer"]}),
    ("status-wrong-type", {"credentialStatus": {"type": "StatusList2021Entry", "statusPurpose": "revocation"}}),
    ("status-wrong-purpose", {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "refresh"}}),
    ("status-twice", {"credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}] * 2}),
    ("status-unknown-member", {"credentialStatus": {"type": "BitstringStatusListEntry",
                                                    "statusPurpose": "revocation", "size": 2}}),
    ("status-unknown-list", {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                                                  "statusListCredential": "https://elsewhere.example/list/1"}}),
    ("credential-id-differs", {"credentialId": "urn:example:other"}),
]


@pytest.mark.parametrize(("case", "options"), BAD_OPTIONS, ids=[o[0] for o in BAD_OPTIONS])
def test_bad_options_are_refused(refusing_server, case, options):
    response = refusing_server.client.post("/credentials/issue", headers=refusing_server.tenant.headers(),
                                           json={"credential": vc2(refusing_server.did), "options": options})
    assert response.status_code in (404, 422), response.text  # an unknown list is "not found"
    assert_problem(response, response.status_code)


def test_status_without_any_id_is_refused(client, tenant, did):
    credential = vc2(did)
    del credential["id"]
    response = client.post("/credentials/issue", headers=tenant.headers(), json={
        "credential": credential,
        "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}})
    assert "needs an id" in assert_problem(response, 422, "invalid-credential")["detail"]


def test_malformed_and_empty_bodies(client, tenant):
    headers = {**tenant.headers(), "Content-Type": "application/json"}
    assert_problem(client.post("/credentials/issue", headers=headers, content=b"{not json"), 400)
    assert_problem(client.post("/credentials/issue", headers=headers, content=b""), 422)
    assert_problem(client.post("/credentials/status", headers=headers, content=b""), 422)
    assert_problem(client.post("/presentations/verify", headers=headers, content=b""), 422)
    assert_problem(client.post("/status-lists", headers=headers, content=b""), 422)


def test_access(client, tenant, did):
    body = {"credential": vc2(did)}
    assert_problem(client.post("/credentials/issue", json=body), 401)
    assert_problem(client.post("/credentials/issue", json=body, headers={"Authorization": "Bearer mcb_x_y"}), 401)
    assert_problem(client.post("/credentials/issue", json=body, headers=tenant.headers(Role.EDUCATOR)), 403)
    assert_problem(client.post("/credentials/issue", json=body, headers=tenant.headers(Role.ASSESSOR)), 403)
    issue(client, tenant, vc2(did))  # admin
    response = client.post("/credentials/issue", json=body, headers=tenant.headers(Role.INTEGRATOR))
    assert response.status_code == 201, response.text


def test_another_issuers_key_cannot_issue_as_this_issuer(server, client, did):
    other = make_tenant(server.app.state.services.sessions, "other-district")
    response = client.post("/credentials/issue", headers=other.headers(), json={"credential": vc2(did)})
    assert "issuer must be" in assert_problem(response, 422, "invalid-credential")["detail"]


# -- status changes ----------------------------------------------------------------------------------------


def _status_body(credential_id: str, purpose: str, **extra: Any) -> dict[str, Any]:
    return {"credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose}, **extra}


def test_suspend_reinstate_revoke_are_seen_in_the_served_lists(server, client, tenant, did):
    issued = issue(client, tenant, vc2(did), credentialStatus=[
        {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}])
    revocation, suspension = issued["credentialStatus"]
    cid = issued["id"]

    # The suites' shape: no "status" member means "set".
    response = client.post("/credentials/status", headers=tenant.headers(), json=_status_body(cid, "suspension"))
    assert response.status_code == 200, response.text
    assert response.json()["credentialStatus"] == suspension and response.json()["status"] is True
    assert bit(client, suspension) is True
    report = library_verify(server, issued)
    assert not report.verified and "suspended" in report.check("status").message

    response = client.post("/credentials/status", headers=tenant.headers(),
                           json=_status_body(cid, "suspension", status=False))
    assert response.status_code == 200, response.text
    assert bit(client, suspension) is False and library_verify(server, issued).verified

    response = client.post("/credentials/status", headers=tenant.headers(), json=_status_body(cid, "revocation"))
    assert response.status_code == 200, response.text
    assert bit(client, revocation) is True
    assert "revoked" in library_verify(server, issued).check("status").message
    assert_problem(client.post("/credentials/status", headers=tenant.headers(),
                               json=_status_body(cid, "revocation", status=False)), 409, "revocation-is-permanent")
    # Setting it again changes nothing and is fine.
    assert client.post("/credentials/status", headers=tenant.headers(),
                       json=_status_body(cid, "revocation")).status_code == 200


def test_status_update_errors(server, client, tenant, did):
    issued = issue(client, tenant, vc2(did), credentialStatus={"type": "BitstringStatusListEntry",
                                                               "statusPurpose": "revocation"})
    cid = issued["id"]
    headers = tenant.headers()
    assert_problem(client.post("/credentials/status", headers=headers,
                               json=_status_body("urn:uuid:unknown", "revocation")), 404, "credential-status-not-found")
    assert_problem(client.post("/credentials/status", headers=headers, json=_status_body(cid, "suspension")),
                   404, "credential-status-not-found")
    wrong_index = _status_body(cid, "revocation")
    wrong_index["credentialStatus"]["statusListIndex"] = str(int(issued["credentialStatus"]["statusListIndex"]) + 1)
    assert_problem(client.post("/credentials/status", headers=headers, json=wrong_index), 422)
    for bad in ({}, {"credentialId": cid}, _status_body(cid, "refresh"), _status_body(cid, "revocation", status="yes"),
                _status_body(cid, "revocation", extra=1), {**_status_body(cid, "revocation"), "credentialStatus": None}):
        assert_problem(client.post("/credentials/status", headers=headers, json=bad), 422)
    assert_problem(client.post("/credentials/status", headers=tenant.headers(Role.EDUCATOR),
                               json=_status_body(cid, "revocation")), 403)
    other = make_tenant(server.app.state.services.sessions, "other-district")
    assert_problem(client.post("/credentials/status", headers=other.headers(), json=_status_body(cid, "revocation")),
                   404)
    assert bit(client, issued["credentialStatus"]) is False


# -- status lists --------------------------------------------------------------------------------------------


def test_create_and_get_status_list(server, client, tenant, did):
    response = client.post("/status-lists", headers=tenant.headers(), json={"statusPurpose": "suspension"})
    assert response.status_code == 201, response.text
    url = response.json()["id"]
    assert response.headers["location"] == url and url.startswith(server.base_url + "/status-lists/")
    signed = response.json()["verifiableCredential"]
    assert signed["id"] == url and signed["issuer"] == did
    assert "BitstringStatusListCredential" in signed["type"]
    assert signed["credentialSubject"]["statusPurpose"] == "suspension"
    resolver = server.app.state.services.resolver

    def resolve(vm: str, purpose: str):
        return resolver.resolve_verification_method(vm).public_key

    assert all(c.verified for c in verify_proofs(signed, resolve, now=datetime.now(timezone.utc)))

    fetched = client.get(url)  # public: no key
    assert fetched.status_code == 200 and fetched.json() == signed
    assert fetched.headers["cache-control"] == "public, max-age=300"
    assert client.get(url, headers={"If-None-Match": fetched.headers["etag"]}).status_code == 304
    assert_problem(client.get("/status-lists/does-not-exist"), 404)
    assert_problem(client.get("/status-lists/" + "x" * 65), 422)

    # A credential may name the list; its entry points there.
    issued = issue(client, tenant, vc2(did), credentialStatus={
        "type": "BitstringStatusListEntry", "statusPurpose": "suspension", "statusListCredential": url})
    assert issued["credentialStatus"]["statusListCredential"] == url
    # ... but not as another purpose.
    response = client.post("/credentials/issue", headers=tenant.headers(), json={"credential": vc2(did), "options": {
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                             "statusListCredential": url}}})
    assert_problem(response, 422)
    assert client.post(url + "/publish", headers=tenant.headers(), json={}).status_code == 204


def test_status_list_with_chosen_id_and_errors(server, client, tenant):
    url = server.base_url + "/status-lists/my-list_1"
    response = client.post("/status-lists", headers=tenant.headers(), json={
        "statusPurpose": "revocation", "id": url, "options": {"length": 16384}})
    assert response.status_code == 201, response.text
    assert response.json()["id"] == url
    assert_problem(client.post("/status-lists", headers=tenant.headers(),
                               json={"statusPurpose": "revocation", "id": url}), 409)
    for bad in ({}, {"statusPurpose": "refresh"}, {"statusPurpose": "revocation", "id": "https://elsewhere/x"},
                {"statusPurpose": "revocation", "id": server.base_url + "/status-lists/bad key"},
                {"statusPurpose": "revocation", "options": {"length": 7}}, {"statusPurpose": "revocation", "x": 1}):
        assert_problem(client.post("/status-lists", headers=tenant.headers(), json=bad), 422)
    assert_problem(client.post("/status-lists", json={"statusPurpose": "revocation"}), 401)


def test_another_issuer_cannot_use_a_list(server, client, tenant):
    url = client.post("/status-lists", headers=tenant.headers(), json={"statusPurpose": "revocation"}).json()["id"]
    other = make_tenant(server.app.state.services.sessions, "other-district")
    other_did = issuer_did(server.base_url, "other-district")
    response = client.post("/credentials/issue", headers=other.headers(), json={"credential": vc2(other_did),
        "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                                         "statusListCredential": url}}})
    assert_problem(response, 404, "status-list-not-found")


# -- presentations -------------------------------------------------------------------------------------------

CHALLENGE, DOMAIN = "c0ae1c8e-c7e7-469f-b252-86e6a0e7387e", "verifier.example"


@pytest.fixture
def holder() -> Ed25519KeyPair:
    key = Ed25519KeyPair.generate()
    did = did_key_from_public(key.public_key)
    return key.bound(did, f"{did}#{did.removeprefix('did:key:')}")


def presentation(holder_did: str, credentials: list[Any]) -> dict[str, Any]:
    return {"@context": [CREDENTIALS_V2], "type": ["VerifiablePresentation"], "holder": holder_did,
            "verifiableCredential": credentials}


def signed_vp(holder: Ed25519KeyPair, credentials: list[Any], *, challenge: str = CHALLENGE,
              domain: str = DOMAIN) -> dict[str, Any]:
    vp = presentation(holder.controller or "", credentials)
    vp["proof"] = create_proof(vp, holder, proof_purpose="authentication", challenge=challenge, domain=domain)
    return vp


def verify_vp(client: httpx.Client, tenant: Tenant, vp: dict[str, Any], **options: Any) -> httpx.Response:
    return client.post("/presentations/verify", headers=tenant.headers(),
                       json={"verifiablePresentation": vp, "options": options})


@SQLITE_ONLY  # checked by the Node reference or in the browser: above the database
def test_signed_presentation_verifies(client, tenant, did, holder):
    issued = issue(client, tenant, vc2(did), credentialStatus={"type": "BitstringStatusListEntry",
                                                               "statusPurpose": "revocation"})
    response = verify_vp(client, tenant, signed_vp(holder, [issued]), challenge=CHALLENGE, domain=DOMAIN)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["verified"] is True and result["problemDetails"] == []
    assert result["results"]["presentation"]["challenge"] == {"verified": True, "input": CHALLENGE}
    assert result["results"]["presentation"]["domain"] == {"verified": True, "input": DOMAIN}
    assert result["results"]["presentation"]["holder"]["verified"] is True
    [credential] = result["results"]["credentials"]
    assert credential["verified"] is True and credential["results"]["proof"][0]["verified"] is True
    assert credential["results"]["credentialStatus"][0]["verified"] is True
    assert "verifiablePresentation" not in result


def test_wrong_challenge_or_domain_fails(client, tenant, did, holder):
    vp = signed_vp(holder, [issue(client, tenant, vc2(did))])
    body = assert_problem(verify_vp(client, tenant, vp, challenge="another-challenge", domain=DOMAIN), 422,
                          "presentation-not-verified")
    assert body["verified"] is False and "challenge" in body["detail"]
    assert body["results"]["presentation"]["challenge"]["verified"] is False
    body = assert_problem(verify_vp(client, tenant, vp, challenge=CHALLENGE, domain="evil.example"), 422)
    assert "domain" in body["detail"]


def test_presentation_proof_must_be_the_holders_authentication_key(client, tenant, did, holder):
    vp = signed_vp(holder, [issue(client, tenant, vc2(did))])
    vp["holder"] = "did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r"
    body = assert_problem(verify_vp(client, tenant, vp, challenge=CHALLENGE), 422)
    assert "not to the holder" in body["detail"]
    # A credential proof (assertionMethod) is not an authentication proof.
    vp = presentation(holder.controller or "", [])
    vp["proof"] = create_proof(vp, holder, proof_purpose="assertionMethod", challenge=CHALLENGE)
    assert "proofPurpose" in assert_problem(verify_vp(client, tenant, vp, challenge=CHALLENGE), 422)["detail"]


def test_tampered_presentation_or_credential_fails(client, tenant, did, holder):
    issued = issue(client, tenant, vc2(did))
    vp = signed_vp(holder, [issued])
    vp["holder"] = holder.controller  # unchanged
    tampered = copy.deepcopy(vp)
    tampered["verifiableCredential"][0]["credentialSubject"]["id"] = "did:example:mallory"
    body = assert_problem(verify_vp(client, tenant, tampered, challenge=CHALLENGE), 422)
    assert body["verified"] is False
    # Re-signed by the holder, the presentation is fine but the credential inside is not.
    resigned = signed_vp(holder, tampered["verifiableCredential"])
    body = assert_problem(verify_vp(client, tenant, resigned, challenge=CHALLENGE), 422)
    assert body["results"]["presentation"]["proof"][0]["verified"] is True
    assert body["results"]["credentials"][0]["verified"] is False


def test_unsigned_presentation(client, tenant, did, holder):
    issued = issue(client, tenant, vc2(did))
    for key in ("presentation", "verifiablePresentation"):
        response = client.post("/presentations/verify", headers=tenant.headers(),
                               json={key: presentation(holder.controller or "", [issued]),
                                     "options": {"returnPresentation": True}})
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["verified"] is True and result["warnings"][0]["title"] == "presentation not signed"
        assert result["verifiablePresentation"]["holder"] == holder.controller
    # A challenge cannot be met without a proof.
    response = client.post("/presentations/verify", headers=tenant.headers(), json={
        "presentation": presentation(holder.controller or "", [issued]), "options": {"challenge": CHALLENGE}})
    assert_problem(response, 422)


BAD_PRESENTATIONS: list[tuple[str, Any]] = [
    ("nothing", {}),
    ("both", {"presentation": {}, "verifiablePresentation": {}}),
    ("not-object", {"verifiablePresentation": "eyJ.x.y"}),
    ("no-context", {"verifiablePresentation": {"type": ["VerifiablePresentation"]}}),
    ("context-not-array", {"verifiablePresentation": {"@context": CREDENTIALS_V2, "type": ["VerifiablePresentation"]}}),
    ("context-order", {"verifiablePresentation": {"@context": [{"X": "https://example.org/#X"}, CREDENTIALS_V2],
                                                  "type": ["VerifiablePresentation"]}}),
    ("no-type", {"verifiablePresentation": {"@context": [CREDENTIALS_V2]}}),
    ("wrong-type", {"verifiablePresentation": {"@context": [CREDENTIALS_V2], "type": ["VerifiableCredential"]}}),
    ("enveloped", {"verifiablePresentation": {"@context": [CREDENTIALS_V2], "id": "data:application/vp+jwt,e.e.e",
                                              "type": ["VerifiablePresentation", "EnvelopedVerifiablePresentation"]}}),
    ("holder-number", {"verifiablePresentation": {"@context": [CREDENTIALS_V2], "type": ["VerifiablePresentation"],
                                                  "holder": 4}}),
    ("credential-string", {"verifiablePresentation": {"@context": [CREDENTIALS_V2],
                                                      "type": ["VerifiablePresentation"],
                                                      "verifiableCredential": ["https://example.org/vc/1"]}}),
    ("unknown-member", {"verifiablePresentation": {"@context": [CREDENTIALS_V2], "type": ["VerifiablePresentation"]},
                        "extra": True}),
]


@pytest.mark.parametrize(("case", "body"), BAD_PRESENTATIONS, ids=[b[0] for b in BAD_PRESENTATIONS])
def test_bad_presentations_are_refused(refusing_server, case, body):
    assert_problem(refusing_server.client.post("/presentations/verify", headers=refusing_server.tenant.headers(),
                                               json=body), 422)


# -- the W3C examples context (MCBADGE_EXTRA_CONTEXTS) -------------------------------------------------------


def alumni(did: str) -> dict[str, Any]:
    """The kind of credential the W3C suites send: terms from the examples context's @vocab."""
    return {"@context": [CREDENTIALS_V2, EXAMPLES_V2], "id": f"urn:uuid:{uuid.uuid4()}",
            "type": ["VerifiableCredential", "AlumniCredential"], "issuer": did,
            "credentialSubject": {"id": SUBJECT, "alumniOf": "The School of Examples"}}


def test_examples_context_is_refused_by_default(client, tenant, did):
    response = client.post("/credentials/issue", headers=tenant.headers(), json={"credential": alumni(did)})
    assert "not pinned" in assert_problem(response, 422)["detail"]


@pytest.fixture
def examples_server(tmp_path: Path) -> Iterator[tuple[Any, str, Tenant]]:
    settings = make_settings(tmp_path, extra_contexts="credentials-examples-v2")
    with live_server(settings) as (app, base):
        yield app, base, make_tenant(app.state.services.sessions, "vc-district")


def test_examples_context_when_enabled(examples_server, node_reference):
    app, base, tenant = examples_server
    did = issuer_did(app.state.services.settings.public_base_url, "vc-district")
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as http:
        issued = issue(http, tenant, alumni(did))
        # Still strict for documents that do not use it: an undefined term has no @vocab to fall back on.
        response = http.post("/credentials/issue", headers=tenant.headers(),
                             json={"credential": vc2(did, credentialSubject={"id": SUBJECT, "alumniOf": "x"})})
        assert "alumniOf" in assert_problem(response, 422)["detail"]
        documents = {did: http.get("/issuers/vc-district/did.json").json(), EXAMPLES_V2: EXAMPLES_DOC}
    canonicalizer = context_policy(parse_names("credentials-examples-v2")).canonicalizer_for(issued)
    services = app.state.services
    report = verify(issued, resolver=services.resolver, now=datetime.now(timezone.utc), canonicalizer=canonicalizer)
    assert report.verified, report.summary
    assert node_reference.verify(issued, documents)["verified"]
    # The production verifier (pinned contexts only) does not read it.
    assert not verify(issued, resolver=services.resolver, now=datetime.now(timezone.utc)).verified


def test_unknown_extra_context_name_is_refused():
    with pytest.raises(ValueError, match="unknown extra contexts"):
        parse_names("credentials-examples-v2, remote-anything")


def test_examples_context_is_not_pinned_for_production():
    from mcbadge.vc.contexts import PINNED_LOADER

    assert EXAMPLES_V2 not in PINNED_LOADER.urls
    assert context_policy(()).canonicalizer_for({"@context": [CREDENTIALS_V2, EXAMPLES_V2]}) is \
        context_policy(()).strict


def test_oauth_client_credentials_token_with_the_scope(server, client, tenant, did):
    from mcbadge.oauth.scopes import VC_ISSUE, VC_STATUS

    made = client.post("/api/v1/oauth-clients", headers=tenant.headers(), json={
        "client_name": "District SIS", "person_id": str(tenant.integrator.id), "scope": [VC_ISSUE]})
    assert made.status_code == 201, made.text
    reg = made.json()
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        auth=httpx.BasicAuth(reg["client_id"], reg["client_secret"])).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    response = client.post("/credentials/issue", headers=bearer, json={"credential": vc2(did)})
    assert response.status_code == 201, response.text
    # A well-authenticated bad body is still 422, not 401.
    assert_problem(client.post("/credentials/issue", headers=bearer, json={"credential": {}}), 422)
    # The token has no mcbadge:vc.status scope.
    assert VC_STATUS not in reg["scope"]
    response = client.post("/status-lists", headers=bearer, json={"statusPurpose": "revocation"})
    assert response.status_code == 403, response.text
    assert_problem(client.post("/credentials/issue", headers={"Authorization": "Bearer not-a-token"},
                               json={"credential": vc2(did)}), 401)


def test_credentials_verify_sees_vc_api_status_changes(client, tenant, did):
    issued = issue(client, tenant, vc2(did), credentialStatus={"type": "BitstringStatusListEntry",
                                                               "statusPurpose": "revocation"})
    response = client.post("/credentials/verify", json={"verifiableCredential": issued, "options": {}})
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True
    assert client.post("/credentials/status", headers=tenant.headers(),
                       json=_status_body(issued["id"], "revocation")).status_code == 200
    body = assert_problem(client.post("/credentials/verify", json={"verifiableCredential": issued}), 422)
    assert "revoked" in body["detail"]


def test_credentials_verify_reads_the_examples_context_when_enabled(examples_server):
    app, base, tenant = examples_server
    did = issuer_did(app.state.services.settings.public_base_url, "vc-district")
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as http:
        issued = issue(http, tenant, alumni(did))
        response = http.post("/credentials/verify", json={"verifiableCredential": issued, "options": {}})
        assert response.status_code == 200, response.text
