"""Wallet delivery by OpenID4VCI 1.0 (pre-authorized code with a transaction code), driven by a real wallet-side
client from npm (``@openid4vc/openid4vci``, ``interop/wallet.mjs``) against the live server on loopback, from
the offer's QR code on the educator's page (decoded with zxing-cpp); the credential it receives is verified by
``@digitalbazaar/vc`` (the Node reference harness) and by mcbadge.
Expired, replayed and guessed offers, a revoked credential, and bad key proofs are refused with OAuth errors."""

from __future__ import annotations

import base64
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
from sqlalchemy import update

from mcbadge.db.models import Role
from mcbadge.db.wallet_models import WalletOffer
from mcbadge.identity import did_document, issuer_did
from mcbadge.vc.dids import did_key_from_public
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.wallet.service import MAX_TX_CODE_FAILURES, PRE_AUTHORIZED_GRANT
from tests.assertions import assert_problem, verify_live
from tests.factories.credentials import award_one
from tests.factories.tenants import Tenant
from tests.live_server import LiveServer
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
