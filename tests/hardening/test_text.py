"""Text that JSON or the databases cannot carry is refused at the edge, naming where it was (issue 16, finding 2).

A lone surrogate (``\\ud800``: valid JSON escape, but no UTF-8 encoding exists for it) and NUL (``\\u0000``:
PostgreSQL's text and jsonb cannot store it; SQLite can, so the same request behaved differently) are refused
with a 422 problem detail that names the field, on SQLite and PostgreSQL alike, in any JSON body, form, query
string or path. Before, a surrogate in a credential broke the JSON response (500, and the keep-alive
connection was reset), and NUL gave 500 on PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mcbadge.db.models import Role
from tests.assertions import assert_problem
from tests.factories.catalog import microcredential_body
from tests.factories.credentials import award_one
from tests.factories.oauth import registration
from tests.factories.tenants import Tenant
from tests.live_server import LiveServer

NUL = "\u0000"
SURROGATE = "\ud800"
ESCAPED = {NUL: "\\u0000", SURROGATE: "\\ud800"}


def post_json(client: httpx.Client, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    # json.dumps escapes both as \\uXXXX (ASCII): the body itself is valid UTF-8 JSON, as an attacker sends it.
    return client.post(path, content=json.dumps(body).encode(), headers={"content-type": "application/json",
                                                                        **kwargs.pop("headers", {})}, **kwargs)


def assert_refused_text(response: httpx.Response, pointer: str) -> None:
    body = assert_problem(response, 422, "unencodable-text")
    assert body["field"] == pointer, body
    assert pointer in body["detail"], body["detail"]


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_json_bodies_of_every_kind(server: LiveServer, client: httpx.Client, tenant: Tenant, bad: str) -> None:
    admin = tenant.headers()
    credential = award_one(server, tenant)
    document = dict(credential.document)
    cases: list[tuple[str, Any, dict[str, str], str]] = [
        ("/api/v1/microcredentials", microcredential_body(title=f"Checking{bad}"), admin, "/title"),
        ("/api/v1/microcredentials", microcredential_body(key="other", tags=["ok", f"tag{bad}"]), admin, "/tags/1"),
        ("/api/v1/people", {"name": f"Ann{bad}", "email": "ann@example.org", "role": "educator"}, admin, "/name"),
        ("/api/v1/people", {"name": "Ann", "email": f"ann{bad}@example.org", "role": "educator"}, admin, "/email"),
        (f"/api/v1/credentials/{credential.id}/revoke", {"reason": f"wrong{bad}"}, admin, "/reason"),
        ("/oauth/register", registration(client_name=f"Wallet{bad}"), {}, "/client_name"),
        ("/verify", {**document, "name": f"Badge{bad}"}, {}, "/name"),
        ("/credentials/verify", {"verifiableCredential": {**document, "name": f"Badge{bad}"}}, {},
         "/verifiableCredential/name"),
        # A member name counts as text too; the refusal names it with the character escaped (it cannot be sent).
        ("/verify", {**document, f"x{bad}": 1}, {}, "/x" + ESCAPED[bad]),
    ]
    for path, body, headers, pointer in cases:
        response = post_json(client, path, body, headers=headers)
        assert_refused_text(response, pointer)
        # The connection is still good: the next request on it is answered.
        assert client.get("/health").status_code == 200
    # Nothing was stored: the revocation did not happen, nobody was added.
    assert client.get(f"/api/v1/credentials/{credential.id}", headers=admin).json()["revoked"] is False
    people = client.get("/api/v1/people", headers=admin).json()
    assert all(p["name"] != "Ann" for p in people["items"])


def test_query_strings_paths_and_forms(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    assert_refused_text(client.get("/status-lists/a%00b"), "path")
    assert_refused_text(client.get("/issuers/a%00b/did.json"), "path")
    assert_refused_text(client.get("/api/v1/microcredentials", params={"key": "checking\x00"},
                                   headers=tenant.headers()), "query: key")
    assert_refused_text(client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "x\x00"}),
                        "form: client_id")
    # The verification form's pasted credential is read as JSON, with the same rule inside it.
    form = client.post("/verify", data={"credential": json.dumps({"name": SURROGATE, "type": "x"})})
    assert_refused_text(form, "/name")
    assert client.get("/health").status_code == 200


def test_a_surrogate_in_a_presented_component_or_file(server: LiveServer, client: httpx.Client,
                                                      tenant: Tenant) -> None:
    document = dict(award_one(server, tenant).document)
    bad = json.dumps({**document, "description": SURROGATE}).encode()
    response = client.post("/verify", files={"credential": ("badge.json", bad, "application/json")})
    assert_refused_text(response, "/description")
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "verifiableCredential": [document, {**document, "id": f"urn:x:{NUL}"}]}
    assert_refused_text(post_json(client, "/verify", presentation), "/verifiableCredential/1/id")
    # The educator's OB API and stacks uploads take credentials too.
    refused = post_json(client, "/api/v1/stacks/external-credentials", {"credential": {**document, "name": NUL}},
                        headers=tenant.headers(Role.EDUCATOR))
    assert_refused_text(refused, "/credential/name")
