"""Assertions shared by the HTTP tests."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx

from mcbadge.identity import local_resolver
from mcbadge.vc.verify import Outcome, VerificationReport, verify
from tests.live_server import LiveServer

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status`` (and type ``urn:mcbadge:problem:<code>``)."""
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    body = response.json()
    assert body["status"] == status and {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in response.text
    if code is not None:
        assert body["type"] == f"urn:mcbadge:problem:{code}", body
    return body


IMSX_JSON = "application/json"


def assert_imsx(response: httpx.Response, status: int, code_minor: str) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text}"
    assert response.headers["content-type"].startswith(IMSX_JSON)
    body = response.json()
    assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error"
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == code_minor
    return body


def http_status_fetcher(server: LiveServer):  # noqa: ANN201 - a StatusFetcher
    """Fetch status lists from the live server over HTTP, as a verifier elsewhere would."""

    def fetch(url: str) -> dict[str, Any]:
        assert url.startswith(server.base_url + "/issuers/")
        response = httpx.get(url, trust_env=False, timeout=10)
        response.raise_for_status()
        return response.json()

    return fetch


def verify_live(server: LiveServer, credential: Any, **options: Any) -> VerificationReport:
    return verify(
        credential,
        resolver=local_resolver(server.keystore, server.settings.public_base_url),
        status_fetcher=http_status_fetcher(server),
        now=datetime.now(timezone.utc),
        **options,
    )


def assert_all_passed(report: VerificationReport) -> None:
    outcomes = {c.code: (c.outcome, c.message) for c in report.checks}
    assert set(outcomes) == {"parse", "context", "schema", "issuer_key", "proof", "validity", "status",
                             "evidence_digest", "rubric"}
    # Evidence digests are compared only with files given; without any, the check is "not checked" (issue 14).
    evidence = report.check("evidence_digest")
    awaiting = evidence is not None and bool(evidence.details.get("awaiting_files"))
    failing = {code: message for code, (outcome, message) in outcomes.items() if outcome is not Outcome.PASSED
               and not (code == "evidence_digest" and awaiting and outcome is Outcome.NOT_CHECKED)}
    assert not failing, failing
    assert report.verified
