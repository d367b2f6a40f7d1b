"""Open Badges 2.0 assertions from another issuer's web site (a local test server over real TLS): hosted,
revoked (410 Gone, ``revoked: true``, the revocation list), signed (RS256 JWS, key from the issuer's
CryptographicKey document), tampered, refused algorithms, baked PNG and SVG, and the recipient check.

The library (``vc.ob2``) fetches through the guarded client as the service does; the API tests go through
``POST /verify`` of a served app whose guarded client trusts the test CA.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import png
import pytest
from jwcrypto import jwk, jws
from jwcrypto.common import json_encode

from mcbadge.outbound import FetchFailed, FetchPolicy, OutboundClient
from mcbadge.vc import ob2
from mcbadge.vc.baking import unbake_ob2
from mcbadge.vc.verify import Outcome
from tests.factories.recognition import serving_trusting
from tests.live_server import SQLITE_ONLY, LiveServer
from tests.local_servers import LocalServer, TestCA, send

pytestmark = SQLITE_ONLY  # verification of what the request gives is decided above the database

EMAIL = "Ada.Teacher@Example.org"
SALT = "pepper-2017"
NOW = datetime.now(timezone.utc)


def hashed_recipient(email: str = EMAIL.lower(), salt: str = SALT) -> dict[str, Any]:
    return {"type": "email", "hashed": True, "salt": salt,
            "identity": "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()}


class OtherIssuer:
    """An OB 2.0 issuer's web site: its profile, badge class, key, revocation list and hosted assertions."""

    def __init__(self, server: LocalServer) -> None:
        self.base = server.base_url
        self.server = server
        self.issuer_id = self.url("/issuer.json")
        self.key_id = self.url("/key.json")
        self.private_key = jwk.JWK.generate(kty="RSA", size=2048)
        self.documents: dict[str, Any] = {
            "/issuer.json": {"@context": ob2.OB2_CONTEXT, "type": "Issuer", "id": self.issuer_id,
                             "name": "Old District", "url": self.base, "email": "badges@old.example",
                             "publicKey": self.key_id, "revocationList": self.url("/revocations.json")},
            "/badge.json": {"@context": ob2.OB2_CONTEXT, "type": "BadgeClass", "id": self.url("/badge.json"),
                            "name": "Formative Assessment", "description": "Uses formative assessment.",
                            "image": self.url("/badge.png"), "criteria": {"narrative": "Three observed lessons."},
                            "issuer": self.issuer_id, "tags": ["assessment"]},
            "/key.json": {"@context": ob2.OB2_CONTEXT, "type": "CryptographicKey", "id": self.key_id,
                          "owner": self.issuer_id,
                          "publicKeyPem": self.private_key.export_to_pem().decode()},
            "/revocations.json": {"@context": ob2.OB2_CONTEXT, "type": "RevocationList",
                                  "id": self.url("/revocations.json"), "issuer": self.issuer_id,
                                  "revokedAssertions": [
                                      {"id": self.url("/assertions/listed.json"), "revocationReason": "Misconduct"},
                                      "urn:uuid:2b1e51e0-0000-4000-8000-00000000dead"]},
        }
        for name in ("good", "listed"):
            self.documents[f"/assertions/{name}.json"] = self.assertion(f"/assertions/{name}.json")
        self.documents["/assertions/marked.json"] = {**self.assertion("/assertions/marked.json"), "revoked": True,
                                                     "revocationReason": "Issued in error"}
        for path in self.documents:
            server.routes[path] = (lambda p: lambda h: send(h, 200, json.dumps(self.documents[p]).encode()))(path)
        server.routes["/assertions/gone.json"] = lambda h: send(h, 410, b"")

    def url(self, path: str) -> str:
        return self.base + path

    def assertion(self, path: str, **changes: Any) -> dict[str, Any]:
        value = {"@context": ob2.OB2_CONTEXT, "type": "Assertion", "id": self.url(path),
                 "recipient": hashed_recipient(), "badge": self.url("/badge.json"),
                 "verification": {"type": "HostedBadge"},
                 "issuedOn": (NOW - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S+00:00")}
        value.update(changes)
        return value

    def signed(self, assertion_id: str = "urn:uuid:2b1e51e0-0000-4000-8000-000000000001", *,
               alg: str = "RS256", key: jwk.JWK | None = None, **changes: Any) -> str:
        payload = self.assertion("/unused", **{"id": assertion_id, "verification": {
            "type": "SignedBadge", "creator": self.key_id}, **changes})
        token = jws.JWS(json.dumps(payload).encode())
        token.add_signature(key or self.private_key, alg=alg, protected=json_encode({"alg": alg}))
        return str(token.serialize(compact=True))


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ob2-ca"))


@pytest.fixture(scope="module")
def issuer(ca: TestCA) -> Iterator[OtherIssuer]:
    with LocalServer(tls=ca.server_tls) as server:
        yield OtherIssuer(server)


@pytest.fixture(scope="module")
def fetch(ca: TestCA) -> Iterator[Any]:
    """The library's fetcher over the guarded client, as ``verification.service`` builds it."""
    with OutboundClient(FetchPolicy(allow_loopback=True, ca_file=str(ca.ca_file))) as outbound:
        def get(url: str) -> Any:
            try:
                return outbound.fetch_json(url)
            except FetchFailed as exc:
                if exc.status == 410:
                    raise ob2.Gone(str(exc)) from None
                raise
        yield get


def verify(value: Any, fetch: Any, **options: Any) -> Any:
    return ob2.verify_assertion(value, fetch=fetch, now=datetime.now(timezone.utc), **options)  # after the signing


def outcomes(report: Any) -> dict[str, str]:
    return {c.code: c.outcome.value for c in report.checks}


# -- hosted --------------------------------------------------------------------------------------------------------


def test_hosted_assertion_verifies_and_says_what_it_rests_on(issuer: OtherIssuer, fetch: Any) -> None:
    report = verify(issuer.url("/assertions/good.json"), fetch)
    assert outcomes(report) == {"parse": "passed", "badge_class": "passed", "hosted": "passed",
                                "validity": "passed", "status": "passed"}, report.summary
    assert report.verified and report.format == "ob2"
    assert report.assurance.startswith("This is a hosted Open Badges 2.0 badge")
    assert f"only as trustworthy as the issuer's web server ({issuer.base})" in report.assurance
    assert report.to_dict()["assurance"] == report.assurance
    assert report.check("status").message.startswith("not revoked")
    # The report's credential embeds what was fetched, for the readable summary.
    assert report.credential["badge"]["issuer"]["name"] == "Old District"
    # The JSON given (pasted) verifies the same way: the hosted copy is fetched and compared.
    assert verify(issuer.documents["/assertions/good.json"], fetch).verified


def test_hosted_assertion_that_was_changed_fails(issuer: OtherIssuer, fetch: Any) -> None:
    tampered = copy.deepcopy(issuer.documents["/assertions/good.json"])
    tampered["recipient"] = hashed_recipient("someone.else@example.org")
    report = verify(tampered, fetch)
    assert outcomes(report)["hosted"] == "failed" and not report.verified
    assert "differs from the one the issuer's server hosts" in report.check("hosted").message
    assert "in recipient" in report.check("hosted").message
    # An older copy that differs only in what says nothing of whom or what (an image moved) is not a forgery:
    # the issuer's copy is the one verified, and the report says so.
    older = {**issuer.documents["/assertions/good.json"], "image": issuer.url("/old-image.png")}
    report = verify(older, fetch)
    assert report.verified and "the copy given differs in image" in report.check("hosted").message
    assert "image" not in report.credential


def test_hosted_assertion_outside_the_issuers_site_is_not_the_issuers(issuer: OtherIssuer, fetch: Any) -> None:
    forged = issuer.assertion("/x", id="https://127.0.0.2:1/assertions/forged.json")
    report = verify(forged, fetch)
    assert outcomes(report)["hosted"] == "failed" and not report.verified
    assert "outside the issuer's own site" in report.check("hosted").message


@pytest.mark.parametrize(("path", "words"), [
    ("/assertions/gone.json", "410 Gone"),
    ("/assertions/marked.json", "revoked by the issuer: Issued in error"),
    ("/assertions/listed.json", "its revocation list names it): Misconduct"),
], ids=["gone", "marked-revoked", "revocation-list"])
def test_revoked_hosted_assertions(issuer: OtherIssuer, fetch: Any, path: str, words: str) -> None:
    value = issuer.documents.get(path) or issuer.assertion(path)
    report = verify(value, fetch)
    assert outcomes(report)["status"] == "failed" and not report.verified
    assert words in report.check("status").message


# -- signed --------------------------------------------------------------------------------------------------------


def test_signed_assertion_verifies_with_the_issuers_key(issuer: OtherIssuer, fetch: Any) -> None:
    report = verify(issuer.signed(), fetch)
    assert outcomes(report) == {"parse": "passed", "badge_class": "passed", "issuer_key": "passed",
                                "proof": "passed", "validity": "passed", "status": "passed"}, report.summary
    assert report.verified and "RS256 signature" in report.assurance
    assert report.check("status").message.startswith("not revoked")


def test_signed_assertion_tampered_revoked_or_refused(issuer: OtherIssuer, fetch: Any) -> None:
    header, payload, signature = issuer.signed().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["issuedOn"] = "2001-01-01T00:00:00+00:00"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    report = verify(f"{header}.{forged}.{signature}", fetch)
    assert outcomes(report)["proof"] == "failed" and not report.verified

    revoked = verify(issuer.signed("urn:uuid:2b1e51e0-0000-4000-8000-00000000dead"), fetch)
    assert outcomes(revoked)["status"] == "failed" and outcomes(revoked)["proof"] == "passed"

    # HS256 keyed with the public key's bytes (algorithm confusion) is refused before any key is used.
    hmac_key = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(
        issuer.documents["/key.json"]["publicKeyPem"].encode()).rstrip(b"=").decode())
    confused = verify(issuer.signed(alg="HS256", key=hmac_key), fetch)
    assert outcomes(confused)["proof"] == "failed" and "RS256" in confused.check("proof").message

    stranger = verify(issuer.signed(key=jwk.JWK.generate(kty="RSA", size=2048)), fetch)
    assert outcomes(stranger)["proof"] == "failed" and not stranger.verified

    # Its JSON without the JWS carries no signature: refused, not "passed".
    unsigned = json.loads(base64.urlsafe_b64decode(issuer.signed().split(".")[1] + "=="))
    assert outcomes(verify(unsigned, fetch)) == {"parse": "failed"}


def test_signed_assertion_key_must_be_the_issuers(issuer: OtherIssuer, fetch: Any) -> None:
    elsewhere = issuer.signed(verification={"type": "SignedBadge", "creator": issuer.url("/badge.json")})
    report = verify(elsewhere, fetch)
    assert outcomes(report)["issuer_key"] == "failed" and not report.verified


# -- recipient -----------------------------------------------------------------------------------------------------


def test_recipient_check_on_a_hashed_ob2_identity(issuer: OtherIssuer, fetch: Any) -> None:
    url = issuer.url("/assertions/good.json")
    right = verify(url, fetch, recipient="  ada.teacher@example.ORG ")
    assert right.check("recipient").outcome is Outcome.PASSED and right.verified
    assert "salted hash" in right.check("recipient").message
    wrong = verify(url, fetch, recipient="bob@example.org")
    assert wrong.check("recipient").outcome is Outcome.FAILED and not wrong.verified
    assert "bob" not in json.dumps(wrong.to_dict())  # what was typed is not printed back
    phone = verify(url, fetch, recipient="+1 555 0100")
    assert phone.check("recipient").outcome is Outcome.NOT_CHECKED


# -- baked -------------------------------------------------------------------------------------------------------


def _png_with(keyword: bytes, text: str) -> bytes:
    image = io.BytesIO()
    png.Writer(1, 1, greyscale=True).write(image, [[0]])
    chunks = list(png.Reader(bytes=image.getvalue()).chunks())
    chunks.insert(-1, (b"iTXt", keyword + b"\x00\x00\x00\x00\x00" + text.encode()))
    out = io.BytesIO()
    png.write_chunks(out, chunks)
    return out.getvalue()


def test_baked_ob2_png_and_svg_are_read(issuer: OtherIssuer) -> None:
    url = issuer.url("/assertions/good.json")
    assert unbake_ob2(_png_with(b"openbadges", url)) == url
    token = issuer.signed()
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           f'<openbadges:assertion verify="{token}"/></svg>')
    assert unbake_ob2(svg.encode()) == token


# -- through the service -------------------------------------------------------------------------------------------


@pytest.fixture
def ob2_server(tmp_path: Path, database_url: str, http_switch: Any, ca: TestCA) -> Iterator[LiveServer]:
    with serving_trusting(tmp_path, database_url, http_switch, [], outbound_ca_file=ca.ca_file) as live:
        yield live


def test_verify_api_reads_baked_ob2_badges_and_checks_the_recipient(
        ob2_server: LiveServer, issuer: OtherIssuer) -> None:
    with httpx.Client(base_url=ob2_server.base_url, trust_env=False, timeout=30) as client:
        baked = _png_with(b"openbadges", issuer.url("/assertions/good.json"))
        body = client.post("/verify", files={"credential": ("old-badge.png", baked, "image/png")},
                           data={"recipient": "ada.teacher@example.org"}).json()
        assert body["verified"] is True and body["format"] == "ob2", body["summary"]
        assert body["assurance"].startswith("This is a hosted Open Badges 2.0 badge")
        codes = {c["code"]: c["outcome"] for c in body["checks"]}
        assert codes["hosted"] == "passed" and codes["recipient"] == "passed"
        assert body["credential"]["achievement"]["name"] == "Formative Assessment"
        assert body["credential"]["issuer"]["name"] == "Old District"
        assert "null" not in json.dumps(body["credential"])

        revoked = client.post("/verify", json=issuer.documents["/assertions/listed.json"]).json()
        assert revoked["verified"] is False
        assert {c["code"]: c["outcome"] for c in revoked["checks"]}["status"] == "failed"

        signed = client.post("/verify", content=issuer.signed(), headers={"Content-Type": "application/jwt"}).json()
        assert signed["verified"] is True and signed["format"] == "ob2"

        header, payload, signature = issuer.signed().split(".")
        other = issuer.signed(recipient=hashed_recipient("mallory@example.org")).split(".")[1]
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
               f'<openbadges:assertion verify="{header}.{other}.{signature}"/></svg>')
        tampered = client.post("/verify", content=svg, headers={"Content-Type": "image/svg+xml"}).json()
        assert tampered["verified"] is False
        assert {c["code"]: c["outcome"] for c in tampered["checks"]}["proof"] == "failed"

        # A URL that answers 410 Gone is a revoked hosted assertion: a report that says so, not a failed fetch.
        gone = client.post("/verify", json={"url": issuer.url("/assertions/gone.json")})
        assert gone.status_code == 200, gone.text
        assert gone.json()["verified"] is False and gone.json()["format"] == "ob2"
        gone_checks = {c["code"]: c for c in gone.json()["checks"]}
        assert gone_checks["status"]["outcome"] == "failed" and "410 Gone" in gone_checks["status"]["message"]
        gone_page = client.post("/verify/report", data={"credential_url": issuer.url("/assertions/gone.json")})
        assert gone_page.status_code == 200 and "410 Gone" in gone_page.text

        page = client.post("/verify/report", files={"credential_file": ("old-badge.png", baked, "image/png")},
                           data={"recipient": "someone@example.org"})
        assert page.status_code == 200
        assert "only as trustworthy as the issuer" in page.text and "Issued to this person" in page.text
        assert "someone@example.org" not in page.text
