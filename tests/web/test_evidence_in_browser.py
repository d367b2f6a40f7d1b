"""Evidence checked without uploading it (issue 14, part 3): in Chromium, the verification page hashes a 200 MB
evidence file in a Web Worker (hash-wasm) and posts only its digest; without JavaScript the same form uploads
the file, and both give the same verdict on it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_key_from_public
from mcbadge.vc.evidence import encode_digest_multibase
from mcbadge.vc.keys import Ed25519KeyPair
from tests.browser import open_form, submit
from tests.factories.credentials import EVIDENCE_FILES, rich_credential
from tests.live_server import LiveServer, live_server, make_settings

BIG = 200 * 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One app for the module, on SQLite only: what is tested is the page and the browser (hashing 200 MB takes
    seconds), and the database plays no part in checking a did:key credential's evidence."""
    settings = make_settings(tmp_path_factory.mktemp("evidence-browser"))
    with live_server(settings) as (app, base_url):
        yield LiveServer(app, settings, base_url)


def _big_sparse_file(tmp_path: Path) -> tuple[Path, str]:
    """A 200 MB file of zeros made in no time (sparse), and its SHA-256."""
    path = tmp_path / "classroom-video.mp4"
    with path.open("wb") as out:
        out.truncate(BIG)
    digest = hashlib.sha256()
    block = bytes(8 * 1024 * 1024)
    for _ in range(BIG // len(block)):
        digest.update(block)
    return path, digest.hexdigest()


def _credential_recording(sha256_hex: str, base: str) -> dict[str, Any]:
    """A credential (did:key issuer) whose lesson video is the file of that digest."""
    key = Ed25519KeyPair.generate()
    key = key.bound(did_key_from_public(key.public_key))
    unsigned = rich_credential(issuer_id=key.controller or "", base_url=base)
    del unsigned["credentialStatus"]
    unsigned["relatedResource"][0]["digestMultibase"] = encode_digest_multibase(bytes.fromhex(sha256_hex))
    return sign_credential(unsigned, key)


def _file_rows(page: Any) -> list[str]:
    rows = page.locator(".files > li")
    return [rows.nth(i).inner_text() for i in range(rows.count())]


def test_a_200_mb_evidence_file_is_hashed_in_the_browser_and_never_sent(
        server: LiveServer, page: Any, tmp_path: Path) -> None:  # noqa: F811 - the page fixture
    video, sha256_hex = _big_sparse_file(tmp_path)
    other = tmp_path / "other.txt"
    other.write_bytes(b"not the evidence")
    credential = _credential_recording(sha256_hex, server.base_url)
    posted: list[bytes] = []
    page.on("request", lambda request: posted.append(request.post_data_buffer or b"")
            if request.url.endswith("/verify/report") else None)

    open_form(page, server)
    page.get_by_label("Credential JSON or VC-JWT").fill(json.dumps(credential))
    page.get_by_label("Files to compare with the credential\u2019s evidence").set_input_files([video, other])
    submit(page)

    assert page.locator("#report-heading").inner_text().strip().endswith("Verified")
    rows = _file_rows(page)
    assert "classroom-video.mp4" in rows[0] and "Matches the evidence the assessor saw: Recorded lesson" in rows[0]
    assert f"({BIG} bytes)" in rows[0] and "the file itself was not sent" in rows[0]
    assert "other.txt" in rows[1] and "This file is not the evidence the assessor scored" in rows[1]
    evidence = page.locator('.checks > li[data-code="evidence_digest"]').inner_text()
    assert "other.txt is not the evidence the assessor scored" in evidence

    [body] = posted
    assert len(body) < 64 * 1024, len(body)  # the form, the credential and two digests: no file bytes
    assert sha256_hex.encode() in body and b'name="evidence_sha256"' in body
    assert b'name="evidence"; filename=' not in body and b"not the evidence" not in body


def test_without_javascript_the_form_uploads_the_files(server: LiveServer, browser: Any,  # noqa: F811 - fixture
                                                       tmp_path: Path) -> None:
    lesson = tmp_path / "lesson.mp4"
    lesson.write_bytes(EVIDENCE_FILES["lesson-video"])
    key = Ed25519KeyPair.generate()
    key = key.bound(did_key_from_public(key.public_key))
    unsigned = rich_credential(issuer_id=key.controller or "", base_url=server.base_url)
    del unsigned["credentialStatus"]
    context = browser.new_context(java_script_enabled=False)
    try:
        nojs = context.new_page()
        open_form(nojs, server)
        nojs.get_by_label("Credential JSON or VC-JWT").fill(json.dumps(sign_credential(unsigned, key)))
        nojs.get_by_label("Files to compare with the credential\u2019s evidence").set_input_files([lesson])
        submit(nojs)
        [row] = _file_rows(nojs)
        assert "Matches the evidence the assessor saw: Recorded lesson" in row
        # The server hashed the uploaded bytes itself (it says so by not marking the row as a digest).
        assert "the file itself was not sent" not in row and f"({len(EVIDENCE_FILES['lesson-video'])} bytes)" in row
    finally:
        context.close()
