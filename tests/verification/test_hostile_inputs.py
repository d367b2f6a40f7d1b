"""Hostile credentials at every verification entry point: a report or an RFC 9457 problem, never a 500.

Decided above the database (nothing is stored: ``refusing_server`` checks it), so one SQLite server serves the
whole matrix. What each input means is the library's concern (tests/vc/test_hostile_credentials.py); here the
point is the HTTP answer of ``POST /verify``, ``POST /credentials/verify`` and the page's ``POST /verify/report``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.assertions import PROBLEM_JSON
from tests.factories.credentials import rich_credential
from tests.live_server import RefusingServer

ISSUER = "did:web:district.example"
CREDENTIAL = rich_credential(issuer_id=ISSUER, base_url="https://district.example")
TEXT = json.dumps(CREDENTIAL)


def _with(**members: Any) -> bytes:
    return json.dumps({**CREDENTIAL, **members}).encode()


def _status_at(url: str) -> bytes:
    return _with(credentialStatus={**CREDENTIAL["credentialStatus"], "statusListCredential": url})


# name -> the credential's bytes (as a file or a body would hold them)
HOSTILE = {
    "proof id a list": _with(proof={"type": "DataIntegrityProof", "id": ["urn:a"], "proofValue": "z1"}),  # was a 500
    "proof id an object": _with(proof=[{"type": "DataIntegrityProof", "id": {"a": 1}}]),  # was a 500
    "proof a string": _with(proof="z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk"),
    "proof a number": _with(proof=7),
    "validUntil in year 10000 in UTC": _with(validUntil="9999-12-31T23:00:00-14:00"),
    "validFrom in year 0 in UTC": _with(validFrom="0001-01-01T00:00:00+14:00"),
    "status index negative": _with(credentialStatus={**CREDENTIAL["credentialStatus"], "statusListIndex": "-1"}),
    "status index huge": _with(credentialStatus={**CREDENTIAL["credentialStatus"], "statusListIndex": "9" * 4000}),
    "status list at a private address": _status_at("http://10.0.0.1/status/1"),
    "status list at the metadata service": _status_at("http://169.254.169.254/latest/meta-data"),
    "NaN": (TEXT[:-1] + ', "x": NaN}').encode(),
    "1e400": (TEXT[:-1] + ', "x": 1e400}').encode(),
    "deep": ('{"a": ' + "[" * 5000 + "]" * 5000 + "}").encode(),
    "duplicate issuer": ('{"issuer": "did:example:mallory", ' + TEXT[1:]).encode(),
    "not UTF-8": TEXT.replace("Example", "Ex\udce9mple").encode("utf-8", "surrogateescape"),
    "a BOM": ("\ufeff" + TEXT).encode(),
    "a huge array": ('{"a": [' + ",".join(["1"] * 60_000) + "]}").encode(),
}
NEVER_FETCHED = {"status list at a private address": "private address",
                 "status list at the metadata service": "link-local address"}


def _answered(response) -> None:  # noqa: ANN001 - httpx.Response
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("name", HOSTILE)
def test_the_api_answers_a_report_or_a_problem(refusing_server: RefusingServer, name: str) -> None:
    body = HOSTILE[name]
    for path, content in (("/verify", body), ("/credentials/verify", b'{"verifiableCredential": ' + body + b"}")):
        response = refusing_server.client.post(path, content=content, headers={"content-type": "application/json"})
        _answered(response)
        if response.status_code == 200 or response.json().get("type") == "urn:mcbadge:problem:credential-not-verified":
            report = response.json()
            assert report["verified"] is False  # none of these is a signed credential
            if name in NEVER_FETCHED:  # the guarded client refuses before any connection
                status = next(c for c in report.get("checks", report.get("result", {}).get("checks", []))
                              if c["code"] == "status")
                assert status["outcome"] == "not_checked" and NEVER_FETCHED[name] in status["message"]
        else:
            assert response.headers["content-type"].startswith(PROBLEM_JSON), (path, response.text)


@pytest.mark.parametrize("name", HOSTILE)
def test_the_page_answers_a_page(refusing_server: RefusingServer, name: str) -> None:
    response = refusing_server.client.post("/verify/report", files={
        "credential_file": ("credential.json", HOSTILE[name], "application/json")})
    _answered(response)
    assert response.headers["content-type"].startswith(("text/html", PROBLEM_JSON))
