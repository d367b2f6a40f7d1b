"""``POST /verify`` over real HTTP: every input kind, evidence files, baked downloads, and bad input as 4xx.

Credentials come from the service itself (awarded through the API, status lists read from its database) and
from a stranger: a did:key issuer whose credential and baked badge are served by a local test server and
fetched through the guarded outbound client (loopback is allowed only by the test settings).
"""

from __future__ import annotations

import copy
import hashlib
import html
import http.server
import io
import json
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from PIL import Image

from mcbadge.db.models import Role
from mcbadge.vc.baking import bake_png, bake_svg, unbake_png, unbake_svg
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_key_from_public
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.verification.inputs import GivenCredential
from mcbadge.verification.service import verifies_locally
from tests.factories.credentials import EVIDENCE_FILES, rich_credential
from tests.factories.submissions import LESSON_PLAN, REFLECTION
from tests.factories.tenants import Tenant, passing_submissions
from tests.live_server import SQLITE_ONLY, LiveServer

pytestmark = SQLITE_ONLY  # verification of what the request gives is decided above the database

PROBLEM = "application/problem+json"
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>'
)


def award(server: LiveServer, client: httpx.Client, tenant: Tenant, fmt: str = "ldp") -> dict[str, Any]:
    [submission_id] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    response = client.post(f"/api/v1/submissions/{submission_id}/award", json={"format": fmt},
                           headers=tenant.headers())
    assert response.status_code == 201, response.text
    return response.json()


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"] and "Traceback" not in response.text
    return body


def outcomes(body: dict[str, Any]) -> dict[str, str]:
    return {c["code"]: c["outcome"] for c in body["checks"]}


def assert_verified(body: dict[str, Any]) -> None:
    """Verified, every check passed; evidence digests without files given are "not checked" (issue 14)."""
    assert body["verified"] is True, body["summary"]
    awaiting = {c["code"] for c in body["checks"] if c.get("details", {}).get("awaiting_files")}
    assert awaiting <= {"evidence_digest"}
    assert all(outcome == "passed" for code, outcome in outcomes(body).items() if code not in awaiting), outcomes(body)
    for code in awaiting:
        assert outcomes(body)[code] == "not_checked"


def png_without_credential() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


# -- this service's own credentials ---------------------------------------------------------------------


def test_json_credential_verified_with_readable_summary(server: LiveServer, client: httpx.Client,
                                                        tenant: Tenant) -> None:
    issued = award(server, client, tenant)
    body = ok(client.post("/verify", json=issued["credential"]))
    assert_verified(body)
    assert body["source"] == "json" and body["format"] == "json"
    summary = body["credential"]
    assert summary["issuer"]["name"] == tenant.issuer.name
    assert summary["issuer"]["id"].startswith("did:web:127.0.0.1")
    assert summary["achievement"]["name"] == issued["credential"]["credentialSubject"]["achievement"]["name"]
    assert summary["validFrom"] == issued["credential"]["validFrom"]
    assert [r["met"] for r in summary["results"]] == [True, True, True]
    assert {r["criterion"] for r in summary["results"]} and all(r["achieved"] and r["required"]
                                                                for r in summary["results"])
    assert summary["earner"]["identifiers"] and all(i["hashed"] for i in summary["earner"]["identifiers"])
    assert "document" not in body  # the caller sent the JSON: it is not echoed back
    # The W3C shape gives the same verdict.
    w3c = ok(client.post("/credentials/verify", json={"verifiableCredential": issued["credential"]}))
    assert w3c["verified"] is True and w3c["credential"] == summary


def test_jwt_inputs(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    issued = award(server, client, tenant, fmt="jwt")
    token = issued["jwt"] if "jwt" in issued else issued["credential"]
    assert isinstance(token, str) and token.count(".") == 2
    for response in (
        client.post("/verify", content=token, headers={"content-type": "application/jwt"}),
        client.post("/verify", content=token + "\n", headers={"content-type": "text/plain"}),
        client.post("/verify", json=token),
        client.post("/verify", json={"verifiableCredential": token}),
        client.post("/verify", json={"@context": ["https://www.w3.org/ns/credentials/v2"],
                                     "id": f"data:application/vc+jwt,{token}",
                                     "type": "EnvelopedVerifiableCredential"}),
    ):
        body = ok(response)
        assert body["format"] == "jwt"
        assert_verified(body)


def test_baked_png_and_svg_downloads_verify(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    issued = award(server, client, tenant)
    png_response = client.get(f"/credentials/{issued['id']}/badge.png")
    assert png_response.status_code == 200 and png_response.headers["content-type"] == "image/png"
    assert f"badge-{issued['id']}.png" in png_response.headers["content-disposition"]
    assert unbake_png(png_response.content) == issued["credential"]
    assert Image.open(io.BytesIO(png_response.content)).size == (256, 256)
    svg_response = client.get(f"/credentials/{issued['id']}/badge.svg")
    assert svg_response.status_code == 200 and svg_response.headers["content-type"].startswith("image/svg+xml")
    assert unbake_svg(svg_response.content) == issued["credential"]
    achievement = issued["credential"]["credentialSubject"]["achievement"]["name"]
    assert achievement[:20].encode() in svg_response.content

    for content, media in ((png_response.content, "image/png"), (svg_response.content, "image/svg+xml")):
        body = ok(client.post("/verify", content=content, headers={"content-type": media}))
        assert_verified(body)
        assert body["source"] == media.split("/")[1].split("+")[0]
        assert body["document"] == issued["credential"]
    # The same image as a file upload in a form (told apart by content, whatever its name).
    body = ok(client.post("/verify", files={"credential": ("my-badge.bin", png_response.content, "image/png")}))
    assert_verified(body) and body["source"] == "png"  # type: ignore[func-returns-value]


def test_baked_jwt_png(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    issued = award(server, client, tenant, fmt="jwt")
    response = client.get(f"/credentials/{issued['id']}/badge.png")
    assert response.status_code == 200
    token = unbake_png(response.content)
    assert isinstance(token, str) and token.count(".") == 2
    body = ok(client.post("/verify", content=response.content, headers={"content-type": "image/png"}))
    assert_verified(body) and body["format"] == "jwt"  # type: ignore[func-returns-value]


def test_private_or_unknown_badge_download_is_404(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    issued = award(server, client, tenant)
    hide = client.patch(f"/api/v1/credentials/{issued['id']}/visibility", json={"public": False},
                        headers=tenant.headers(Role.EDUCATOR))
    assert hide.status_code == 200
    problem(client.get(f"/credentials/{issued['id']}/badge.png"), 404)
    problem(client.get(f"/credentials/{uuid.uuid4()}/badge.png"), 404)
    problem(client.get("/credentials/not-a-uuid/badge.svg"), 404)


def test_own_credential_url(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    issued = award(server, client, tenant)
    body = ok(client.post("/verify", json={"url": issued["url"]}))
    assert_verified(body)
    assert body["source"] == "url" and body["url"] == issued["url"] and body["document"] == issued["credential"]
    body = ok(client.post("/verify", files={"url": (None, issued["url"])}))
    assert body["verified"] is True
    body = ok(client.post("/verify", json={"url": f"{issued['url']}/badge.png"}))
    assert body["verified"] is True
    problem(client.post("/verify", json={"url": f"{server.base_url}/credentials/{uuid.uuid4()}"}), 404)
    body = problem(client.post("/verify", json={"url": f"{server.base_url}/issuers/{tenant.issuer.slug}/did.json"}),
                   422)
    assert "not a credential" in body["detail"]


def test_evidence_files_match_and_mismatch(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    issued = award(server, client, tenant)
    baked = client.get(f"/credentials/{issued['id']}/badge.png").content
    body = ok(client.post("/verify", files=[
        ("credential", ("badge.png", baked, "image/png")),
        ("evidence", ("lesson-plan.pdf", LESSON_PLAN, "application/pdf")),
        ("evidence", ("reflection.txt", REFLECTION.encode(), "text/plain")),
    ]))
    assert_verified(body)
    files = {f["name"]: f for f in body["evidenceFiles"]}
    assert files["lesson-plan.pdf"]["matched"] is True
    assert files["lesson-plan.pdf"]["message"].startswith("lesson-plan.pdf is the evidence the assessor scored")
    assert files["reflection.txt"]["matched"] is True

    body = ok(client.post("/verify", files=[
        ("credential", ("credential.json", httpx.Response(200, json=issued["credential"]).content,
                        "application/json")),
        ("evidence", ("lesson-plan.pdf", LESSON_PLAN, "application/pdf")),
        ("evidence", ("other-video.mp4", b"not the video the assessor saw", "video/mp4")),
    ]))
    # Issue 14: a file that is not the evidence is a verdict on that file, by its name; the credential's own
    # verdict stands.
    assert body["verified"] is True
    assert outcomes(body)["evidence_digest"] == "passed"
    assert "other-video.mp4 is not the evidence the assessor scored" in {
        c["code"]: c["message"] for c in body["checks"]}["evidence_digest"]
    assert outcomes(body)["proof"] == "passed"
    files = {f["name"]: f for f in body["evidenceFiles"]}
    assert files["lesson-plan.pdf"]["matched"] is True
    assert files["other-video.mp4"]["matched"] is False
    assert files["other-video.mp4"]["message"].startswith("other-video.mp4 is not the evidence the assessor scored")
    assert len(files["other-video.mp4"]["sha256"]) == 64 and files["other-video.mp4"]["sent"] == "file"

    # Only digests (what the page's script sends): the same verdicts, and no file crossed the wire.
    body = ok(client.post("/verify", files=[
        ("credential", ("credential.json", httpx.Response(200, json=issued["credential"]).content,
                        "application/json")),
    ], data={"evidence_sha256": [
        json.dumps({"name": "lesson-plan.pdf", "sha256": hashlib.sha256(LESSON_PLAN).hexdigest(),
                    "size": len(LESSON_PLAN)}),
        hashlib.sha256(b"not the video").hexdigest(),
    ]}))
    assert body["verified"] is True
    files = {f["name"]: f for f in body["evidenceFiles"]}
    assert files["lesson-plan.pdf"]["matched"] is True and files["lesson-plan.pdf"]["sent"] == "digest"
    assert files["lesson-plan.pdf"]["size"] == len(LESSON_PLAN)
    assert files["evidence file 2"]["matched"] is False and "size" not in files["evidence file 2"]
    bad = client.post("/verify", files=[("credential", ("c.json", b"{}", "application/json"))],
                      data={"evidence_sha256": "not-a-digest"})
    assert bad.status_code == 422 and "64 hexadecimal digits" in bad.json()["detail"]


def test_tampered_credential_is_a_200_with_the_failing_check(server: LiveServer, client: httpx.Client,
                                                             tenant: Tenant) -> None:
    issued = award(server, client, tenant)
    tampered = copy.deepcopy(issued["credential"])
    tampered["credentialSubject"]["achievement"]["name"] = "Something Never Assessed"
    body = ok(client.post("/verify", json=tampered))
    assert body["verified"] is False
    assert outcomes(body)["proof"] == "failed"
    assert any(p["code"] == "proof" for p in body["problemDetails"])
    assert "proof" in body["summary"]
    # Baked into an image, the tampering is caught the same way.
    png = bake_png(png_without_credential(), tampered)
    body = ok(client.post("/verify", content=png, headers={"content-type": "image/png"}))
    assert body["verified"] is False and outcomes(body)["proof"] == "failed"
    # The W3C endpoint keeps its 422 for "not verified".
    w3c = problem(client.post("/credentials/verify", json={"verifiableCredential": tampered}), 422)
    assert w3c["verified"] is False


def test_revoked_credential_is_reported_revoked(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    issued = award(server, client, tenant)
    revoke = client.post(f"/api/v1/credentials/{issued['id']}/revoke", json={"reason": "test"},
                         headers=tenant.headers())
    assert revoke.status_code == 200, revoke.text
    baked = client.get(f"/credentials/{issued['id']}/badge.png")
    body = ok(client.post("/verify", content=baked.content, headers={"content-type": "image/png"}))
    assert body["verified"] is False and outcomes(body)["status"] == "failed"


def test_only_credentials_needing_no_other_site_are_verified_on_the_event_loop(
    server: LiveServer, client: httpx.Client, tenant: Tenant
) -> None:
    # POST /credentials/verify runs a verification on the event loop only when it cannot wait on anything:
    # keys and status lists of this service, the lists' current revision in memory, the embedded database.
    # Everything else goes to the thread pool, where waiting for another site blocks no other request.
    services = server.app.state.services
    issued = award(server, client, tenant)
    document = issued["credential"]
    embedded = server.settings.database_url.startswith("sqlite")

    def local(value: Any, source: str = "json") -> bool:
        return verifies_locally(services, GivenCredential(value, source))

    assert not local(document)  # its status lists were never read: reading them means the ORM, maybe signing
    assert ok(client.post("/credentials/verify", json={"verifiableCredential": document}))["verified"] is True
    assert local(document) is embedded  # on PostgreSQL a read may stall on the network: always the pool
    revoke = client.post(f"/api/v1/credentials/{issued['id']}/revoke", json={"reason": "test"},
                         headers=tenant.headers())
    assert revoke.status_code == 200, revoke.text
    assert not local(document)  # the revocation list moved on: re-read in the thread pool...
    revoked = problem(client.post("/credentials/verify", json={"verifiableCredential": document}), 422)
    assert revoked["verified"] is False and outcomes(revoked)["status"] == "failed"
    assert local(document) is embedded  # ...and current in memory again
    assert outcomes(problem(client.post("/credentials/verify", json={"verifiableCredential": document}),
                            422))["status"] == "failed"

    elsewhere = "did:web:issuers.example.org"
    variants = {
        "another issuer": {**document, "issuer": {**document["issuer"], "id": elsewhere}},
        "a key elsewhere": {**document, "proof": [{**proof, "verificationMethod": elsewhere + "#k"}
                                                  for proof in document["proof"]]},
        "a status list elsewhere": {**document, "credentialStatus": {
            **document["credentialStatus"], "statusListCredential": "https://status.example.org/1"}},
        "no proof": {k: v for k, v in document.items() if k != "proof"},
        "an endorsement from elsewhere": {**document, "credentialSubject": {
            **document["credentialSubject"], "achievement": {
                **document["credentialSubject"]["achievement"], "endorsement": [{"issuer": elsewhere}]}}},
    }
    for name, variant in variants.items():
        assert not local(variant), name
    assert not local(document, "url") and not local("eyJhbGciOiJFZERTQSJ9.e30.c2ln", "jwt")


# -- a stranger's credential, fetched by URL through the guarded client ---------------------------------


class _Site:
    """A local site serving files by path, counting hits (a stand-in for another issuer's web server)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.hits: list[str] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                site.hits.append(self.path)
                if self.path not in site.files:
                    self.send_error(404)
                    return
                data, media = site.files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site() -> Iterator[_Site]:
    served = _Site()
    try:
        yield served
    finally:
        served.close()


def stranger_credential(site: _Site) -> dict[str, Any]:
    key = Ed25519KeyPair.generate()
    key = key.bound(did_key_from_public(key.public_key))
    unsigned = rich_credential(issuer_id=key.controller or "", base_url=site.base)
    del unsigned["credentialStatus"]  # a status list of a stranger's site is exercised elsewhere
    return sign_credential(unsigned, key)


def test_foreign_urls_json_and_baked_images(client: httpx.Client, site: _Site) -> None:
    credential = stranger_credential(site)
    site.files["/badge.json"] = (httpx.Response(200, json=credential).content, "application/ld+json")
    site.files["/badge.png"] = (bake_png(png_without_credential(), credential), "image/png")
    site.files["/badge.svg"] = (bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', credential), "image/svg+xml")
    for path in ("/badge.json", "/badge.png", "/badge.svg"):
        body = ok(client.post("/verify", json={"url": site.base + path}))
        assert body["verified"] is True, body["summary"]
        assert body["document"] == credential
        assert body["credential"]["issuer"]["id"].startswith("did:key:")
    assert site.hits == ["/badge.json", "/badge.png", "/badge.svg"]
    # With an evidence file, through the form.
    body = ok(client.post("/verify", data={"url": site.base + "/badge.json"},
                          files={"evidence": ("lesson.mp4", EVIDENCE_FILES["lesson-video"], "video/mp4")}))
    assert body["verified"] is True and body["evidenceFiles"][0]["matched"] is True


def test_the_page_reads_a_url_as_the_api_does(client: httpx.Client, site: _Site) -> None:
    # One reading of what was given (mcbadge.verification.inputs) for the API and the page: a baked badge
    # image at another site's address verifies on the page too, and a refused address is refused by both.
    credential = stranger_credential(site)
    site.files["/badge.png"] = (bake_png(png_without_credential(), credential), "image/png")
    page = client.post("/verify/report", data={"credential_url": site.base + "/badge.png"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    heading = re.search(r'id="report-heading"[^>]*>(.*?)</h', page.text, re.S)
    assert heading is not None and heading.group(1).strip().endswith("Verified"), page.text[:2000]
    assert f"the address {site.base}/badge.png" in page.text
    api = problem(client.post("/verify", json={"url": "http://169.254.169.254/latest/meta-data/"}), 422)
    refused = client.post("/verify/report", data={"credential_url": "http://169.254.169.254/latest/meta-data/"})
    assert api["detail"].startswith("the address http://169.254.169.254/latest/meta-data/ was not fetched")
    assert refused.status_code == 422 and "The address http://169.254.169.254/latest/meta-data/ was not fetched" \
        in html.unescape(refused.text)
    assert site.hits == ["/badge.png"]


def test_foreign_url_failures(client: httpx.Client, site: _Site) -> None:
    body = problem(client.post("/verify", json={"url": site.base + "/missing.json"}), 502)
    assert "404" in body["detail"]
    site.files["/plain.png"] = (png_without_credential(), "image/png")
    body = problem(client.post("/verify", json={"url": site.base + "/plain.png"}), 422)
    assert "not a badge: no credential is stored inside it" in body["detail"]
    for url in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "gopher://127.0.0.1/",
                "http://10.0.0.1/badge.json"):
        body = problem(client.post("/verify", json={"url": url}), 422)
        assert body["type"] == "urn:mcbadge:problem:url-refused", body


# -- bad input: always a clear 4xx problem, never a 500 -------------------------------------------------


def _bad_crc_png() -> bytes:
    data = bytearray(bake_png(png_without_credential(), "a.b.c"))
    data[data.index(b"IDAT") + 6] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    ("content", "media", "status", "words"),
    [
        (b'{"@context": [', "application/json", 400, "not valid JSON"),
        (b"\xff\xfe garbage", "text/plain", 400, "not UTF-8"),
        (b"<x/>", "application/xml", 415, "cannot verify a body of type"),
        (b"hello", "", 415, "cannot verify a body of type"),
        (b"GIF89a....", "image/png", 415, "not a PNG"),
        (_bad_crc_png(), "image/png", 400, "Checksum error"),
        (png_without_credential()[:-12], "image/png", 400, "no IEND"),
        (png_without_credential(), "image/png", 422, "not a badge: no credential is stored inside it"),
        (BILLION_LAUGHS.encode(), "image/svg+xml", 400, "refused SVG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>", "image/svg+xml", 400, "malformed SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", 422, "not a badge: no credential is stored inside it"),
        (b'{"foo": 1}', "application/json", 422, "not a credential"),
        (b"[1, 2]", "application/json", 422, "not a credential"),
        (b"not-a-jwt", "application/jwt", 422, "not a credential"),
        (b"--x\r\nbroken", "multipart/form-data", 400, "form cannot be read"),
    ],
    ids=["bad-json", "not-utf8", "xml", "no-type", "gif-as-png", "bad-crc", "no-iend", "plain-png",
         "billion-laughs", "bad-svg", "plain-svg", "json-not-credential", "json-array", "not-jwt", "bad-form"],
)
def test_bad_input_is_a_4xx_problem(client: httpx.Client, content: bytes, media: str, status: int,
                                    words: str) -> None:
    headers = {"content-type": media} if media else {}
    body = problem(client.post("/verify", content=content, headers=headers), status)
    assert words in body["detail"], body["detail"]


def test_form_needs_exactly_one_credential(client: httpx.Client) -> None:
    problem(client.post("/verify", files={"evidence": ("a.txt", b"x", "text/plain")}), 422)
    both = client.post("/verify", data={"credential": "a.b.c", "url": "https://example.org/x"},
                       files={"evidence": ("a.txt", b"x", "text/plain")})
    assert "exactly one" in problem(both, 422)["detail"]
    assert "exactly one" in problem(client.post("/verify", data={"credential": "a.b.c", "url": "https://x.org/"}),
                                    422)["detail"]
    assert problem(client.post("/verify", data={"credential": "a.b.c", "other": "x"}), 422)["type"] == \
        "urn:mcbadge:problem:invalid-form"
    problem(client.post("/verify", files={"credential": ("blob.bin", b"\x00\xff\xfe", "application/octet-stream")}),
            415)


def test_too_large_is_413(client: httpx.Client, server: LiveServer) -> None:
    big = png_without_credential() + b"\x00" * (server.settings.max_verify_bytes + 1)
    problem(client.post("/verify", content=big, headers={"content-type": "image/png"}), 413)

    def chunked() -> Iterator[bytes]:
        for _ in range(server.settings.max_verify_bytes // 65536 + 2):
            yield b"\x00" * 65536

    problem(client.post("/verify", content=chunked(), headers={"content-type": "image/png"}), 413)


def test_verify_time_is_now(client: httpx.Client, site: _Site) -> None:
    # A credential that is not valid yet is reported so, with a 200 (the verification ran).
    key = Ed25519KeyPair.generate()
    key = key.bound(did_key_from_public(key.public_key))
    future = datetime(2999, 1, 1, tzinfo=timezone.utc)
    unsigned = rich_credential(issuer_id=key.controller or "", base_url=site.base, valid_from=future)
    del unsigned["credentialStatus"]
    body = ok(client.post("/verify", json=sign_credential(unsigned, key)))
    assert body["verified"] is False and outcomes(body)["validity"] == "failed"


def test_recipient_check_and_plain_words(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    """Issue 14: the employer types the candidate's identifier (a form field); the report says in plain words
    what the status list says; the readable summary has no null fields."""
    key = Ed25519KeyPair.generate()
    key = key.bound(did_key_from_public(key.public_key))
    unsigned = rich_credential(issuer_id=key.controller or "", base_url="https://example.org")
    del unsigned["credentialStatus"]
    credential = json.dumps(sign_credential(unsigned, key))
    body = ok(client.post("/verify", data={"credential": credential, "recipient": " teacher@EXAMPLE.org "}))
    checks = {c["code"]: c for c in body["checks"]}
    assert body["verified"] is True and checks["recipient"]["outcome"] == "passed"
    assert checks["recipient"]["message"] == "issued to the e-mail address you typed (compared with its salted hash)"
    assert "null" not in json.dumps(body["credential"])
    wrong = client.post("/verify", data={"credential": credential, "recipient": "someone.else@example.org"})
    assert ok(wrong)["verified"] is False and "someone.else" not in wrong.text
    assert {c["code"]: c["outcome"] for c in wrong.json()["checks"]}["recipient"] == "failed"
    too_long = client.post("/verify", data={"credential": credential, "recipient": "x" * 400})
    assert too_long.status_code == 422

    issued = award(server, client, tenant)  # this service's own: its revocation status list
    status = {c["code"]: c["message"] for c in ok(client.post("/verify", json=issued["credential"]))["checks"]}
    assert status["status"].startswith("not revoked")
