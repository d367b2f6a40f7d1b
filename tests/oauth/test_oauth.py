"""The OAuth 2.0 server end to end over HTTP: registration, consent with PKCE, tokens, refresh rotation,
revocation, expiry, scopes, and client-credentials clients made by an admin (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from mcbadge.db.models import Role
from mcbadge.db.oauth_models import OAuthClient, OAuthToken
from mcbadge.oauth.scopes import (
    OB_CREDENTIAL_READONLY,
    OB_CREDENTIAL_UPSERT,
    OB_PROFILE_READONLY,
    OB_PROFILE_UPDATE,
    OB_SCOPES,
    VC_ISSUE,
)
from mcbadge.oauth.server import utcnow
from tests.assertions import assert_imsx
from tests.factories.credentials import award_one
from tests.factories.oauth import (
    REDIRECT,
    authorize_params,
    basic,
    bearer,
    consent,
    educator_tokens,
    hidden_fields,
    pkce,
    redirected,
    register,
    registration,
    token_request,
)
from tests.factories.people import make_person
from tests.factories.tenants import Tenant, make_tenant
from tests.live_server import LiveServer, RefusingServer


def test_registration_consent_pkce_token_and_get_credentials(server: LiveServer, client: httpx.Client,
                                                             tenant: Tenant) -> None:
    issued = award_one(server, tenant)
    reg = register(client)
    assert reg["client_secret"] and reg["client_secret_expires_at"] == 0
    assert reg["grant_types"] == ["authorization_code", "refresh_token"] and reg["scope"] == " ".join(OB_SCOPES)

    verifier, challenge = pkce()
    params = authorize_params(reg, OB_CREDENTIAL_READONLY, challenge)
    page = client.get("/oauth/authorize", params=params)
    assert page.status_code == 200
    assert "Teacher Wallet" in page.text and "Permission to read AchievementCredentials" in page.text
    assert "API key" in page.text and "no passwords" in page.text
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    form = hidden_fields(page.text) | {"api_key": tenant.keys[Role.EDUCATOR], "decision": "approve"}
    query = redirected(client.post("/oauth/authorize", data=form, follow_redirects=False))
    assert query["state"] == params["state"] and query["iss"] == server.base_url  # RFC 9207

    response = token_request(client, reg, grant_type="authorization_code", code=query["code"],
                             redirect_uri=REDIRECT, code_verifier=verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    assert tokens["scope"] == OB_CREDENTIAL_READONLY and tokens["refresh_token"]

    listed = client.get("/ims/ob/v3p0/credentials", headers=bearer(tokens["access_token"]))
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["credential"]] == [issued.document["id"]]
    assert listed.json()["compactJwsString"] == []

    # The code is single-use.
    again = token_request(client, reg, grant_type="authorization_code", code=query["code"],
                          redirect_uri=REDIRECT, code_verifier=verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    # Nothing secret is stored in clear: only SHA-256 digests.
    with server.app.state.services.sessions() as session:
        row = session.scalars(select(OAuthToken)).one()
        client_row = session.scalars(select(OAuthClient).where(OAuthClient.client_id == reg["client_id"])).one()
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
    assert row.access_token_hash == sha(tokens["access_token"]) and row.refresh_token_hash == sha(tokens["refresh_token"])
    assert client_row.secret_hash == sha(reg["client_secret"])
    assert row.person_id == tenant.educator.id
    assert (row.expires_at - row.issued_at) == timedelta(seconds=900)


def test_wrong_scope_is_403(client: httpx.Client, tenant: Tenant) -> None:
    reg = register(client)
    tokens = educator_tokens(client, reg, tenant.keys[Role.EDUCATOR], OB_PROFILE_READONLY)
    response = client.get("/ims/ob/v3p0/credentials", headers=bearer(tokens["access_token"]))
    assert_imsx(response, 403, "forbidden")
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert client.get("/ims/ob/v3p0/profile", headers=bearer(tokens["access_token"])).status_code == 200


def test_scope_outside_the_registration_is_refused(client: httpx.Client, tenant: Tenant) -> None:
    reg = register(client, scope=OB_PROFILE_READONLY)
    verifier, challenge = pkce()
    response = client.get("/oauth/authorize", params=authorize_params(reg, OB_CREDENTIAL_READONLY, challenge),
                          follow_redirects=False)
    assert redirected(response)["error"] == "invalid_scope"


def test_expired_token_is_401(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    reg = register(client)
    tokens = educator_tokens(client, reg, tenant.keys[Role.EDUCATOR], OB_CREDENTIAL_READONLY)
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(tokens["access_token"])).status_code == 200
    with server.app.state.services.sessions() as session, session.begin():  # move its clock past expiry
        session.execute(update(OAuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = client.get("/ims/ob/v3p0/credentials", headers=bearer(tokens["access_token"]))
    assert_imsx(response, 401, "unauthorizedrequest")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    # The refresh token outlives it and gets a fresh access token.
    refreshed = token_request(client, reg, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(refreshed.json()["access_token"])).status_code == 200


def test_revoked_tokens_are_401(client: httpx.Client, tenant: Tenant) -> None:
    reg = register(client)
    tokens = educator_tokens(client, reg, tenant.keys[Role.EDUCATOR], OB_CREDENTIAL_READONLY)
    revoked = client.post("/oauth/revoke", data={"token": tokens["access_token"], "token_type_hint": "access_token"},
                          auth=basic(reg))
    assert revoked.status_code == 200, revoked.text
    assert_imsx(client.get("/ims/ob/v3p0/credentials", headers=bearer(tokens["access_token"])), 401,
                "unauthorizedrequest")

    # Revoking the refresh token ends the grant: it cannot be used, nor can tokens it made.
    second = educator_tokens(client, reg, tenant.keys[Role.EDUCATOR], OB_CREDENTIAL_READONLY)
    assert client.post("/oauth/revoke", data={"token": second["refresh_token"]}, auth=basic(reg)).status_code == 200
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(second["access_token"])).status_code == 401
    refused = token_request(client, reg, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"

    # Another client cannot revoke this client's tokens (and an unknown token is a quiet 200, RFC 7009 §2.2).
    third = educator_tokens(client, reg, tenant.keys[Role.EDUCATOR], OB_CREDENTIAL_READONLY)
    other = register(client, client_name="Other")
    response = client.post("/oauth/revoke", data={"token": third["access_token"]}, auth=basic(other))
    assert response.status_code == 400
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(third["access_token"])).status_code == 200
    assert client.post("/oauth/revoke", data={"token": "mcbat_unknown"}, auth=basic(reg)).status_code == 200


def test_refresh_tokens_rotate_and_reuse_ends_the_grant(client: httpx.Client, tenant: Tenant) -> None:
    reg = register(client)
    first = educator_tokens(client, reg, tenant.keys[Role.EDUCATOR], f"{OB_CREDENTIAL_READONLY} {OB_PROFILE_READONLY}")
    response = token_request(client, reg, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert set(second["scope"].split()) == {OB_CREDENTIAL_READONLY, OB_PROFILE_READONLY}
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(second["access_token"])).status_code == 200
    # The old pair is spent.
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(first["access_token"])).status_code == 401
    reused = token_request(client, reg, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    # Reuse of a rotated token means a copy exists somewhere: the whole grant ends, the new pair too.
    assert client.get("/ims/ob/v3p0/credentials", headers=bearer(second["access_token"])).status_code == 401
    assert token_request(client, reg, grant_type="refresh_token",
                         refresh_token=second["refresh_token"]).status_code == 400

    # A refresh may narrow the scope, never widen it.
    third = educator_tokens(client, reg, tenant.keys[Role.EDUCATOR], OB_PROFILE_READONLY)
    wider = token_request(client, reg, grant_type="refresh_token", refresh_token=third["refresh_token"],
                          scope=f"{OB_PROFILE_READONLY} {OB_CREDENTIAL_UPSERT}")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


def test_pkce_is_required_and_checked(client: httpx.Client, tenant: Tenant) -> None:
    reg = register(client)
    key = tenant.keys[Role.EDUCATOR]
    # No challenge, or a plain one: refused at the authorization endpoint, reported to the client.
    for params in (authorize_params(reg, OB_CREDENTIAL_READONLY, None),
                   authorize_params(reg, OB_CREDENTIAL_READONLY, None, code_challenge="x" * 43,
                                    code_challenge_method="plain")):
        query = redirected(client.get("/oauth/authorize", params=params, follow_redirects=False))
        assert query["error"] == "invalid_request" and query["state"] == params["state"]

    verifier, challenge = pkce()
    code = redirected(consent(client, authorize_params(reg, OB_CREDENTIAL_READONLY, challenge), key))["code"]
    wrong = token_request(client, reg, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                          code_verifier=pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"

    code = redirected(consent(client, authorize_params(reg, OB_CREDENTIAL_READONLY, challenge), key))["code"]
    missing = token_request(client, reg, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_public_client_with_pkce(client: httpx.Client, tenant: Tenant) -> None:
    reg = register(client, token_endpoint_auth_method="none")
    assert "client_secret" not in reg
    tokens = educator_tokens(client, reg, tenant.keys[Role.EDUCATOR], OB_PROFILE_READONLY)
    assert client.get("/ims/ob/v3p0/profile", headers=bearer(tokens["access_token"])).status_code == 200


def test_consent_denied_or_bad_key(client: httpx.Client, tenant: Tenant) -> None:
    reg = register(client)
    params = authorize_params(reg, OB_CREDENTIAL_READONLY, pkce()[1])
    query = redirected(consent(client, params, "", decision="deny"))
    assert query["error"] == "access_denied" and query["state"] == params["state"] and "code" not in query
    assert query["iss"].startswith("http")  # the error names its issuer too (RFC 9207)

    response = consent(client, params, "mcb_000000000000_not-a-key")
    assert response.status_code == 400 and "location" not in response.headers
    assert "not valid" in response.text and "Sign in and approve" in response.text


def test_bad_client_or_redirect_is_shown_not_redirected(client: httpx.Client) -> None:
    reg = register(client)
    challenge = pkce()[1]
    unknown = client.get("/oauth/authorize", params=authorize_params({"client_id": "nobody"}, OB_CREDENTIAL_READONLY,
                                                                     challenge), follow_redirects=False)
    assert unknown.status_code == 400 and "location" not in unknown.headers and "not valid" in unknown.text
    elsewhere = client.get("/oauth/authorize", params=authorize_params(reg, OB_CREDENTIAL_READONLY, challenge,
                                                                       redirect_uri="https://evil.example/cb"),
                           follow_redirects=False)
    assert elsewhere.status_code == 400 and "location" not in elsewhere.headers


@pytest.mark.parametrize("overrides, error", [
    ({"tos_uri": None}, "invalid_client_metadata"),
    ({"software_id": None}, "invalid_client_metadata"),
    ({"redirect_uris": ["http://wallet.example.org/cb"]}, "invalid_client_metadata"),
    ({"redirect_uris": ["https://wallet.example.org/cb#frag"]}, "invalid_client_metadata"),
    ({"scope": VC_ISSUE}, "invalid_client_metadata"),
    ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
    ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
])
def test_registration_refuses_bad_metadata(refusing_server: RefusingServer, overrides: dict[str, Any],
                                           error: str) -> None:
    response = refusing_server.client.post("/oauth/register", json=registration(**overrides))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error


def test_registration_refuses_a_non_object(client: httpx.Client) -> None:
    response = client.post("/oauth/register", content=b"[1, 2]", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_authorization_server_metadata(server: LiveServer, client: httpx.Client) -> None:
    meta = client.get("/.well-known/oauth-authorization-server").json()
    base = server.base_url
    assert meta["issuer"] == base and meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["registration_endpoint"] == f"{base}/oauth/register"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert set(OB_SCOPES) <= set(meta["scopes_supported"])


def test_client_credentials_for_an_integrator(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    admin = tenant.headers(Role.ADMIN)
    made = client.post("/api/v1/oauth-clients", headers=admin, json={
        "client_name": "State licensure system", "person_id": str(tenant.integrator.id),
        "scope": [VC_ISSUE, OB_PROFILE_READONLY]})
    assert made.status_code == 201, made.text
    reg = made.json()
    assert reg["grant_types"] == ["client_credentials"] and reg["client_secret"]

    response = token_request(client, reg, grant_type="client_credentials")
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert "refresh_token" not in tokens and set(tokens["scope"].split()) == {VC_ISSUE, OB_PROFILE_READONLY}
    profile = client.get("/ims/ob/v3p0/profile", headers=bearer(tokens["access_token"]))
    assert profile.status_code == 200 and profile.json()["id"] == f"urn:uuid:{tenant.integrator.id}"
    assert_imsx(client.get("/ims/ob/v3p0/credentials", headers=bearer(tokens["access_token"])), 403, "forbidden")

    narrower = token_request(client, reg, grant_type="client_credentials", scope=VC_ISSUE)
    assert narrower.json()["scope"] == VC_ISSUE
    wider = token_request(client, reg, grant_type="client_credentials", scope=OB_PROFILE_UPDATE)
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    wrong_secret = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               auth=httpx.BasicAuth(reg["client_id"], "wrong"))
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"

    listed = client.get("/api/v1/oauth-clients", headers=admin).json()
    assert [c["client_id"] for c in listed] == [reg["client_id"]] and "client_secret" not in listed[0]
    assert client.delete(f"/api/v1/oauth-clients/{reg['client_id']}", headers=admin).status_code == 204
    assert client.get("/ims/ob/v3p0/profile", headers=bearer(tokens["access_token"])).status_code == 401
    assert token_request(client, reg, grant_type="client_credentials").status_code == 401


def test_a_client_credentials_client_may_post_its_secret(client: httpx.Client, tenant: Tenant) -> None:
    """The metadata advertises client_secret_post: an admin-made client-credentials client may use it (the W3C
    suites' OAuth helper does); a registered client keeps the one method it registered."""
    assert "client_secret_post" in client.get("/.well-known/oauth-authorization-server").json()[
        "token_endpoint_auth_methods_supported"]
    made = client.post("/api/v1/oauth-clients", headers=tenant.headers(Role.ADMIN), json={
        "client_name": "Conformance suite", "person_id": str(tenant.integrator.id), "scope": [VC_ISSUE]})
    assert made.status_code == 201, made.text
    reg = made.json()
    posted = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": reg["client_id"],
                                               "client_secret": reg["client_secret"]})
    assert posted.status_code == 200 and posted.json()["scope"] == VC_ISSUE, posted.text
    wrong = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": reg["client_id"],
                                              "client_secret": "wrong"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"

    registered = register(client)  # client_secret_basic by default
    refused = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": "x",
                                                "client_id": registered["client_id"],
                                                "client_secret": registered["client_secret"]})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


def test_client_credentials_rules(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    body = {"client_name": "x", "person_id": str(tenant.integrator.id), "scope": [VC_ISSUE]}
    assert client.post("/api/v1/oauth-clients", headers=tenant.headers(Role.EDUCATOR), json=body).status_code == 403
    assert client.post("/api/v1/oauth-clients", json=body).status_code == 401
    educator = {**body, "person_id": str(tenant.educator.id)}
    assert client.post("/api/v1/oauth-clients", headers=tenant.headers(), json=educator).status_code == 422
    unknown = {**body, "scope": ["mcbadge:everything"]}
    assert client.post("/api/v1/oauth-clients", headers=tenant.headers(), json=unknown).status_code == 422
    other = make_tenant(server.app.state.services.sessions, "other-district")
    foreign = {**body, "person_id": str(other.integrator.id)}
    assert client.post("/api/v1/oauth-clients", headers=tenant.headers(), json=foreign).status_code == 422
    assert client.delete("/api/v1/oauth-clients/nope", headers=tenant.headers()).status_code == 404

    # A dynamically registered client may not use the client-credentials grant.
    reg = register(client)
    response = token_request(client, reg, grant_type="client_credentials")
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


def test_a_person_added_later_signs_in_too(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    from mcbadge.principal import issue_api_key

    with server.app.state.services.sessions() as session, session.begin():
        person = make_person(session, tenant.issuer, Role.EDUCATOR, f"New Teacher {uuid.uuid4().hex[:6]}")
        key = issue_api_key(session, issuer_id=tenant.issuer.id, person_id=person.id)
    reg = register(client)
    tokens = educator_tokens(client, reg, key, OB_PROFILE_READONLY)
    profile = client.get("/ims/ob/v3p0/profile", headers=bearer(tokens["access_token"])).json()
    assert profile["id"] == f"urn:uuid:{person.id}"
