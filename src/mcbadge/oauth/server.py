"""The OAuth 2.0 authorization server, built on Authlib's framework-neutral core.

Authlib does the protocol: request validation, client authentication, the grants (authorization code with
PKCE, refresh token, client credentials), token responses, revocation (RFC 7009), registration (RFC 7591)
and bearer-token validation (RFC 6750). This module supplies what Authlib leaves to the application:
storage (SQLAlchemy rows, secrets hashed), the Starlette request/response adapters, and our policies:

- PKCE is required for every authorization request, with ``S256`` only (no ``plain``).
- Access tokens live ``Settings.oauth_access_token_ttl`` seconds (15 minutes by default).
- Refresh tokens rotate: each use returns a new one and revokes the old one (and its access token);
  presenting a revoked refresh token again revokes every token of its family.
- Authorization codes live 10 minutes and are deleted when redeemed.

A server is made per request (:func:`make_server`) around that request's session; it is cheap, and it
keeps Authlib's synchronous calls and the session in one worker thread.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    InvalidRequestError,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from ..config import Settings
from ..db.models import Person
from ..db.oauth_models import OAuthAuthorizationCode, OAuthClient, OAuthToken
from ..limits import MalformedJson, read_json
from .scopes import SCOPES

__all__ = [
    "ACCESS_TOKEN_PREFIX",
    "AuthCode",
    "Client",
    "REFRESH_TOKEN_PREFIX",
    "Token",
    "digest",
    "make_server",
    "oauth_request",
]

ACCESS_TOKEN_PREFIX = "mcbat_"
"""Access tokens read ``mcbat_<random>``: told apart from API keys (``mcb_<prefix>_<secret>``) at a glance."""
REFRESH_TOKEN_PREFIX = "mcbrt_"
CODE_TTL = timedelta(minutes=10)
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def digest(secret: str) -> str:
    """SHA-256 (hex) of a secret: what the database keeps instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str = "") -> str:
    """256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


# --------------------------------------------------------------------------------------------------
# Rows seen through Authlib's mixins
# --------------------------------------------------------------------------------------------------


class Client(ClientMixin):
    """An :class:`OAuthClient` row as Authlib sees a client."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    @property
    def client_id(self) -> str:
        return self.row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only an unambiguous default: with several registered URIs the request must name one.
        uris = self.row.redirect_uris or []
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        allowed = scope_to_list(self.row.scope) or []
        if not scope:
            return list_to_scope(allowed)  # RFC 6749 §3.3: the registered scopes are the default
        requested = scope_to_list(scope)
        if any(s not in allowed for s in requested):
            return None  # Authlib answers invalid_scope
        return list_to_scope(requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.row.redirect_uris or [])  # exact string match (RFC 6749 §3.1.2.3)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.row.secret_hash is None:
            return False
        return hmac.compare_digest(self.row.secret_hash, digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if method == self.row.token_endpoint_auth_method:
            return True
        # A client-credentials client (made by an admin, never registered: it declared no method of its own) may
        # send its secret either way the server advertises: in the Authorization header or in the form body
        # (RFC 6749 §2.3.1). Both carry the same secret over the same TLS; the W3C suites' OAuth helper posts it.
        # A registered client is held to the method it registered (RFC 7591 §2).
        return (self.row.issuer_id is not None and self.row.secret_hash is not None
                and self.row.grant_types == ["client_credentials"]
                and method in ("client_secret_basic", "client_secret_post"))

    def check_response_type(self, response_type: str) -> bool:
        return response_type in (self.row.response_types or [])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in (self.row.grant_types or [])


class AuthCode(AuthorizationCodeMixin):
    def __init__(self, row: OAuthAuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class Token(TokenMixin):
    """An :class:`OAuthToken` row; ``matched`` says which of its two secrets was presented."""

    def __init__(self, row: OAuthToken, *, matched: str = "access_token", client_revoked: bool = False) -> None:
        self.row = row
        self.matched = matched
        self.client_revoked = client_revoked

    def check_client(self, client: Client) -> bool:
        return self.row.client_pk == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.row.expires_at - self.row.issued_at).total_seconds()))

    def is_expired(self) -> bool:
        return self.row.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.access_revoked_at is not None or self.client_revoked


# --------------------------------------------------------------------------------------------------
# Requests and responses: Starlette to Authlib and back
# --------------------------------------------------------------------------------------------------


class _FormPayload(OAuth2Payload):
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._data.setdefault(key, value)  # the first value wins; duplicates are refused by Authlib
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class FormRequest(OAuth2Request):
    """An OAuth request read in full from Starlette (query and form), so Authlib can run in a worker thread."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], query: list[tuple[str, str]],
                 form: list[tuple[str, str]]) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _FormPayload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):
    def __init__(self, data: Any) -> None:
        self._data = data

    @property
    def data(self) -> Any:
        return self._data


class BodyJsonRequest(JsonRequest):
    def __init__(self, method: str, uri: str, headers: Mapping[str, str], data: Any) -> None:
        super().__init__(method, uri, headers)
        self.payload = _JsonPayload(data)


def oauth_request(method: str, uri: str, headers: Mapping[str, str], query: list[tuple[str, str]],
                  form: list[tuple[str, str]]) -> FormRequest:
    """A request Authlib can read. Raises Authlib's ``InsecureTransportError`` for an http URI that is not
    loopback (the public base URL must be https outside development)."""
    return FormRequest(method, uri, headers, query, form)


def json_request(method: str, uri: str, headers: Mapping[str, str], body: bytes) -> BodyJsonRequest:
    """Authlib's view of a JSON request. The body is read by ``limits.read_json`` whatever its content type
    (duplicate names, unencodable text and sizes refused as everywhere); malformed JSON is no metadata at all."""
    try:
        data = read_json(body) if body else None
    except MalformedJson:
        data = None
    return BodyJsonRequest(method, uri, headers, data if isinstance(data, dict) else None)


# --------------------------------------------------------------------------------------------------
# Grants and endpoints
# --------------------------------------------------------------------------------------------------


class RequireS256(CodeChallenge):
    """PKCE for every authorization request, ``S256`` only (OAuth 2.0 Security BCP; OB 3.0 requires PKCE)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge and code_challenge_method=S256")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class _ServerGrant:
    server: McbadgeAuthorizationServer

    @property
    def session(self) -> Session:
        return self.server.session


class AuthorizationCodeGrant(_ServerGrant, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.session.add(OAuthAuthorizationCode(
            code_hash=digest(code), client_pk=request.client.row.id, person_id=request.user.id,
            redirect_uri=data.get("redirect_uri"), scope=request.scope or "",
            code_challenge=data["code_challenge"], code_challenge_method=data.get("code_challenge_method", "S256"),
            expires_at=utcnow() + CODE_TTL,
        ))
        self.session.flush()

    def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
        # FOR UPDATE: two concurrent redemptions of one code cannot both succeed (PostgreSQL; SQLite
        # serializes writers already).
        row = self.session.scalars(
            select(OAuthAuthorizationCode)
            .where(OAuthAuthorizationCode.code_hash == digest(code), OAuthAuthorizationCode.client_pk == client.row.id)
            .with_for_update()
        ).first()
        if row is None or row.expires_at <= utcnow():
            return None
        return AuthCode(row)

    def delete_authorization_code(self, authorization_code: AuthCode) -> None:
        self.session.delete(authorization_code.row)
        self.session.flush()

    def authenticate_user(self, authorization_code: AuthCode) -> Person | None:
        return self.session.get(Person, authorization_code.row.person_id)


class RefreshTokenGrant(_ServerGrant, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        row = self.session.scalars(
            select(OAuthToken).where(OAuthToken.refresh_token_hash == digest(refresh_token)).with_for_update()
        ).first()
        if row is None:
            return None
        if row.refresh_revoked_at is not None:
            # A rotated (or revoked) refresh token came back: someone kept a copy. End the whole grant.
            self.server.revoke_family(row.family_id)
            return None
        if row.refresh_expires_at is None or row.refresh_expires_at <= utcnow():
            return None
        return Token(row, matched="refresh_token")

    def authenticate_user(self, refresh_token: Token) -> Person | None:
        return self.session.get(Person, refresh_token.row.person_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        now = utcnow()
        refresh_token.row.refresh_revoked_at = now
        refresh_token.row.access_revoked_at = refresh_token.row.access_revoked_at or now
        self.session.flush()


class ClientCredentialsGrant(_ServerGrant, grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class RevocationEndpoint(_RevocationEndpoint):
    """RFC 7009. Revoking a refresh token ends its whole family; revoking an access token ends that one."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS
    server: McbadgeAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        session = self.server.session
        hashed = digest(token_string)
        if token_type_hint != "refresh_token":
            row = session.scalars(select(OAuthToken).where(OAuthToken.access_token_hash == hashed)).first()
            if row is not None:
                return Token(row, matched="access_token")
        if token_type_hint != "access_token":
            row = session.scalars(select(OAuthToken).where(OAuthToken.refresh_token_hash == hashed)).first()
            if row is not None:
                return Token(row, matched="refresh_token")
        return None

    def revoke_token(self, token: Token, request: OAuth2Request) -> None:
        if token.matched == "refresh_token":
            self.server.revoke_family(token.row.family_id)
        else:
            token.row.access_revoked_at = token.row.access_revoked_at or utcnow()
            self.server.session.flush()


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


class McbadgeAuthorizationServer(AuthorizationServer):
    """Authlib's AuthorizationServer on one database session."""

    def __init__(self, session: Session, settings: Settings) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.session = session
        self.settings = settings
        self.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda **_: new_secret(ACCESS_TOKEN_PREFIX),
            refresh_token_generator=lambda **_: new_secret(REFRESH_TOKEN_PREFIX),
            expires_generator=lambda client, grant_type: settings.oauth_access_token_ttl,
        ))
        self.register_grant(AuthorizationCodeGrant, [RequireS256()])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(RevocationEndpoint)

    def query_client(self, client_id: str) -> Client | None:
        if not client_id:
            return None
        row = self.session.scalars(
            select(OAuthClient).where(OAuthClient.client_id == client_id, OAuthClient.revoked_at.is_(None))
        ).first()
        return Client(row) if row is not None else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        client: Client = request.client
        if request.user is not None:
            person_id = request.user.id
        elif client.row.person_id is not None:  # client credentials: the person the admin bound it to
            person_id = client.row.person_id
        else:
            raise InvalidRequestError("this client is not bound to a person and cannot act on its own")
        previous: Token | None = request.refresh_token
        now = utcnow()
        refresh = token.get("refresh_token")
        self.session.add(OAuthToken(
            family_id=previous.row.family_id if previous is not None else uuid.uuid4(),
            client_pk=client.row.id, person_id=person_id, grant_type=request.payload.grant_type or "",
            scope=token.get("scope", ""), access_token_hash=digest(token["access_token"]),
            refresh_token_hash=digest(refresh) if refresh else None,
            issued_at=now, expires_at=now + timedelta(seconds=int(token["expires_in"])),
            refresh_expires_at=now + timedelta(seconds=self.settings.oauth_refresh_token_ttl) if refresh else None,
        ))
        self.session.flush()

    def revoke_family(self, family_id: uuid.UUID) -> None:
        """Revoke every access and refresh token issued under one authorization."""
        now = utcnow()
        self.session.execute(update(OAuthToken).where(OAuthToken.family_id == family_id,
                                                      OAuthToken.access_revoked_at.is_(None))
                             .values(access_revoked_at=now))
        self.session.execute(update(OAuthToken).where(OAuthToken.family_id == family_id,
                                                      OAuthToken.refresh_revoked_at.is_(None))
                             .values(refresh_revoked_at=now))

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if not isinstance(request, OAuth2Request):
            raise TypeError("pass a request made by mcbadge.oauth.server.oauth_request")
        return request

    def create_json_request(self, request: Any) -> JsonRequest:
        if not isinstance(request, JsonRequest):
            raise TypeError("pass a request made by mcbadge.oauth.server.json_request")
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        headers = dict(headers or [])
        if isinstance(body, dict):
            headers.pop("Content-Type", None)
            return JSONResponse(body, status_code=status, headers=headers)
        return Response(body or b"", status_code=status, headers=headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's hook for framework signals: nothing listens here."""


def make_server(session: Session, settings: Settings) -> McbadgeAuthorizationServer:
    """An authorization server on ``session`` (one per request)."""
    return McbadgeAuthorizationServer(session, settings)
