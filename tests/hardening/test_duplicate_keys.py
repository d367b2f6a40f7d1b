"""Duplicate member names in JSON are refused with 400 saying why (issue 16, finding 7).

Python's parser keeps the last of two equal names, others keep the first: a credential with a fake
``issuer`` placed before the real one verified here, while another verifier would read another issuer.
RFC 8259 leaves the meaning of such a document to the parser; I-JSON (RFC 7493 §2.3) forbids it. mcbadge now
refuses it in credentials, presentations and every JSON request body, however they arrive.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from mcbadge.db.models import Role
from mcbadge.oauth.scopes import OB_CREDENTIAL_UPSERT
from tests.assertions import assert_imsx, assert_problem
from tests.factories.catalog import microcredential_body
from tests.factories.credentials import award_one
from tests.factories.oauth import bearer, educator_tokens, register
from tests.factories.tenants import Tenant
from tests.live_server import LiveServer

FAKE_ISSUER = '"issuer": "did:web:attacker.example", '


def with_fake_issuer_first(document: dict[str, Any]) -> str:
    """The credential's JSON text with a second ``issuer`` member placed before the real one."""
    text = json.dumps(document)
    assert text.startswith("{")
    return "{" + FAKE_ISSUER + text[1:]


def assert_duplicate(response: httpx.Response, pointer: str, name: str = "issuer") -> None:
    body = assert_problem(response, 400, "duplicate-member")
    assert body["field"] == pointer and f"'{name}'" in body["detail"], body


def test_a_credential_with_two_issuers_is_refused_everywhere(server: LiveServer, client: httpx.Client,
                                                            tenant: Tenant) -> None:
    document = dict(award_one(server, tenant).document)
    text = with_fake_issuer_first(document)
    # The same document without the fake member verifies: what is refused is the duplicate alone.
    assert client.post("/verify", json=document).json()["verified"] is True

    json_type = {"content-type": "application/json"}
    assert_duplicate(client.post("/verify", content=text, headers=json_type), "/issuer")
    assert_duplicate(client.post("/verify", content=text, headers={"content-type": "text/plain"}), "/issuer")
    assert_duplicate(client.post("/verify", data={"credential": text}), "/issuer")
    assert_duplicate(client.post("/verify", files={"credential": ("badge.json", text.encode(), "application/json")}),
                     "/issuer")
    assert_duplicate(client.post("/credentials/verify", content='{"verifiableCredential": ' + text + "}",
                                 headers=json_type), "/verifiableCredential/issuer")
    presentation = ('{"type": ["VerifiablePresentation"], "verifiableCredential": [' + text + "]}")
    assert_duplicate(client.post("/verify", content=presentation, headers=json_type),
                     "/verifiableCredential/0/issuer")
    assert_duplicate(client.post("/presentations/verify", content='{"verifiablePresentation": ' + presentation + "}",
                                 headers={**json_type, **tenant.headers()}),
                     "/verifiablePresentation/verifiableCredential/0/issuer")
    # An educator's stacks upload.
    assert_duplicate(client.post("/api/v1/stacks/external-credentials", content='{"credential": ' + text + "}",
                                 headers={**json_type, **tenant.headers(Role.EDUCATOR)}), "/credential/issuer")


def test_the_ob_api_refuses_it_in_its_own_format(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    document = dict(award_one(server, tenant).document)
    token = educator_tokens(client, register(client), tenant.keys[Role.EDUCATOR],
                            OB_CREDENTIAL_UPSERT)["access_token"]
    response = client.post("/ims/ob/v3p0/credentials", content=with_fake_issuer_first(document),
                           headers={**bearer(token), "content-type": "application/json"})
    body = assert_imsx(response, 400, "invalid_data")
    assert "duplicate" in body["imsx_description"] and "/issuer" in body["imsx_description"]


def test_request_bodies(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    text = json.dumps(microcredential_body())
    doubled = '{"title": "A title nobody sees", ' + text[1:]
    response = client.post("/api/v1/microcredentials", content=doubled,
                           headers={**tenant.headers(), "content-type": "application/json"})
    assert_duplicate(response, "/title", "title")
    # Nested objects too, and a refused body stores nothing.
    nested = text.replace('"key": "not-yet"', '"key": "not-yet", "key": "again"', 1)
    assert nested != text
    assert_duplicate(client.post("/api/v1/microcredentials", content=nested,
                                 headers={**tenant.headers(), "content-type": "application/json"}),
                     "/rubric/levels/0/key", "key")
    assert client.get("/api/v1/microcredentials", headers=tenant.headers()).json()["total"] == 0
