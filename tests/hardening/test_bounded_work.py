"""Bounded work per request (issue 16, finding 1): what a credential may carry is limited before anything
expensive runs, at every entry point that takes a credential, and each refusal is a 413 problem detail naming
the limit (``mcbadge.limits``). Before, a copy of a credential whose ``proof`` (or ``credentialStatus``, or
``type``) array was repeated thousands of times was verified in full, in time proportional to its size, on
the event loop. A client also gets at most ``MCBADGE_MAX_VERIFICATIONS_PER_CLIENT`` verifications in flight.
"""

from __future__ import annotations

import copy
import http.server
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcbadge import limits
from mcbadge.db.models import Role
from mcbadge.oauth.scopes import OB_CREDENTIAL_UPSERT
from mcbadge.vc.baking import bake_svg
from mcbadge.vc.json_values import as_list
from tests.assertions import assert_imsx, assert_problem
from tests.factories.credentials import award_one
from tests.factories.oauth import bearer, educator_tokens, register
from tests.factories.tenants import Tenant
from tests.live_server import SQLITE_ONLY, LiveServer, live_server, make_settings

pytestmark = SQLITE_ONLY  # the limits apply before anything reaches the database


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"n": value}
    return value


Inflate = Callable[[dict[str, Any]], dict[str, Any]]
INFLATIONS: dict[str, tuple[Inflate, str]] = {
    # One value or an array of them alike (JSON-LD): an award carries one status entry, and one proof.
    "proofs": (lambda d: {**d, "proof": as_list(d["proof"]) * (limits.MAX_PROOFS + 1)}, "proof"),
    "status entries": (lambda d: {**d, "credentialStatus": as_list(d["credentialStatus"])
                                  * (limits.MAX_STATUS_ENTRIES + 1)}, "credentialStatus"),
    "types": (lambda d: {**d, "type": d["type"] + [f"T{i}" for i in range(limits.MAX_TYPES)]}, "type"),
    "endorsements": (lambda d: {**d, "endorsement": [{"id": f"urn:e:{i}"} for i in range(limits.MAX_ENDORSEMENTS + 1)]},
                     "endorsement"),
    # A designation's components: more than vc.components.MAX_COMPONENTS is a failed check (tests/stacks), an
    # absurd number a refusal.
    "related resources": (lambda d: {**d, "relatedResource": [{"id": f"urn:r:{i}"}
                                                              for i in range(limits.MAX_ARRAY_ITEMS + 1)]},
                          "array items"),
    "evidence": (lambda d: {**d, "evidence": d["evidence"] * (limits.MAX_EVIDENCE + 1)}, "evidence"),
    # Credentials held in a document (a presentation's, a CLR's): each would be verified in turn.
    "held credentials": (lambda d: {**d, "verifiableCredential": [{"id": f"urn:c:{i}"} for i in
                                                                  range(limits.MAX_PRESENTED_CREDENTIALS + 1)]},
                         "verifiableCredential"),
    "any array": (lambda d: {**d, "credentialSubject": {**d["credentialSubject"],
                                                       "x": list(range(limits.MAX_ARRAY_ITEMS + 1))}}, "array items"),
    "members": (lambda d: {**d, "credentialSubject": {**d["credentialSubject"],
                                                     **{f"m{i}": i for i in range(limits.MAX_OBJECT_MEMBERS)}}},
                "object members"),
    "nesting": (lambda d: {**d, "credentialSubject": {**d["credentialSubject"], "x": nested(limits.MAX_JSON_DEPTH)}},
                "depth"),
    "a long string": (lambda d: {**d, "name": "x" * (limits.MAX_STRING_CHARS + 1)}, "string characters"),
    "values": (lambda d: {**d, "x": [list(range(900)) for _ in range(limits.MAX_CREDENTIAL_VALUES // 900 + 1)]},
               "credential values"),
}


def assert_limit(response: httpx.Response, limit: str) -> dict[str, Any]:
    body = assert_problem(response, 413, "limit-exceeded")
    assert body["limit"] == limit and isinstance(body["max"], int) and str(body["max"]) in body["detail"], body
    return body


@pytest.fixture
def document(server: LiveServer, tenant: Tenant) -> dict[str, Any]:
    return copy.deepcopy(dict(award_one(server, tenant).document))


def test_each_limit_on_post_verify(client: httpx.Client, document: dict[str, Any]) -> None:
    assert client.post("/verify", json=document).json()["verified"] is True
    for inflation, (inflate, limit) in INFLATIONS.items():
        response = client.post("/verify", json=inflate(document))
        assert response.status_code == 413, f"{inflation}: {response.status_code} {response.text[:300]}"
        assert_limit(response, limit)


def test_every_entry_point_applies_the_limits(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                              document: dict[str, Any]) -> None:
    inflated = INFLATIONS["proofs"][0](document)
    text = json.dumps(inflated)
    assert_limit(client.post("/verify", content=text, headers={"content-type": "text/plain"}), "proof")
    assert_limit(client.post("/verify", data={"credential": text}), "proof")
    assert_limit(client.post("/verify", files={"credential": ("badge.json", text.encode(), "application/json")}),
                 "proof")
    svg = bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', inflated)
    assert_limit(client.post("/verify", content=svg, headers={"content-type": "image/svg+xml"}), "proof")
    presentation = {"type": ["VerifiablePresentation"], "verifiableCredential": [document, inflated]}
    assert_limit(client.post("/verify", json=presentation), "proof")
    assert_limit(client.post("/credentials/verify", json={"verifiableCredential": inflated}), "proof")
    assert_limit(client.post("/presentations/verify", json={"verifiablePresentation": presentation},
                             headers=tenant.headers()), "proof")
    crowded = {"type": ["VerifiablePresentation"],
               "verifiableCredential": [{"id": f"urn:c:{i}"} for i in range(limits.MAX_PRESENTED_CREDENTIALS + 1)]}
    assert_limit(client.post("/presentations/verify", json={"presentation": crowded}, headers=tenant.headers()),
                 "verifiableCredential")
    assert_limit(client.post("/api/v1/stacks/external-credentials", json={"credential": inflated},
                             headers=tenant.headers(Role.EDUCATOR)), "proof")
    token = educator_tokens(client, register(client), tenant.keys[Role.EDUCATOR], OB_CREDENTIAL_UPSERT)
    refused = client.post("/ims/ob/v3p0/credentials", json=inflated, headers=bearer(token["access_token"]))
    body = assert_imsx(refused, 400, "invalid_data")  # the OB 3.0 API answers every refusal so
    assert "proof" in body["imsx_description"] and str(limits.MAX_PROOFS) in body["imsx_description"]


def test_a_json_body_larger_than_any_credential(client: httpx.Client, document: dict[str, Any]) -> None:
    # /verify takes 32 MiB (evidence files); a credential sent as JSON is never that large.
    padded = {**document, "pad": ["x" * 1000] * (limits.MAX_JSON_BYTES // 1000 + 1)}
    response = client.post("/verify", json=padded)
    assert_problem(response, 413)
    assert str(limits.MAX_JSON_BYTES) in response.json()["detail"]


def test_verifications_in_flight_per_client(tmp_path: Path) -> None:
    # A URL on a site that answers only when told holds each verification in flight, to count them.
    release, arrived = threading.Event(), threading.Semaphore(0)

    class Held(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            arrived.release()
            release.wait(20)
            self.send_error(404)

        def log_message(self, *args: Any) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Held)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{site.server_address[1]}/badge.json"
    try:
        with live_server(make_settings(tmp_path, max_verifications_per_client=2)) as (_, base_url):
            answers: list[int] = []

            def verify() -> None:
                answers.append(httpx.post(f"{base_url}/verify", json={"url": url}, timeout=30).status_code)

            threads = [threading.Thread(target=verify) for _ in range(2)]
            for thread in threads:
                thread.start()
            assert arrived.acquire(timeout=10) and arrived.acquire(timeout=10)  # both are in flight
            refused = httpx.post(f"{base_url}/verify", json={"url": url}, timeout=30)
            body = assert_problem(refused, 429, "too-many-requests")
            assert refused.headers["retry-after"] == "1" and "2" in body["detail"]
            assert assert_problem(httpx.post(f"{base_url}/credentials/verify", json={"verifiableCredential": {}}),
                                  429)["limit"] == "verifications in flight"
            # Another client (another loopback address) is not held back, and /health never is.
            assert httpx.get(f"{base_url}/health").status_code == 200
            with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30) as other:
                assert_problem(other.post(f"{base_url}/verify", json={"url": "ftp://example.org/x"}), 422, "url-refused")
            release.set()
            for thread in threads:
                thread.join()
            assert answers == [502, 502]
            # Answered, they no longer count.
            assert_problem(httpx.post(f"{base_url}/verify", json={"url": "ftp://example.org/x"}), 422, "url-refused")
    finally:
        release.set()
        site.shutdown()
        site.server_close()
