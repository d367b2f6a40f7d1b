"""Failures the W3C / W3C-CCG suites found, fixed and pinned here over real HTTP (on SQLite: what they check is
decided before any query, tests/live_server.py ``SQLITE_ONLY``):

* the VC data model's typed members (VC 2.0 §4.5: ``credentialSchema``, ``evidence``, ``refreshService``,
  ``termsOfUse`` objects MUST have a type; §4.11: a data schema's id is a URL) and related resources (§5.3:
  objects with a URL id, unique, with a digest) are checked at issue time (vc-data-model-2.0-test-suite);
* an EnvelopedVerifiableCredential whose ``@context`` does not start with the credentials v2 context is not
  verified (vc-api-verifier-test-suite, JWT);
* ``POST /credentials/verify`` refuses a credential sent as JSON text in a string: a string must be a compact
  VC-JWT (vc-di-eddsa-test-suite, "securedDocument is not a map");
* ``{"@vocab": null}`` in a credential's contexts is a 422, not a 500 (vc-data-model-2.0-test-suite).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from mcbadge.identity import issuer_did
from mcbadge.vc.canon import default_canonicalizer
from mcbadge.vc.contexts import CREDENTIALS_V2
from mcbadge.vc.errors import CanonicalizationError
from tests.assertions import assert_problem
from tests.factories.credentials import vc2
from tests.factories.tenants import Tenant, make_tenant
from tests.live_server import SQLITE_ONLY, LiveServer

pytestmark = SQLITE_ONLY  # refusals and verifications decided above the database

RESOURCE = "https://www.w3.org/ns/credentials/v2"
SRI = "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg"
MULTIBASE = "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k"
SCHEMA = {"id": "https://example.org/schemas/teacher.json", "type": "JsonSchema"}
TYPED = "https://example.org/vocab#Example"  # an absolute IRI: a type no context has to define


@pytest.fixture
def tenant(server: LiveServer) -> Tenant:
    return make_tenant(server.app.state.services.sessions, "conformance-district")


@pytest.fixture
def did(server: LiveServer) -> str:
    return issuer_did(server.base_url, "conformance-district")


def post_issue(client: httpx.Client, tenant: Tenant, credential: dict[str, Any], **options: Any) -> httpx.Response:
    return client.post("/credentials/issue", json={"credential": credential, "options": options},
                       headers=tenant.headers())


GOOD_MEMBERS: list[tuple[str, dict[str, Any]]] = [
    ("schema", {"credentialSchema": SCHEMA}),
    ("schemas", {"credentialSchema": [SCHEMA, {**SCHEMA, "id": "https://example.org/schemas/other.json"}]}),
    ("evidence", {"evidence": [{"id": "https://example.org/evidence/1", "type": [TYPED]}]}),
    ("refresh", {"refreshService": {"id": "https://example.org/refresh", "type": TYPED}}),
    ("terms", {"termsOfUse": [{"type": TYPED}, {"id": "https://example.org/terms", "type": TYPED}]}),
    ("related-sri", {"relatedResource": {"id": RESOURCE, "digestSRI": SRI}}),
    ("related-multibase", {"relatedResource": [{"id": RESOURCE, "digestMultibase": MULTIBASE,
                                                "mediaType": "application/ld+json"}]}),
]


@pytest.mark.parametrize(("case", "members"), GOOD_MEMBERS, ids=[c[0] for c in GOOD_MEMBERS])
def test_typed_members_and_related_resources_are_issued(client, tenant, did, case, members):
    response = post_issue(client, tenant, vc2(did, **members))
    assert response.status_code == 201, response.text
    issued = response.json()["verifiableCredential"]
    assert {k: issued[k] for k in members} == members


BAD_MEMBERS: list[tuple[str, dict[str, Any], str]] = [
    ("terms-untyped", {"termsOfUse": {}}, "termsOfUse must be an object with a type"),
    ("terms-one-untyped", {"termsOfUse": [{"type": TYPED}, {"id": "https://example.org/t"}]}, "termsOfUse"),
    ("terms-empty-list", {"termsOfUse": []}, "termsOfUse"),
    ("evidence-untyped", {"evidence": [{"id": "https://example.org/evidence/1"}]}, "evidence"),
    ("evidence-not-object", {"evidence": ["https://example.org/evidence/1"]}, "evidence"),
    ("refresh-untyped", {"refreshService": {"id": "https://example.org/refresh"}}, "refreshService"),
    ("refresh-type-empty", {"refreshService": {"id": "https://example.org/refresh", "type": ""}}, "refreshService"),
    ("schema-untyped", {"credentialSchema": {"id": SCHEMA["id"]}}, "credentialSchema must be an object with a type"),
    ("schema-no-id", {"credentialSchema": {"type": "JsonSchema"}}, "credentialSchema must have an id that is a URL"),
    ("schema-id-not-url", {"credentialSchema": {"type": "JsonSchema", "id": "https ://not-a-url.org/x"}},
     "credentialSchema must have an id that is a URL"),
    ("related-strings", {"relatedResource": [RESOURCE]}, "relatedResource must be one or more objects"),
    ("related-no-id", {"relatedResource": [{"digestMultibase": MULTIBASE}]}, "id that is a URL"),
    ("related-duplicate-id", {"relatedResource": [{"id": RESOURCE, "digestSRI": SRI},
                                                  {"id": RESOURCE, "digestMultibase": MULTIBASE}]}, "unique"),
    ("related-no-digest", {"relatedResource": [{"id": RESOURCE}]}, "digestSRI or a digestMultibase"),
]


@pytest.mark.parametrize(("case", "members", "reason"), BAD_MEMBERS, ids=[c[0] for c in BAD_MEMBERS])
def test_untyped_members_and_malformed_related_resources_are_refused(refusing_server, case, members, reason):
    response = post_issue(refusing_server.client, refusing_server.tenant, vc2(refusing_server.did, **members))
    assert_problem(response, 422)
    assert reason in response.json()["detail"]


@pytest.fixture
def envelope(client: httpx.Client, tenant: Tenant, did: str) -> dict[str, Any]:
    response = post_issue(client, tenant, vc2(did), format="vc-jwt")
    assert response.status_code == 201, response.text
    issued = response.json()["verifiableCredential"]
    assert issued["type"] == "EnvelopedVerifiableCredential"
    return issued


def post_verify(client: httpx.Client, credential: Any) -> httpx.Response:
    return client.post("/credentials/verify", json={"verifiableCredential": credential, "options": {}})


def test_envelope_with_the_credentials_context_verifies(client, envelope):
    response = post_verify(client, envelope)
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True
    # One item, not an array: JSON-LD reads it the same.
    assert post_verify(client, {**envelope, "@context": CREDENTIALS_V2}).status_code == 200


@pytest.mark.parametrize("context", ["missing", "string", {}, None, 10, True, [], [None], [[]], [10],
                                     ["https://www.w3.org/2018/credentials/v1"]])
def test_envelope_without_the_credentials_context_is_not_verified(client, envelope, context):
    changed = copy.deepcopy(envelope)
    if context == "missing":
        del changed["@context"]
    else:
        changed["@context"] = context
    response = post_verify(client, changed)
    assert_problem(response, 422)
    body = response.json()
    assert body["verified"] is False
    assert "not a conforming EnvelopedVerifiableCredential" in body["detail"]


def test_credential_as_json_text_is_refused_but_a_jwt_string_is_verified(client, tenant, did, envelope):
    response = post_issue(client, tenant, vc2(did))
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert post_verify(client, signed).status_code == 200

    as_text = post_verify(client, json.dumps(signed))
    assert_problem(as_text, 422)
    assert "compact VC-JWT" in as_text.text

    token = envelope["id"].split(",", 1)[1]
    as_jwt = post_verify(client, token)
    assert as_jwt.status_code == 200, as_jwt.text
    assert as_jwt.json()["verified"] is True


def test_null_vocab_is_refused_not_a_server_error(client, tenant, did):
    """vc-data-model-2.0-test-suite's credential-type-unmapped-fail.json: ``{"@vocab": null}`` made pyld raise a
    KeyError (a 500); it is unreadable input (422), in the library and over HTTP."""
    credential = vc2(did, type=["VerifiableCredential", "ExampleTestCredential"])
    credential["@context"] = [CREDENTIALS_V2, {"@vocab": None}]
    with pytest.raises(CanonicalizationError, match="@vocab"):
        default_canonicalizer().canonicalize(credential)
    response = post_issue(client, tenant, credential)
    assert_problem(response, 422)
    assert "@vocab" in response.json()["detail"]
