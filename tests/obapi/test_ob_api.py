"""The 1EdTech Open Badges 3.0 API over HTTP: discovery, getCredentials paging, upsertCredential with foreign
credentials (Data Integrity and VC-JWT; tampered ones refused with the reason), profile, and Imsx_StatusInfo
errors checked against 1EdTech's JSON Schemas (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import jsonschema
import pytest

from mcbadge.db.models import Role
from mcbadge.oauth.scopes import (
    OB_CREDENTIAL_READONLY,
    OB_CREDENTIAL_UPSERT,
    OB_PROFILE_READONLY,
    OB_PROFILE_UPDATE,
    OB_SCOPES,
)
from mcbadge.vc.contexts import CREDENTIALS_V2
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_key_from_public
from mcbadge.vc.jwt import encode_vc_jwt
from mcbadge.vc.keys import Ed25519KeyPair
from tests.assertions import assert_imsx
from tests.factories.credentials import award_one, rich_credential
from tests.factories.oauth import bearer, educator_tokens, register
from tests.factories.tenants import Tenant
from tests.live_server import SQLITE_ONLY, LiveServer
from tests.reference_data import REPO

SCHEMAS = REPO / "schemas" / "ob-v3p0"
ALL = " ".join(OB_SCOPES)


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())


def assert_valid(instance: Any, name: str | dict[str, Any]) -> None:
    validator = jsonschema.Draft201909Validator(schema(name) if isinstance(name, str) else name,
                                                format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(instance), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def assert_imsx_valid(response: httpx.Response, status: int, code_minor: str) -> dict[str, Any]:
    body = assert_imsx(response, status, code_minor)
    assert_valid(body, "imsx_statusinfo.json")
    return body


@pytest.fixture
def token(client: httpx.Client, tenant: Tenant) -> str:
    """An access token of the tenant's educator with all four OB scopes."""
    return educator_tokens(client, register(client), tenant.keys[Role.EDUCATOR], ALL)["access_token"]


def foreign(credential_id: str = "urn:uuid:8f0ad7f4-6a8e-4f43-9a5c-2a1f8f3c0001",
            valid_from: datetime = datetime(2025, 3, 14, 15, 9, 26, tzinfo=timezone.utc)) -> tuple[dict[str, Any], Any]:
    """An unsigned OB credential from a did:key issuer elsewhere (no status list to fetch), and its signer."""
    key = Ed25519KeyPair.generate()
    did = did_key_from_public(key.public_key)
    credential = rich_credential(issuer_id=did, credential_id=credential_id, valid_from=valid_from)
    credential.pop("credentialStatus", None)
    return credential, key.bound(did)


def signed_foreign(**options: Any) -> dict[str, Any]:
    credential, signer = foreign(**options)
    signed = sign_credential(credential, signer)
    signed["proof"] = [signed["proof"]]  # the OB 3.0 schema wants an array (a proof set of one)
    return signed


def test_discovery_document(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/ims/ob/v3p0/discovery")
    assert response.status_code == 200
    doc = response.json()
    spec = schema("openapi.json")
    validator = jsonschema.Draft7Validator({"$ref": "#/components/schemas/ServiceDescriptionDocument",
                                            "components": spec["components"]})
    assert not list(validator.iter_errors(doc))
    base = server.base_url
    assert doc["openapi"].startswith("3.0") and doc["servers"][0]["url"] == f"{base}/ims/ob/v3p0"
    assert {"termsOfService", "x-imssf-privacyPolicyUrl", "title", "version"} <= doc["info"].keys()
    scheme = doc["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["type"] == "oauth2" and scheme["x-imssf-registrationUrl"] == f"{base}/oauth/register"
    assert scheme["x-imssf-name"] == server.settings.issuer_name
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{base}/oauth/authorize" and flow["tokenUrl"] == f"{base}/oauth/token"
    assert flow["refreshUrl"] == f"{base}/oauth/token" and set(flow["scopes"]) == set(OB_SCOPES)
    assert {"/credentials", "/profile", "/discovery"} <= doc["paths"].keys()
    assert doc["paths"]["/credentials"]["get"]["security"] == [{"OAuth2ACG": [OB_CREDENTIAL_READONLY]}]
    # The URLs it names answer.
    assert client.get("/.well-known/oauth-authorization-server").status_code == 200


def _links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))}


def test_get_credentials_pages_issued_and_upserted(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                                   token: str) -> None:
    issued = [award_one(server, tenant), award_one(server, tenant), award_one(server, tenant, format="jwt")]
    for n in range(2):
        stored = signed_foreign(credential_id=f"urn:uuid:8f0ad7f4-6a8e-4f43-9a5c-2a1f8f3c000{n}",
                                valid_from=datetime(2024, 1, 1 + n, tzinfo=timezone.utc))
        assert client.post("/ims/ob/v3p0/credentials", json=stored, headers=bearer(token)).status_code == 201

    first = client.get("/ims/ob/v3p0/credentials", params={"limit": 2}, headers=bearer(token))
    assert first.status_code == 200, first.text
    assert first.headers["x-total-count"] == "5"
    links = _links(first)
    base = f"{server.base_url}/ims/ob/v3p0/credentials"
    assert links == {"next": f"{base}?limit=2&offset=2", "last": f"{base}?limit=2&offset=4",
                     "first": f"{base}?limit=2&offset=0"}
    # Oldest first: the two upserted ones are from 2024.
    assert [c["id"] for c in first.json()["credential"]] == [
        "urn:uuid:8f0ad7f4-6a8e-4f43-9a5c-2a1f8f3c0000", "urn:uuid:8f0ad7f4-6a8e-4f43-9a5c-2a1f8f3c0001"]

    middle = client.get(links["next"], headers=bearer(token))
    assert set(_links(middle)) == {"next", "last", "first", "prev"}
    assert _links(middle)["prev"] == f"{base}?limit=2&offset=0"
    last = client.get(links["last"], headers=bearer(token))
    assert "next" not in _links(last)
    pages = [first.json(), middle.json(), last.json()]
    for page in pages:  # the unmodified 1EdTech schema: mcbadge's credentials carry one status entry
        assert_valid(page, "getopenbadgecredentialsresponse.json")
    ids = [c["id"] for page in pages for c in page["credential"]]
    assert ids[2:] == [issued[0].document["id"], issued[1].document["id"]]
    assert [jws for page in pages for jws in page["compactJwsString"]] == [issued[2].jwt]

    everything = client.get("/ims/ob/v3p0/credentials", headers=bearer(token)).json()
    assert len(everything["credential"]) + len(everything["compactJwsString"]) == 5

    since = client.get("/ims/ob/v3p0/credentials", params={"since": "2024-06-01T00:00:00Z"}, headers=bearer(token))
    assert since.headers["x-total-count"] == "3" and "since=2024-06-01" in _links(since)["first"]
    naive = client.get("/ims/ob/v3p0/credentials", params={"since": "2024-01-01T12:00:00"}, headers=bearer(token))
    assert naive.headers["x-total-count"] == "4"
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    empty = client.get("/ims/ob/v3p0/credentials", params={"since": future}, headers=bearer(token))
    assert empty.json() == {"credential": [], "compactJwsString": []} and empty.headers["x-total-count"] == "0"

    # Another educator sees none of them.
    other = educator_tokens(client, register(client), tenant.keys[Role.ASSESSOR], OB_CREDENTIAL_READONLY)
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(other["access_token"])).headers["x-total-count"] == "0"


def test_upsert_verifies_then_stores_or_replaces(client: httpx.Client, token: str) -> None:
    credential = signed_foreign()
    created = client.post("/ims/ob/v3p0/credentials", json=credential, headers=bearer(token))
    assert created.status_code == 201, created.text
    assert created.json() == credential
    replaced = client.post("/ims/ob/v3p0/credentials", json=credential, headers=bearer(token))
    assert replaced.status_code == 200 and replaced.json() == credential
    listed = client.get("/ims/ob/v3p0/credentials", headers=bearer(token)).json()
    assert listed["credential"] == [credential]

    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["name"] = "Something the issuer never said"
    refused = client.post("/ims/ob/v3p0/credentials", json=tampered, headers=bearer(token))
    body = assert_imsx_valid(refused, 400, "invalid_data")
    assert "proof:" in body["imsx_description"] and "did not verify" in body["imsx_description"]
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(token)).json()["credential"] == [credential]


def test_upsert_refuses_unsigned_and_non_badges(client: httpx.Client, token: str) -> None:
    unsigned, _ = foreign()
    body = assert_imsx_valid(client.post("/ims/ob/v3p0/credentials", json=unsigned, headers=bearer(token)), 400,
                             "invalid_data")
    assert "proof" in body["imsx_description"]
    for content, kind in ((b"[1]", "application/json"), (b"{not json", "application/json"),
                          (b"not a jwt", "text/plain"), (b"<x/>", "application/xml")):
        response = client.post("/ims/ob/v3p0/credentials", content=content, headers={**bearer(token), "content-type": kind})
        assert_imsx_valid(response, 400, "invalid_data")


def test_upsert_a_vc_jwt(client: httpx.Client, token: str) -> None:
    credential, signer = foreign(credential_id="urn:uuid:8f0ad7f4-6a8e-4f43-9a5c-2a1f8f3c00aa")
    jwt = encode_vc_jwt(credential, signer)
    headers = {**bearer(token), "content-type": "text/plain"}
    created = client.post("/ims/ob/v3p0/credentials", content=jwt, headers=headers)
    assert created.status_code == 201, created.text
    assert created.text == jwt and created.headers["content-type"].startswith("text/plain")
    assert client.post("/ims/ob/v3p0/credentials", content=jwt, headers=headers).status_code == 200
    listed = client.get("/ims/ob/v3p0/credentials", headers=bearer(token)).json()
    assert listed == {"credential": [], "compactJwsString": [jwt]}

    head, payload, signature = jwt.split(".")
    forged = f"{head}.{payload}.{signature[:-4]}AAAA"
    body = assert_imsx_valid(client.post("/ims/ob/v3p0/credentials", content=forged, headers=headers), 400,
                             "invalid_data")
    assert "proof" in body["imsx_description"]


def test_upsert_needs_the_upsert_scope(client: httpx.Client, tenant: Tenant) -> None:
    read_only = educator_tokens(client, register(client), tenant.keys[Role.EDUCATOR], OB_CREDENTIAL_READONLY)
    response = client.post("/ims/ob/v3p0/credentials", json=signed_foreign(), headers=bearer(read_only["access_token"]))
    body = assert_imsx_valid(response, 403, "forbidden")
    assert OB_CREDENTIAL_UPSERT in body["imsx_description"]


def test_profile_get_and_put(client: httpx.Client, tenant: Tenant, token: str) -> None:
    profile = client.get("/ims/ob/v3p0/profile", headers=bearer(token))
    assert profile.status_code == 200
    got = profile.json()
    assert got == {"id": f"urn:uuid:{tenant.educator.id}", "type": ["Profile"], "name": tenant.educator.name,
                   "email": tenant.educator.email}
    assert_valid(got, "profile.json")

    updated = {**got, "name": "Erin Q. Educator", "description": "Grade 4 teacher", "url": "https://erin.example.org/",
               "address": {"type": ["Address"], "addressLocality": "Springfield"}}
    put = client.put("/ims/ob/v3p0/profile", json=updated, headers=bearer(token))
    assert put.status_code == 200, put.text
    assert put.json() == updated
    assert client.get("/ims/ob/v3p0/profile", headers=bearer(token)).json() == updated
    # A PUT replaces: members left out are gone.
    smaller = {k: v for k, v in updated.items() if k not in ("address", "url")}
    assert client.put("/ims/ob/v3p0/profile", json=smaller, headers=bearer(token)).json() == smaller

    for bad in ({**got, "id": "urn:uuid:00000000-0000-0000-0000-000000000000"}, {"name": "no id"},
                {**got, "type": ["Person"]}, {**got, "email": 42}):
        assert_imsx_valid(client.put("/ims/ob/v3p0/profile", json=bad, headers=bearer(token)), 400, "invalid_data")
    response = client.put("/ims/ob/v3p0/profile", content=b"{oops", headers={**bearer(token), "content-type": "application/json"})
    assert_imsx_valid(response, 400, "invalid_data")


def test_profile_email_must_stay_unique(client: httpx.Client, tenant: Tenant, token: str) -> None:
    got = client.get("/ims/ob/v3p0/profile", headers=bearer(token)).json()
    taken = {**got, "email": tenant.admin.email}
    assert_imsx_valid(client.put("/ims/ob/v3p0/profile", json=taken, headers=bearer(token)), 400, "invalid_data")
    assert client.get("/ims/ob/v3p0/profile", headers=bearer(token)).json()["email"] == got["email"]


def test_errors_are_imsx_status_info(client: httpx.Client, tenant: Tenant, token: str) -> None:
    assert_imsx_valid(client.get("/ims/ob/v3p0/credentials"), 401, "unauthorizedrequest")
    assert_imsx_valid(client.get("/ims/ob/v3p0/credentials", headers=bearer("mcbat_nope")), 401, "unauthorizedrequest")
    # An API key is not an access token here.
    assert_imsx_valid(client.get("/ims/ob/v3p0/profile", headers=bearer(tenant.keys[Role.EDUCATOR])), 401,
                      "unauthorizedrequest")
    assert_imsx_valid(client.get("/ims/ob/v3p0/nothing-here", headers=bearer(token)), 404, "not_found")
    response = client.delete("/ims/ob/v3p0/credentials", headers=bearer(token))
    assert_imsx_valid(response, 405, "not_allowed")
    assert response.headers["allow"] == "GET, POST"
    assert_imsx_valid(client.post("/ims/ob/v3p0/profile", json={}, headers=bearer(token)), 405, "not_allowed")
    for params in ({"limit": 0}, {"offset": -1}, {"limit": "many"}, {"since": "yesterday"}):
        assert_imsx_valid(client.get("/ims/ob/v3p0/credentials", params=params, headers=bearer(token)), 400,
                          "invalid_query_parameter")
    profile_only = educator_tokens(client, register(client), tenant.keys[Role.EDUCATOR], OB_PROFILE_READONLY)
    assert_imsx_valid(client.put("/ims/ob/v3p0/profile", json={}, headers=bearer(profile_only["access_token"])), 403,
                      "forbidden")
    assert OB_PROFILE_UPDATE  # (named for the reader: putProfile needs profile.update)


def test_the_rest_of_the_api_keeps_problem_details(client: httpx.Client) -> None:
    response = client.get("/api/v1/credentials")
    assert response.status_code == 401 and response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/no/such/path").headers["content-type"].startswith("application/problem+json")


@SQLITE_ONLY  # decided before the database
def test_upsert_refuses_a_vc_jwt_enveloped_in_json(client: httpx.Client, token: str) -> None:
    credential, signer = foreign(credential_id="urn:uuid:8f0ad7f4-6a8e-4f43-9a5c-2a1f8f3c00bb")
    enveloped = {"@context": [CREDENTIALS_V2], "type": "EnvelopedVerifiableCredential",
                 "id": "data:application/vc+jwt," + encode_vc_jwt(credential, signer)}
    body = assert_imsx_valid(client.post("/ims/ob/v3p0/credentials", json=enveloped, headers=bearer(token)), 400,
                             "invalid_data")
    assert "text/plain" in body["imsx_description"]
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(token)).json()["credential"] == []


@SQLITE_ONLY  # refused before any query
def test_an_upsert_over_the_size_limit_is_an_imsx_413(server: LiveServer, client: httpx.Client, token: str) -> None:
    """The body limit is enforced before routing; under /ims/ob/v3p0/ its answer is still an Imsx_StatusInfo."""
    too_big = b"x" * (server.settings.max_body_bytes + 1)
    for content_type in ("application/json", "text/plain"):
        refused = client.post("/ims/ob/v3p0/credentials", content=too_big,
                              headers={**bearer(token), "Content-Type": content_type})
        assert "larger than the limit" in assert_imsx_valid(refused, 413, "invalid_data")["imsx_description"]
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(token)).json()["credential"] == []
    elsewhere = client.post("/oauth/register", content=too_big, headers={"Content-Type": "application/json"})
    assert elsewhere.status_code == 413 and elsewhere.headers["content-type"] == "application/problem+json"
