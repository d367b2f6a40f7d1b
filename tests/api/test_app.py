"""The HTTP API over real HTTP on loopback: health, issuer DID documents, verification, problem details."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from mcbadge.identity import issuer_did
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_web_from_url, did_web_to_url, find_verification_method
from mcbadge.vc.jwt import encode_vc_jwt
from mcbadge.vc.keys import Ed25519KeyPair

from tests.assertions import PROBLEM_JSON
from tests.factories.credentials import rich_credential as _unsigned
from tests.live_server import LiveServer

SIGNED_AT = datetime(2025, 3, 14, 15, 10, tzinfo=timezone.utc)


def _signing_key(server: LiveServer) -> Ed25519KeyPair:
    settings = server.settings
    return server.keystore.load_or_create(settings.issuer_slug, issuer_did(settings.public_base_url, settings.issuer_slug))


def _signed(server: LiveServer) -> dict[str, Any]:
    key = _signing_key(server)
    return sign_credential(_unsigned(key.controller or ""), key, created=SIGNED_AT)


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in response.text
    return body


def test_health(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_issuer_did_document_lists_the_signing_key_for_assertion(server: LiveServer, client: httpx.Client) -> None:
    slug = server.settings.issuer_slug
    response = client.get(f"/issuers/{slug}/did.json")
    assert response.status_code == 200
    document = response.json()
    did = did_web_from_url(f"{server.base_url}/issuers/{slug}")
    assert document["id"] == did
    # The did:web path form: the DID's URL is this very path (on https in production).
    assert did_web_to_url(did).endswith(f"127.0.0.1:{server.settings.port}/issuers/{slug}/did.json")
    key = _signing_key(server)
    method = find_verification_method(document, key.verification_method)
    assert method.public_key == key.public_key
    assert "assertionMethod" in method.relationships
    assert "private" not in response.text.lower() and "secretKey" not in response.text


def test_rotated_keys_stay_in_the_did_document(server: LiveServer, client: httpx.Client) -> None:
    old = _signing_key(server)
    server.keystore.rotate(server.settings.issuer_slug)
    new = _signing_key(server)
    document = client.get(f"/issuers/{server.settings.issuer_slug}/did.json").json()
    assert [m["publicKeyMultibase"] for m in document["verificationMethod"]] == [
        old.public_multibase, new.public_multibase,
    ]
    assert document["assertionMethod"] == [old.verification_method, new.verification_method]


def test_unknown_issuer_is_a_404_problem(client: httpx.Client) -> None:
    _assert_problem(client.get("/issuers/nobody-here/did.json"), 404)
    _assert_problem(client.get("/issuers/..%2F..%2Fetc/did.json"), 404)


def test_a_credential_signed_with_the_service_key_verifies(server: LiveServer, client: httpx.Client) -> None:
    response = client.post("/credentials/verify", json={"verifiableCredential": _signed(server), "options": {}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert body["problemDetails"] == []
    outcomes = {check["code"]: check["outcome"] for check in body["checks"]}
    assert outcomes["proof"] == "passed"
    assert outcomes["issuer_key"] == "passed"
    assert isinstance(body["summary"], str)


def test_a_vc_jwt_signed_with_the_service_key_verifies(server: LiveServer, client: httpx.Client) -> None:
    key = _signing_key(server)
    token = encode_vc_jwt(_unsigned(key.controller or ""), key, now=SIGNED_AT)
    response = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert response.status_code == 200, response.text
    assert response.json()["format"] == "jwt"


def test_a_tampered_credential_is_422_with_the_failing_check(server: LiveServer, client: httpx.Client) -> None:
    tampered = copy.deepcopy(_signed(server))
    tampered["name"] = "Checking for Understanding (Distinguished)"
    response = client.post("/credentials/verify", json={"verifiableCredential": tampered})
    body = _assert_problem(response, 422)
    assert body["verified"] is False
    failed = {check["code"] for check in body["checks"] if check["outcome"] == "failed"}
    assert "proof" in failed
    assert any(p["code"] == "proof" for p in body["problemDetails"])
    assert "proof" in body["detail"]


def test_a_credential_from_an_unknown_did_web_issuer_is_not_verified(client: httpx.Client) -> None:
    # Remote did:web resolution is not enabled yet: an issuer this service does not host cannot be resolved.
    other = Ed25519KeyPair.generate().bound("did:web:issuer.example.org", "key-1")
    signed = sign_credential(_unsigned("did:web:issuer.example.org"), other, created=SIGNED_AT)
    body = _assert_problem(client.post("/credentials/verify", json={"verifiableCredential": signed}), 422)
    assert body["verified"] is False


def test_malformed_json_is_a_400_problem(client: httpx.Client) -> None:
    response = client.post(
        "/credentials/verify", content=b'{"verifiableCredential": {', headers={"content-type": "application/json"}
    )
    _assert_problem(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"verifiableCredential": 42},
        {"verifiableCredential": ["not", "a", "credential"]},
        {"verifiableCredential": {}, "options": "fast"},
        {"verifiableCredential": {}, "surprise": True},
        [1, 2, 3],
    ],
    ids=["missing", "number", "list", "options-not-object", "unknown-field", "array-body"],
)
def test_wrong_content_is_a_422_problem(client: httpx.Client, body: Any) -> None:
    problem = _assert_problem(client.post("/credentials/verify", json=body), 422)
    assert problem["detail"]


def test_garbage_credential_is_not_verified_not_an_error(client: httpx.Client) -> None:
    # A string must be a compact VC-JWT (Data Integrity: a secured document that is not a map is refused).
    body = _assert_problem(client.post("/credentials/verify", json={"verifiableCredential": "garbage"}), 422)
    assert "compact VC-JWT" in body["detail"]
    # Something JWT-shaped that is not a credential is verified, and fails the parse check.
    body = _assert_problem(client.post("/credentials/verify", json={"verifiableCredential": "e30.e30.e30"}), 422)
    assert body["checks"][0]["code"] == "parse" and body["checks"][0]["outcome"] == "failed"


def test_oversized_body_is_a_413_problem(server: LiveServer, client: httpx.Client) -> None:
    limit = server.settings.max_body_bytes
    big = b'{"verifiableCredential": "' + b"a" * limit + b'"}'
    _assert_problem(client.post("/credentials/verify", content=big, headers={"content-type": "application/json"}), 413)

    def chunked():  # no Content-Length: the limit is enforced while reading
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536

    _assert_problem(client.post("/credentials/verify", content=chunked(), headers={"content-type": "application/json"}), 413)


def test_unknown_route_and_method_are_problems(client: httpx.Client) -> None:
    _assert_problem(client.get("/no/such/thing"), 404)
    _assert_problem(client.put("/credentials/verify", json={}), 405)


def test_a_credential_signed_before_a_key_rotation_still_verifies(server: LiveServer, client: httpx.Client) -> None:
    signed_with_old_key = _signed(server)
    server.keystore.rotate(server.settings.issuer_slug)
    response = client.post("/credentials/verify", json={"verifiableCredential": signed_with_old_key})
    assert response.status_code == 200, response.text


def test_a_key_the_issuer_does_not_list_fails_issuer_key(server: LiveServer, client: httpx.Client) -> None:
    did = _signing_key(server).controller or ""
    impostor = Ed25519KeyPair.generate().bound(did, "key-1")  # same DID URL, different key
    signed = sign_credential(_unsigned(did), impostor, created=SIGNED_AT)
    body = _assert_problem(client.post("/credentials/verify", json={"verifiableCredential": signed}), 422)
    failed = {check["code"] for check in body["checks"] if check["outcome"] == "failed"}
    assert failed & {"proof", "issuer_key"}


def test_public_base_url_defaults_to_the_configured_port() -> None:
    from mcbadge.config import Settings

    assert Settings(port=9123).public_base_url == "http://127.0.0.1:9123"
    assert Settings(port=9123, public_base_url="https://badges.example.org/").public_base_url == "https://badges.example.org"


def test_ready_says_which_part_is_not_ready(server: LiveServer, client: httpx.Client) -> None:
    """/ready: 200 while the database answers and the issuer's key loads; 503 naming the part when the key
    directory loses the issuer's keys (a failed volume mount), and ready again once they are back."""
    assert client.get("/ready").json() == {"status": "ready"}
    issuer_keys = server.settings.keys_dir / server.settings.issuer_slug
    moved = issuer_keys.with_name("elsewhere")
    issuer_keys.rename(moved)
    try:
        response = client.get("/ready")
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert set(response.json()["problems"]) == {"keys"}
        assert str(server.settings.keys_dir) not in response.text
    finally:
        moved.rename(issuer_keys)
    assert client.get("/ready").status_code == 200
