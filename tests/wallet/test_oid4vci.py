"""Wallet delivery by OpenID4VCI 1.0 (pre-authorized code with a transaction code), driven by a real wallet-side
client from npm (``@openid4vc/openid4vci``, ``interop/wallet.mjs``) against the live server on loopback, from
the offer's QR code on the educator's page (decoded with zxing-cpp); the credential it receives is verified by
``@digitalbazaar/vc`` (the Node reference harness) and by mcbadge.
Expired, replayed and guessed offers, a revoked credential, and bad key proofs are refused with OAuth errors."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select, update

from mcbadge.db.models import AuditEvent, Role
from mcbadge.db.wallet_models import WalletOffer
from mcbadge.identity import did_document, issuer_did
from mcbadge.vc.dids import did_key_from_public
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.wallet.service import MAX_TX_CODE_FAILURES, PRE_AUTHORIZED_GRANT
from tests.assertions import assert_problem, verify_live
from tests.browser import screenshot
from tests.factories.credentials import award_one
from tests.factories.tenants import Tenant
from tests.live_server import SQLITE_ONLY, LiveServer
from tests.local_servers import LocalServer, send
from tests.node_reference import INTEROP_DIR, node_reference  # noqa: F401 - the session fixture

LDP, JWT = "OpenBadgeCredential_ldp_vc", "OpenBadgeCredential_jwt_vc_json"


def wallet_request(offer: dict[str, Any], configuration: str = LDP, *, key_form: str = "did") -> dict[str, Any]:
    return {"offer": offer["offer_link"], "txCode": offer["tx_code"], "configurationId": configuration,
            "keyForm": key_form}


def run_wallets(*requests: dict[str, Any]) -> list[dict[str, Any]]:
    """The npm wallet client's whole round trip for each request, one after the other in one Node process
    (a fresh Ed25519 key each)."""
    if shutil.which("node") is None or not (INTEROP_DIR / "node_modules" / "@openid4vc" / "openid4vci").is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the npm wallet client is required in CI (cd interop && npm ci)")
        pytest.skip("node or interop/node_modules missing (cd interop && npm ci)")
    done = subprocess.run(["node", "wallet.mjs"], cwd=INTEROP_DIR, input=json.dumps(list(requests)),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


def make_offer(client: httpx.Client, tenant: Tenant, credential_id: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/credentials/{credential_id}/wallet-offers", headers=tenant.headers(Role.EDUCATOR))
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def pre_authorized_code(offer: dict[str, Any]) -> str:
    return offer["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]


def token_request(client: httpx.Client, offer: dict[str, Any], tx_code: str | None = None) -> httpx.Response:
    return client.post("/oauth/token", data={"grant_type": PRE_AUTHORIZED_GRANT,
                                             "pre-authorized_code": pre_authorized_code(offer),
                                             "tx_code": tx_code or offer["tx_code"]})


def oauth_error(response: httpx.Response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    return body["error_description"]


def offer_from_page(client: httpx.Client, tenant: Tenant, credential_id: Any) -> dict[str, Any]:
    """The offer as the educator's page shows it: the QR code (decoded), the link beside it, the code to type."""
    assert client.get(f"/credentials/{credential_id}/wallet").status_code == 200
    wrong = client.post(f"/credentials/{credential_id}/wallet", data={"api_key": "mcb_nope_nope"})
    assert wrong.status_code == 400 and "That API key is not valid" in wrong.text
    page = client.post(f"/credentials/{credential_id}/wallet", data={"api_key": tenant.keys[Role.EDUCATOR]})
    assert page.status_code == 200, page.text
    assert "img-src 'self' data:" in page.headers["content-security-policy"]
    png = re.search(r'id="offer-qr" src="data:image/png;base64,([^"]+)"', page.text)
    link = re.search(r'id="offer-link" href="([^"]+)"', page.text)
    tx_code = re.search(r'id="tx-code" class="code">([0-9]{6})<', page.text)
    assert png and link and tx_code, page.text
    # zxing-cpp may report the one QR code more than once (seen once in a full run); every reading must be a QR
    # code saying the same thing, the offer link.
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(png.group(1)))))
    assert codes and {c.format for c in codes} == {zxingcpp.BarcodeFormat.QRCode}, codes
    [text] = {c.text for c in codes}
    assert text == html.unescape(link.group(1))
    return {"offer_link": text, "tx_code": tx_code.group(1),
            "credential_offer": json.loads(parse_qs(urlsplit(text).query)["credential_offer"][0])}


@SQLITE_ONLY  # the npm wallet and the Node reference are above the database; redemption runs on both below
def test_wallet_round_trip(server: LiveServer, client: httpx.Client, tenant: Tenant, node_reference) -> None:  # noqa: F811
    award = award_one(server, tenant)
    offer = offer_from_page(client, tenant, award.id)
    assert urlsplit(offer["offer_link"]).scheme == "openid-credential-offer"
    assert offer["credential_offer"]["credential_issuer"] == server.base_url

    # Two wallets: the page's offer as Data Integrity JSON-LD (the key named by its did:key), and an offer made
    # over the API as a VC-JWT (the key given as a JWK).
    received, jwt_received = run_wallets(wallet_request(offer),
                                         wallet_request(make_offer(client, tenant, award.id), JWT, key_form="jwk"))
    assert received["ok"] is True, received
    assert received["version"] == "V1"  # the client read the metadata as OpenID4VCI 1.0 (final)
    [credential] = received["credentials"]
    holder = received["holder"]
    # The award as issued, its subject bound to the wallet's key; everything else is the award's.
    assert credential["credentialSubject"]["id"] == holder
    stored = dict(award.document)
    assert {k: v for k, v in credential.items() if k not in ("proof", "credentialSubject")} == \
           {k: v for k, v in stored.items() if k not in ("proof", "credentialSubject")}
    assert {k: v for k, v in credential["credentialSubject"].items() if k != "id"} == stored["credentialSubject"]

    # The wallet side verifies it with @digitalbazaar/vc (the issuer's DID document as a did:web resolver gives it).
    did = issuer_did(server.base_url, tenant.issuer.slug)
    documents = {did: did_document(server.keystore, server.base_url, tenant.issuer.slug)}
    assert node_reference.verify(credential, documents) == {"verified": True, "errors": []}
    tampered = json.loads(json.dumps(credential))
    tampered["credentialSubject"]["id"] = did_key_from_public(Ed25519KeyPair.generate().public_key)
    assert node_reference.verify(tampered, documents)["verified"] is False
    assert verify_live(server, credential).verified  # and mcbadge's verifier, status included

    # Replayed: the offer was redeemed once; the same code again is refused at the token endpoint.
    assert oauth_error(token_request(client, offer), 400, "invalid_grant") == \
        "the pre-authorized code was already used: an offer is redeemed once"

    # The VC-JWT: sub is the holder's did:key (from its JWK).
    assert jwt_received["ok"] is True, jwt_received
    [token] = jwt_received["credentials"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == claims["vc"]["credentialSubject"]["id"] == jwt_received["holder"]
    report = client.post("/verify", content=token, headers={"content-type": "application/jwt"})
    assert report.status_code == 200 and report.json()["verified"] is True, report.text


def test_expired_guessed_and_revoked_offers_are_refused(server: LiveServer, client: httpx.Client,
                                                        tenant: Tenant) -> None:
    award = award_one(server, tenant)
    sessions = server.app.state.services.sessions

    # Expired: the npm client is refused at the token step with invalid_grant.
    expired = make_offer(client, tenant, award.id)
    with sessions.begin() as session:
        session.execute(update(WalletOffer).where(WalletOffer.id == uuid.UUID(expired["id"]))
                        .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    [refused] = run_wallets(wallet_request(expired))
    assert refused["ok"] is False and refused["stage"] == "token", refused
    assert refused["body"]["error"] == "invalid_grant"
    assert "expired" in refused["body"]["error_description"]

    # A wrong transaction code is refused; after MAX_TX_CODE_FAILURES the offer is spent, even for the right one.
    guessed = make_offer(client, tenant, award.id)
    wrong = f"{(int(guessed['tx_code']) + 1) % 1_000_000:06d}"
    for _ in range(MAX_TX_CODE_FAILURES):
        assert oauth_error(token_request(client, guessed, wrong), 400, "invalid_grant") == "the transaction code is wrong"
    assert oauth_error(token_request(client, guessed), 400, "invalid_grant") == \
        "the transaction code was typed wrong too often: make a new offer"
    oauth_error(client.post("/oauth/token", data={"grant_type": PRE_AUTHORIZED_GRANT}), 400, "invalid_request")

    # Redeemed, then revoked before the credential request: the credential is refused.
    offer = make_offer(client, tenant, award.id)
    access = token_request(client, offer)
    assert access.status_code == 200 and access.json()["token_type"] == "Bearer", access.text
    bearer = {"Authorization": f"Bearer {access.json()['access_token']}"}
    holder = Ed25519KeyPair.generate()
    request = {"credential_configuration_id": LDP, "proofs": {"jwt": [key_proof(client, server, holder)]}}
    assert client.post(f"/api/v1/credentials/{award.id}/revoke", json={"reason": "test"},
                       headers=tenant.headers()).status_code == 200
    oauth_error(client.post("/oid4vci/credential", json=request, headers=bearer), 400, "credential_request_denied")
    # ...and a revoked credential cannot be offered any more.
    assert_problem(client.post(f"/api/v1/credentials/{award.id}/wallet-offers", headers=tenant.headers(Role.EDUCATOR)),
                   409, "credential-revoked")


def key_proof(client: httpx.Client, server: LiveServer, key: Ed25519KeyPair, *, nonce: str | None = None,
              audience: str | None = None, typ: str = "openid4vci-proof+jwt") -> str:
    """A JWT key proof signed by ``key`` (named by its did:key), over a fresh nonce unless one is given."""
    if nonce is None:
        nonce = client.post("/oid4vci/nonce").json()["c_nonce"]
    did = did_key_from_public(key.public_key)
    header = {"alg": "EdDSA", "typ": typ, "kid": f"{did}#{did[8:]}"}
    payload = {"aud": audience or server.base_url, "iat": int(time.time()), "nonce": nonce}

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(payload)}"
    signature = base64.urlsafe_b64encode(key.sign(signing_input.encode())).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


def test_credential_endpoint_refusals(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    award = award_one(server, tenant)
    offer = make_offer(client, tenant, award.id)
    bearer = {"Authorization": f"Bearer {token_request(client, offer).json()['access_token']}"}
    key = Ed25519KeyPair.generate()

    def ask(proof: str, configuration: str = LDP, headers: dict[str, str] = bearer) -> httpx.Response:
        return client.post("/oid4vci/credential", headers=headers,
                           json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}})

    no_token = ask(key_proof(client, server, key), headers={})
    oauth_error(no_token, 401, "invalid_token")
    assert no_token.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    oauth_error(ask(key_proof(client, server, key), headers={"Authorization": "Bearer mcbwt_nope"}), 401,
                "invalid_token")
    oauth_error(ask(key_proof(client, server, key), "OpenBadgeCredential_mso_mdoc"), 400,
                "unknown_credential_configuration")
    oauth_error(ask(key_proof(client, server, key, nonce="made-up")), 400, "invalid_nonce")
    assert "aud" in oauth_error(ask(key_proof(client, server, key, audience="https://elsewhere.example")), 400,
                                "invalid_proof")
    assert "typ" in oauth_error(ask(key_proof(client, server, key, typ="JWT")), 400, "invalid_proof")
    forged = key_proof(client, server, key)
    assert "signature" in oauth_error(ask(forged[:-4] + ("AAAA" if not forged.endswith("AAAA") else "BBBB")), 400,
                                      "invalid_proof")

    # A good proof's nonce works once.
    nonce = client.post("/oid4vci/nonce").json()["c_nonce"]
    delivered = ask(key_proof(client, server, key, nonce=nonce))
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == \
        did_key_from_public(key.public_key)
    oauth_error(ask(key_proof(client, server, key, nonce=nonce)), 400, "invalid_nonce")


def test_metadata_and_offers_by_role(client: httpx.Client, server: LiveServer, tenant: Tenant) -> None:
    metadata = client.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == server.base_url
    assert metadata["nonce_endpoint"] == f"{server.base_url}/oid4vci/nonce"
    assert set(metadata["credential_configurations_supported"]) == {LDP, JWT}
    authorization_server = client.get("/.well-known/oauth-authorization-server").json()
    assert PRE_AUTHORIZED_GRANT in authorization_server["grant_types_supported"]
    assert authorization_server["pre-authorized_grant_anonymous_access_supported"] is True

    award = award_one(server, tenant)
    for role in (Role.ADMIN, Role.ASSESSOR, Role.INTEGRATOR):
        assert_problem(client.post(f"/api/v1/credentials/{award.id}/wallet-offers", headers=tenant.headers(role)),
                       403, "forbidden")
    assert client.post(f"/api/v1/credentials/{award.id}/wallet-offers").status_code == 401


# -- the authorization code flow (wallet.authorization) ----------------------------------------------------------

WALLET_CLIENT = "mcbadge-test-wallet"
# A loopback redirect (RFC 8252 §7.3): never contacted, the test reads the Location the earner's browser would follow.
WALLET_REDIRECT = "http://127.0.0.1:49151/wallet/callback?from=offer"


def authorization_params(offer: dict[str, Any], verifier: str, **overrides: str) -> dict[str, str]:
    """A wallet's authorization request for ``offer``, built by hand (PKCE S256 of ``verifier``)."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    issuer_state = offer["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
    return {"response_type": "code", "client_id": WALLET_CLIENT, "redirect_uri": WALLET_REDIRECT, "state": "xyz",
            "code_challenge": challenge, "code_challenge_method": "S256", "issuer_state": issuer_state, **overrides}


def approved_code(client: httpx.Client, tenant: Tenant, params: dict[str, str]) -> str:
    approved = client.post("/oauth/authorize", data={**params, "decision": "approve",
                                                     "api_key": tenant.keys[Role.EDUCATOR]})
    assert approved.status_code == 303, approved.text
    location = approved.headers["location"]
    assert location.startswith(params["redirect_uri"].split("?")[0])
    answer = parse_qs(urlsplit(location).query)
    assert answer["state"] == [params["state"]] and answer["from"] == ["offer"]
    return answer["code"][0]


def code_token(client: httpx.Client, code: str, verifier: str, redirect_uri: str = WALLET_REDIRECT) -> httpx.Response:
    return client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                             "client_id": WALLET_CLIENT, "redirect_uri": redirect_uri})


@SQLITE_ONLY  # the npm wallet and the browser are above the database; the refusals below run on both
def test_authorization_code_flow_with_the_earners_approval(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                                           node_reference, browser) -> None:  # noqa: F811
    # The wallet app's address on this device: a real server on loopback, as the app that catches the redirect.
    with LocalServer({"/wallet/callback": lambda h: send(h, 200, b"back in the wallet", content_type="text/plain")}
                     ) as wallet_app:
        redirect = f"http://127.0.0.1:{wallet_app.port}/wallet/callback?from=offer"
        award = award_one(server, tenant)
        offer = make_offer(client, tenant, award.id)
        # The npm wallet takes the offer's authorization_code grant: its authorization request (PKCE, issuer_state).
        [started] = run_wallets({"offer": offer["offer_link"], "clientId": WALLET_CLIENT, "redirectUri": redirect})
        assert started["ok"] is True, started
        url = started["authorizationRequestUrl"]
        assert url.startswith(f"{server.base_url}/oauth/authorize?")
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert params["issuer_state"] == offer["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
        assert params["code_challenge_method"] == "S256" and params["client_id"] == WALLET_CLIENT

        # A key that is not valid, or someone else's: the page says so, and nothing goes to the wallet.
        wrong = client.post("/oauth/authorize", data={**params, "decision": "approve", "api_key": "mcb_nope_nope"})
        assert wrong.status_code == 400 and "That API key is not valid" in wrong.text
        other = client.post("/oauth/authorize",
                            data={**params, "decision": "approve", "api_key": tenant.keys[Role.ADMIN]})
        assert other.status_code == 400 and "only the educator who made this offer" in other.text
        assert "location" not in wrong.headers and "location" not in other.headers

        # The earner's browser: the page names the credential, the wallet and where it goes back to; the earner
        # signs in and approves, and the browser goes back to the wallet (the wallet app's server above
        # answers) with the code: the page's policy lets its form lead there and nowhere else.
        context = browser.new_context(viewport={"width": 900, "height": 800}, java_script_enabled=False)
        try:
            page = context.new_page()
            assert page.goto(url).status == 200
            text = page.locator("main").inner_text()
            assert "Checking for Understanding" in text and WALLET_CLIENT in text
            assert page.locator("#redirect-host").inner_text() == f"127.0.0.1:{wallet_app.port}"
            screenshot(page, "wallet-authorization-consent")
            page.get_by_label("Your mcbadge API key").fill(tenant.keys[Role.EDUCATOR])
            with page.expect_navigation(url=re.compile(rf"^http://127\.0\.0\.1:{wallet_app.port}/wallet/callback")):
                page.get_by_role("button", name="Sign in and send").click()
            back = page.url
        finally:
            context.close()
        answer = parse_qs(urlsplit(back).query)
        assert answer["iss"] == [server.base_url] and answer["code"][0].startswith("mcbwc_")
        assert answer.get("state") == ([params["state"]] if "state" in params else None)  # the npm client sends none
        assert answer["from"] == ["offer"]
        # Approved for that wallet: the offer's other grant no longer takes the credential from under it.
        assert "approved a wallet's request" in oauth_error(token_request(client, offer), 400, "invalid_grant")

        # The wallet redeems the code with its verifier and receives the credential bound to its key.
        [received] = run_wallets({"offer": offer["offer_link"], "clientId": WALLET_CLIENT, "redirectUri": redirect,
                                  "authorizationCode": answer["code"][0], "codeVerifier": started["codeVerifier"],
                                  "configurationId": LDP, "keyForm": "did"})
        assert received["ok"] is True, received
        [credential] = received["credentials"]
        assert credential["credentialSubject"]["id"] == received["holder"] and credential["id"] == award.document["id"]
        did = issuer_did(server.base_url, tenant.issuer.slug)
        documents = {did: did_document(server.keystore, server.base_url, tenant.issuer.slug)}
        assert node_reference.verify(credential, documents) == {"verified": True, "errors": []}
        assert verify_live(server, credential).verified

        # Used: the code again is refused, and so is the offer (by either grant).
        replayed = code_token(client, answer["code"][0], started["codeVerifier"], redirect)
        assert oauth_error(replayed, 400, "invalid_grant") == "the authorization code was already used"
        assert client.get(url.removeprefix(server.base_url)).status_code == 400


def test_authorization_code_refusals(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    award = award_one(server, tenant)
    offer = make_offer(client, tenant, award.id)
    verifier = "v" * 43
    good = authorization_params(offer, verifier)

    # Requests no code may follow: shown on the page (400), never redirected to an address registered nowhere.
    for overrides, words in [
        ({"code_challenge": ""}, "PKCE is required"),
        ({"code_challenge_method": "plain"}, "PKCE is required"),
        ({"response_type": "token"}, "response_type must be code"),
        ({"client_id": ""}, "client_id is required"),
        ({"redirect_uri": ""}, "redirect_uri is required"),
        ({"redirect_uri": "javascript:alert(1)"}, "may not use the javascript: scheme"),
        ({"redirect_uri": "http://wallet.example/cb"}, "must be https"),
        ({"redirect_uri": "https://wallet.example/cb#frag"}, "without a fragment"),
        ({"redirect_uri": "https://trusted-wallet.example@evil.example/cb"}, "user information"),
        ({"redirect_uri": "https://evil.example\\@good.example/cb"}, "without spaces or backslashes"),
        ({"redirect_uri": "https://wallet.example/\u20ac"}, "printable ASCII"),
        ({"redirect_uri": "http://localhost:9/cb"}, "must be https"),
        ({"redirect_uri": "intent:/cb"}, "reverse domain name"),
        ({"issuer_state": "not-an-offer"}, "names no offer"),
        ({"authorization_details": "not json"}, "invalid_authorization_details"),
        ({"authorization_details": json.dumps([{"type": "openid_credential",
                                                "credential_configuration_id": "mso_mdoc"}])},
         "invalid_authorization_details"),
    ]:
        refused = client.get("/oauth/authorize", params={**good, **overrides})
        assert refused.status_code == 400 and words in html.unescape(refused.text), (overrides, refused.text)
        assert "location" not in refused.headers
        assert client.post("/oauth/authorize", data={**good, **overrides, "decision": "deny"}).status_code == 400

    # Only this service's own page decides: another site's form (CSRF), a decision that is neither approve nor
    # deny, a parameter given twice are refused on the page, and nothing is redirected anywhere.
    for headers, data in [({"Sec-Fetch-Site": "cross-site"}, {**good, "decision": "deny"}),
                          ({"Origin": "https://evil.example"}, {**good, "decision": "deny"}),
                          ({}, {**good, "decision": "maybe"}),
                          ({}, {**good})]:
        refused = client.post("/oauth/authorize", data=data, headers=headers)
        assert refused.status_code == 400 and "location" not in refused.headers, refused.text
    twice = client.get("/oauth/authorize", params=[*good.items(), ("redirect_uri", "https://evil.example/cb")])
    assert twice.status_code == 400 and "given more than once" in twice.text

    # Denied: back to the wallet with access_denied; the offer stays usable.
    denied = client.post("/oauth/authorize", data={**good, "decision": "deny"}, headers={"Sec-Fetch-Site": "same-origin"})
    assert denied.status_code == 303
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]
    with server.app.state.services.sessions() as session:  # and the denial is in the issuer's audit trail
        [denial] = session.scalars(select(AuditEvent).where(AuditEvent.action == "credential.wallet_denied")).all()
    assert denial.target == f"credential:{award.id}" and denial.detail["client_id"] == WALLET_CLIENT

    # An app's own scheme is a redirect target too (RFC 8252 §7.1).
    app_scheme = authorization_params(offer, verifier, redirect_uri="org.example.wallet:/callback")
    page = client.get("/oauth/authorize", params=app_scheme)
    assert page.status_code == 200 and "org.example.wallet" in page.text
    assert "form-action 'self' org.example.wallet:;" in page.headers["content-security-policy"]

    code = approved_code(client, tenant, good)
    assert client.get("/oauth/authorize", params=good).status_code == 400  # approved once: not again
    for overrides, description in [
        ({"code_verifier": "w" * 43}, "the code_verifier does not match the code_challenge"),
        ({"client_id": "another-wallet"}, "the code was issued to another client_id"),
        ({"redirect_uri": "http://127.0.0.1:49151/elsewhere"}, "redirect_uri is not the one the code was issued for"),
        ({"code": "mcbwc_unknown"}, "the authorization code is not known"),
    ]:
        form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "client_id": WALLET_CLIENT,
                "redirect_uri": WALLET_REDIRECT}
        refused = client.post("/oauth/token", data={**form, **overrides})
        assert oauth_error(refused, 400, "invalid_grant") == description
    oauth_error(code_token(client, code, "short"), 400, "invalid_request")
    token = code_token(client, code, verifier)
    assert token.status_code == 200 and token.json()["access_token"].startswith("mcbwt_"), token.text

    # A code presented twice also ends the access token it gave (RFC 6749 §4.1.2).
    access = token.json()["access_token"]
    request = {"credential_configuration_id": LDP, "proofs": {"jwt": ["x.y.z"]}}
    assert client.post("/oid4vci/credential", json=request,
                       headers={"Authorization": f"Bearer {access}"}).json()["error"] == "invalid_proof"
    oauth_error(code_token(client, code, verifier), 400, "invalid_grant")
    oauth_error(client.post("/oid4vci/credential", json=request, headers={"Authorization": f"Bearer {access}"}),
                401, "invalid_token")

    # Asked for by authorization_details (OID4VCI §5.1.1): the token response names the credential identifier
    # granted (§6.2), and the credential request must name it instead of a configuration (§8.2).
    detailed = make_offer(client, tenant, award.id)
    details = [{"type": "openid_credential", "credential_configuration_id": LDP}]
    detailed_code = approved_code(client, tenant, authorization_params(
        detailed, verifier, authorization_details=json.dumps(details)))
    granted = code_token(client, detailed_code, verifier)
    assert granted.status_code == 200, granted.text
    assert granted.json()["authorization_details"] == [{**details[0], "credential_identifiers": [LDP]}]
    holder_key = Ed25519KeyPair.generate()

    def ask(body: dict[str, Any]) -> httpx.Response:
        proof = key_proof(client, server, holder_key, nonce=client.post("/oid4vci/nonce").json()["c_nonce"])
        return client.post("/oid4vci/credential", json={**body, "proofs": {"jwt": [proof]}},
                           headers={"Authorization": f"Bearer {granted.json()['access_token']}"})

    assert "name one of them as credential_identifier" in oauth_error(
        ask({"credential_configuration_id": LDP}), 400, "invalid_credential_request")
    oauth_error(ask({"credential_identifier": JWT}), 400, "invalid_credential_request")
    oauth_error(ask({"credential_identifier": LDP, "credential_configuration_id": LDP}), 400,
                "invalid_credential_request")
    delivered = ask({"credential_identifier": LDP})
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == \
        did_key_from_public(holder_key.public_key)

    # Expired: a code not redeemed in time is refused.
    late = make_offer(client, tenant, award.id)
    late_params = authorization_params(late, verifier)
    late_code = approved_code(client, tenant, late_params)
    with server.app.state.services.sessions.begin() as session:
        session.execute(update(WalletOffer).where(WalletOffer.id == uuid.UUID(late["id"]))
                        .values(authorization_code_expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert "expired" in oauth_error(code_token(client, late_code, verifier), 400, "invalid_grant")
