"""An OAuth 2.0 client as a wallet or an LMS drives mcbadge's server: registration (RFC 7591), consent with
PKCE, the token endpoint, bearer headers."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from mcbadge.oauth.scopes import OB_SCOPES

REDIRECT = "http://127.0.0.1:9/callback"


def registration(**overrides: Any) -> dict[str, Any]:
    """A registration request with every member OB 3.0 requires."""
    body = {
        "client_name": "Teacher Wallet", "client_uri": "https://wallet.example.org/",
        "logo_uri": "https://wallet.example.org/logo.png", "tos_uri": "https://wallet.example.org/terms",
        "policy_uri": "https://wallet.example.org/privacy", "software_id": "c5b1c3a2-wallet",
        "software_version": "1.0.0", "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "scope": " ".join(OB_SCOPES), "token_endpoint_auth_method": "client_secret_basic",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def register(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = client.post("/oauth/register", json=registration(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(reg: dict[str, Any], scope: str, challenge: str | None, **extra: str) -> dict[str, str]:
    params = {"response_type": "code", "client_id": reg["client_id"], "redirect_uri": REDIRECT, "scope": scope,
              "state": "st-" + secrets.token_hex(4)}
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return params | extra


def hidden_fields(page: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page)}


def consent(client: httpx.Client, params: dict[str, str], api_key: str, decision: str = "approve") -> httpx.Response:
    """GET the consent page, then POST its form as the educator would."""
    page = client.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    form = hidden_fields(page.text) | {"api_key": api_key, "decision": decision}
    return client.post("/oauth/authorize", data=form, follow_redirects=False)


def redirected(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def basic(reg: dict[str, Any]) -> httpx.BasicAuth:
    return httpx.BasicAuth(reg["client_id"], reg["client_secret"])


def token_request(client: httpx.Client, reg: dict[str, Any], **form: str) -> httpx.Response:
    auth = basic(reg) if "client_secret" in reg else None
    if auth is None:
        form = {"client_id": reg["client_id"], **form}
    return client.post("/oauth/token", data=form, auth=auth)


def educator_tokens(client: httpx.Client, reg: dict[str, Any], api_key: str, scope: str) -> dict[str, Any]:
    """Registration done: consent with PKCE, then the code for tokens."""
    verifier, challenge = pkce()
    params = authorize_params(reg, scope, challenge)
    query = redirected(consent(client, params, api_key))
    assert query["state"] == params["state"]
    response = token_request(client, reg, grant_type="authorization_code", code=query["code"],
                             redirect_uri=REDIRECT, code_verifier=verifier)
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
