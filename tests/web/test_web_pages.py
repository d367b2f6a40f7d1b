"""The pages in a real headless Chromium (Debian's ``chromium``, driven by Playwright; no browser download).

Each test serves the app on loopback (``server``), awards real credentials through the API, and then does
what a person does: opens the verification page, pastes or uploads or types an address, presses Verify and
reads the checklist; opens a badge page and reads it. A screenshot of each page goes to ``test-artifacts/``.

Without ``/usr/bin/chromium`` (or Playwright) the tests skip, saying why; under ``CI=true`` they fail.
"""

from __future__ import annotations

import http.server
import io
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mcbadge.identity import issuer_did
from mcbadge.vc.data_integrity import sign_credential
from tests.browser import open_form, screenshot, submit
from tests.factories.credentials import rich_credential
from tests.factories.submissions import LESSON_PLAN, REFLECTION
from tests.factories.tenants import Tenant, passing_submissions
from tests.live_server import SQLITE_ONLY, LiveServer

pytestmark = SQLITE_ONLY  # pages render what the services give; the services run on both databases

# -- data ---------------------------------------------------------------------------------------------------


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=30) as client:
        yield client


def award(server: LiveServer, api: httpx.Client, tenant: Tenant, fmt: str = "ldp") -> dict[str, Any]:
    """A freshly awarded credential (the API's CredentialRead: ``id``, ``credential``, ``jwt``...)."""
    [submission] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    response = api.post(f"/api/v1/submissions/{submission}/award", json={"format": fmt}, headers=tenant.headers())
    assert response.status_code == 201, response.text
    return response.json()


def checks(page: Any) -> dict[str, tuple[str, str]]:
    """{check code: (outcome, text of the row)} as the page shows them."""
    rows = page.locator(".checks > li")
    return {
        rows.nth(i).get_attribute("data-code"): (rows.nth(i).get_attribute("data-outcome"), rows.nth(i).inner_text())
        for i in range(rows.count())
    }


def assert_verified(page: Any) -> dict[str, tuple[str, str]]:
    found = checks(page)
    assert page.locator("#report-heading").inner_text().strip().endswith("Verified"), found
    assert {"proof", "issuer_key", "status", "rubric", "evidence_digest"} <= set(found)
    # Evidence digests without files given are "not checked: give the files to compare" (issue 14).
    awaiting = {code for code, (outcome, text) in found.items()
                if code == "evidence_digest" and outcome == "unchecked" and "give the files to compare" in text}
    assert all(outcome == "passed" for code, (outcome, _) in found.items() if code not in awaiting), found
    assert "\u2713" in found["proof"][1] and "Signature" in found["proof"][1]
    return found


def badge_png() -> bytes:
    """A small real PNG (drawn with pypng) to bake a credential into."""
    import png

    buffer = io.BytesIO()
    png.Writer(8, 8, greyscale=True).write(buffer, [[(x * 32) % 256 for x in range(8)] for _ in range(8)])
    return buffer.getvalue()


# -- the verification page ------------------------------------------------------------------------------------


def test_pasted_json_is_verified_and_its_content_shown(server: LiveServer, api: httpx.Client, tenant: Tenant,
                                                       page: Any) -> None:
    issued = award(server, api, tenant)
    open_form(page, server)
    screenshot(page, "verify-form")
    page.get_by_label("Credential JSON or VC-JWT").fill(json.dumps(issued["credential"]))
    submit(page)
    found = assert_verified(page)
    assert "Not revoked" in found["status"][1]
    content = page.locator(".content")
    assert "Checking for Understanding" in content.inner_text()
    assert "Test District Schools" in content.inner_text()
    assert page.locator("#unverified-note").count() == 0
    criteria = page.locator(".criterion")
    assert criteria.count() == 3
    assert "Achieved Exemplary" in criteria.nth(0).inner_text() and "required Proficient" in criteria.nth(0).inner_text()
    evidence = page.locator(".evidence > li")
    assert "lesson-plan.pdf" in evidence.nth(0).inner_text()
    assert "sha2-256 digest" in evidence.nth(0).inner_text()
    screenshot(page, "verify-report-json")


def test_pasted_jwt_is_verified(server: LiveServer, api: httpx.Client, tenant: Tenant, page: Any) -> None:
    issued = award(server, api, tenant, fmt="jwt")
    open_form(page, server)
    page.get_by_label("Credential JSON or VC-JWT").fill(issued["jwt"])
    submit(page)
    assert_verified(page)
    assert "VC-JWT" in page.locator(".facts").inner_text()


def test_uploaded_credential_file_with_matching_and_foreign_evidence(server: LiveServer, api: httpx.Client,
                                                                      tenant: Tenant, page: Any) -> None:
    issued = award(server, api, tenant)
    open_form(page, server)
    page.get_by_label("Credential file or badge image").set_input_files(
        {"name": "credential.json", "mimeType": "application/json", "buffer": json.dumps(issued["credential"]).encode()})
    page.get_by_label("Files to compare with the credential\u2019s evidence").set_input_files([
        {"name": "lesson-plan.pdf", "mimeType": "application/pdf", "buffer": LESSON_PLAN},
        {"name": "other-video.mp4", "mimeType": "video/mp4", "buffer": b"not the lesson the assessor scored"},
    ])
    submit(page)
    assert "the file credential.json" in page.locator(".source").inner_text()
    # Issue 14: the foreign file gets its own verdict, by its name; the credential's verdict stands.
    found = assert_verified(page)
    assert found["evidence_digest"][0] == "passed"
    assert "other-video.mp4 is not the evidence the assessor scored" in found["evidence_digest"][1]
    files = page.locator(".files > li")
    assert "Matches the evidence the assessor saw: lesson-plan.pdf" in files.nth(0).inner_text()
    assert "This file is not the evidence the assessor scored" in files.nth(1).inner_text()
    screenshot(page, "verify-report-evidence")

    # Only files that match: the evidence check passes and names them.
    open_form(page, server)
    page.get_by_label("Credential file or badge image").set_input_files(
        {"name": "credential.json", "mimeType": "application/json", "buffer": json.dumps(issued["credential"]).encode()})
    page.get_by_label("Files to compare with the credential\u2019s evidence").set_input_files([
        {"name": "lesson-plan.pdf", "mimeType": "application/pdf", "buffer": LESSON_PLAN},
        {"name": "reflection.txt", "mimeType": "text/plain", "buffer": REFLECTION.encode()},
    ])
    submit(page)
    found = assert_verified(page)
    assert "each file given is the evidence the assessor scored" in found["evidence_digest"][1].lower()


def test_baked_png_is_read_and_verified(server: LiveServer, api: httpx.Client, tenant: Tenant, page: Any) -> None:
    from mcbadge.vc import baking

    issued = award(server, api, tenant)
    baked = baking.bake(badge_png(), issued["credential"])
    open_form(page, server)
    page.get_by_label("Credential file or badge image").set_input_files(
        {"name": "badge.png", "mimeType": "image/png", "buffer": baked})
    submit(page)
    assert "the badge image badge.png" in page.locator(".source").inner_text()
    assert_verified(page)

    # A PNG that carries no credential: a clear message and a 4xx.
    open_form(page, server)
    page.get_by_label("Credential file or badge image").set_input_files(
        {"name": "plain.png", "mimeType": "image/png", "buffer": badge_png()})
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Verify").click()
    assert navigation.value.status == 422
    assert "plain.png is an ordinary PNG picture, not a badge" in page.get_by_role("alert").inner_text()


def test_url_of_this_services_credential(server: LiveServer, api: httpx.Client, tenant: Tenant, page: Any) -> None:
    issued = award(server, api, tenant)
    open_form(page, server)
    page.get_by_label("Credential URL").fill(issued["url"])
    submit(page)
    assert issued["url"] in page.locator(".source").inner_text()
    assert_verified(page)


class _OneDocument(http.server.BaseHTTPRequestHandler):
    body: bytes = b"{}"
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


def test_url_elsewhere_is_fetched_through_the_guarded_client(server: LiveServer, api: httpx.Client,
                                                              tenant: Tenant, page: Any) -> None:
    if getattr(server.app.state.services, "outbound", None) is None:
        pytest.skip("the guarded outbound client (Services.outbound) is not part of the app yet")
    issued = award(server, api, tenant)
    handler = type("Handler", (_OneDocument,), {"body": json.dumps(issued["credential"]).encode(), "hits": []})
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # type: ignore[attr-defined]
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{other.server_address[1]}/badges/copy.json"
        open_form(page, server)
        page.get_by_label("Credential URL").fill(url)
        submit(page)
        assert handler.hits == ["/badges/copy.json"]
        assert_verified(page)
    finally:
        other.shutdown()
        other.server_close()


def test_revoked_credential_is_shown_as_revoked(server: LiveServer, api: httpx.Client, tenant: Tenant,
                                                page: Any) -> None:
    issued = award(server, api, tenant)
    response = api.post(f"/api/v1/credentials/{issued['id']}/revoke", json={"reason": "Awarded in error"},
                         headers=tenant.headers())
    assert response.status_code == 200, response.text
    open_form(page, server)
    page.get_by_label("Credential JSON or VC-JWT").fill(json.dumps(issued["credential"]))
    submit(page)
    assert page.locator("#report-heading").inner_text().strip().endswith("Revoked")
    outcome, text = checks(page)["status"]
    assert outcome == "failed" and "\u2717" in text and "revoked" in text
    assert checks(page)["proof"][0] == "passed"  # untampered, and still revoked
    screenshot(page, "verify-report-revoked")


def test_tampered_credential_fails_with_the_reason(server: LiveServer, api: httpx.Client, tenant: Tenant,
                                                   page: Any) -> None:
    issued = award(server, api, tenant)
    tampered = json.loads(json.dumps(issued["credential"]))
    tampered["credentialSubject"]["achievement"]["name"] = "Something the issuer never awarded"
    open_form(page, server)
    page.get_by_label("Credential JSON or VC-JWT").fill(json.dumps(tampered))
    submit(page)
    assert page.locator("#report-heading").inner_text().strip().endswith("Not verified")
    outcome, text = checks(page)["proof"]
    assert outcome == "failed" and "Signature" in text and "Failed" in text
    assert "signature" in text.lower() or "proof" in text.lower()
    assert "Signature" in page.locator(".summary").inner_text()
    # What it says is still shown (the employer sees what was claimed), marked as claims, not facts.
    assert "not as facts" in page.locator("#unverified-note").inner_text()
    screenshot(page, "verify-report-tampered")


def test_bad_input_re_renders_the_form_with_a_message(server: LiveServer, page: Any) -> None:
    open_form(page, server)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Verify").click()
    assert navigation.value.status == 400
    assert "Give a credential" in page.get_by_role("alert").inner_text()

    page.get_by_label("Credential JSON or VC-JWT").fill('{"not": "closed"')
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Verify").click()
    assert navigation.value.status == 400
    assert "The pasted text is not valid JSON" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Credential JSON or VC-JWT").input_value() == '{"not": "closed"'  # kept to fix

    page.get_by_label("Credential JSON or VC-JWT").fill('{"type": ["Nothing"]}')
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Verify").click()
    assert navigation.value.status == 422
    assert "is not a credential" in page.get_by_role("alert").inner_text()
    screenshot(page, "verify-error")


def test_basic_form_works_without_javascript(server: LiveServer, api: httpx.Client, tenant: Tenant,
                                             browser: Any) -> None:
    issued = award(server, api, tenant)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        open_form(page, server)
        # At 320 px nothing overflows sideways (WCAG 1.4.10 reflow).
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        screenshot(page, "verify-form-320px")
        page.get_by_label("Credential JSON or VC-JWT").fill(json.dumps(issued["credential"]))
        submit(page)
        assert_verified(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        screenshot(page, "verify-report-320px-nojs")
    finally:
        context.close()


def test_page_input_errors_over_plain_http(server: LiveServer, api: httpx.Client) -> None:
    """What no browser sends is still a 4xx page, never a 500."""
    both = api.post("/verify/report", data={"credential_text": "eyJ.a.b", "credential_url": "https://example.org/c"})
    assert both.status_code == 400 and "one credential at a time" in both.text
    ftp = api.post("/verify/report", data={"credential_url": "ftp://example.org/c.json"})
    assert ftp.status_code == 422 and "only https" in ftp.text  # refused by the outbound guard, never fetched
    garbage = api.post("/verify/report", files={"credential_file": ("x.bin", b"\xff\xfe\x00binary", "application/octet-stream")})
    assert garbage.status_code == 415 and "neither a credential" in garbage.text
    broken = api.post("/verify/report", content=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert 400 <= broken.status_code < 500
    for response in (both, ftp, garbage):
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["content-security-policy"]


def test_the_sites_address_leads_to_the_verification_page(api: httpx.Client) -> None:
    home = api.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/verify"
    followed = api.get("/", follow_redirects=True)
    assert followed.status_code == 200 and "<form" in followed.text and str(followed.url).endswith("/verify")


# -- the public badge page --------------------------------------------------------------------------------------


def _og(page: Any, prop: str) -> str | None:
    return page.locator(f'meta[property="{prop}"]').get_attribute("content")


def test_badge_page_shows_the_credential_and_its_live_verification(server: LiveServer, api: httpx.Client,
                                                                    tenant: Tenant, page: Any) -> None:
    issued = award(server, api, tenant)
    response = page.goto(issued["url"])
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "accept" in response.headers["vary"].lower()
    assert page.get_by_role("heading", level=1).inner_text() == "Checking for Understanding"
    assert "Erin Educator" in page.locator(".lead").first.inner_text()
    assert_verified(page)
    criteria = page.locator(".criterion")
    assert criteria.count() == 3
    assert "Achieved Proficient" in criteria.nth(1).inner_text()
    assert page.locator(".level--required").count() == 3
    # Evidence: digests listed, links hidden (show_evidence is off by default).
    evidence = page.locator(".evidence")
    assert "b59b169d" in evidence.inner_text() or "sha2-256 digest" in evidence.inner_text()
    assert evidence.locator("a").count() == 0
    assert "has not made the evidence itself public" in page.locator("#evidence-heading + p").inner_text()
    # OpenGraph for sharing.
    assert _og(page, "og:title") == "Checking for Understanding \u2014 earned by Erin Educator"
    assert "Erin Educator earned the micro-credential" in (_og(page, "og:description") or "")
    assert _og(page, "og:url") == issued["url"]
    assert (_og(page, "og:image") or "").startswith(("https://", "http://"))
    # The JSON download is the credential itself.
    href = page.get_by_role("link", name="The credential (JSON)").get_attribute("href")
    download = api.get(href)
    assert download.json() == issued["credential"]
    # The baked PNG, where the service bakes on download.
    png_link = page.locator(".downloads a[type='image/png']")
    if api.get(f"/credentials/{issued['id']}/badge.png").status_code == 200:
        from mcbadge.vc import baking

        png = api.get(png_link.get_attribute("href"))
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert baking.unbake(png.content) == issued["credential"]
        assert _og(page, "og:image") == png_link.get_attribute("href")
    else:
        assert png_link.count() == 0
    screenshot(page, "badge-page")

    # The earner shows the evidence: now the items link to it.
    shown = api.patch(f"/api/v1/credentials/{issued['id']}/visibility", json={"show_evidence": True},
                       headers=tenant.headers(tenant_role("educator")))
    assert shown.status_code == 200, shown.text
    page.goto(issued["url"])
    links = page.locator(".evidence a")
    assert links.count() >= 1
    assert links.first.get_attribute("href").startswith(issued["url"] + "/evidence/")

    # On a 320 px phone nothing overflows sideways.
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(issued["url"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "badge-page-320px")


def tenant_role(name: str) -> Any:
    from mcbadge.db.models import Role

    return Role(name)


def test_badge_page_content_negotiation(server: LiveServer, api: httpx.Client, tenant: Tenant) -> None:
    issued = award(server, api, tenant)
    path = f"/credentials/{issued['id']}"
    for accept in ("application/ld+json", "application/vc", "*/*", "application/json", None,
                   "text/html;q=0.5, application/ld+json"):
        headers = {"Accept": accept} if accept else {}
        response = api.get(path, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/ld+json"), accept
        assert response.json() == issued["credential"]
        assert "accept" in response.headers.get("vary", "").lower()
    html = api.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert html.headers["content-type"].startswith("text/html") and "<h1>" in html.text
    assert api.get(path + "?format=json", headers={"Accept": "text/html"}).json() == issued["credential"]


def test_revoked_badge_page_says_so(server: LiveServer, api: httpx.Client, tenant: Tenant, page: Any) -> None:
    issued = award(server, api, tenant)
    api.post(f"/api/v1/credentials/{issued['id']}/revoke", json={"reason": "Awarded in error"}, headers=tenant.headers())
    page.goto(issued["url"])
    assert page.locator("#report-heading").inner_text().strip().endswith("Revoked")
    assert checks(page)["status"][0] == "failed"


def test_private_or_unknown_badge_is_a_404_page(server: LiveServer, api: httpx.Client, tenant: Tenant,
                                                 page: Any) -> None:
    issued = award(server, api, tenant)
    hidden = api.patch(f"/api/v1/credentials/{issued['id']}/visibility", json={"public": False},
                        headers=tenant.headers(tenant_role("educator")))
    assert hidden.status_code == 200, hidden.text
    response = page.goto(issued["url"])
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Credential not found"
    assert "Erin Educator" not in page.content()
    screenshot(page, "badge-not-found")
    assert api.get(f"/credentials/{issued['id']}", headers={"Accept": "application/ld+json"}).status_code == 404
    assert page.goto(f"{server.base_url}/credentials/{uuid.uuid4()}").status == 404
    assert page.goto(f"{server.base_url}/credentials/not-a-uuid").status == 404


def test_an_expired_credential_says_expired_and_stays_readable(server: LiveServer, page: Any) -> None:
    """An expired credential is shown, marked "Expired" with its date: never silently gone (issue 15, 6)."""
    did = issuer_did(server.base_url, server.settings.issuer_slug)
    key = server.keystore.load_or_create(server.settings.issuer_slug, did)
    expired = sign_credential({**rich_credential(did), "validFrom": "2020-01-01T00:00:00Z",
                               "validUntil": "2023-06-30T00:00:00Z"}, key)
    open_form(page, server)
    page.get_by_label("Credential JSON or VC-JWT").fill(json.dumps(expired))
    submit(page)
    assert page.locator("#report-heading").inner_text().strip().endswith("Expired")
    assert "Expired on 2023-06-30T00:00:00Z" in page.locator(".report .summary").inner_text()
    assert checks(page)["validity"][0] == "failed" and checks(page)["proof"][0] == "passed"
    assert page.locator("#achievement-heading").count() == 1       # what it records is still shown
