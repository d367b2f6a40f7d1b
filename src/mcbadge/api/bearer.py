"""Protecting routes with OAuth 2.0 bearer tokens: ``Depends(require_scopes(SCOPE, ...))``.

Authlib's resource protector (RFC 6750) reads the ``Authorization`` header and decides whether the token is
valid, expired, revoked, or short of a scope; this module finds the token by its digest and turns Authlib's
verdict into domain errors:

- :class:`InvalidToken` (an ``Unauthenticated``, 401): no token, an unknown, expired or revoked one.
- :class:`InsufficientScope` (a ``Forbidden``, 403): a valid token without every scope the route needs.

Both carry ``www_authenticate``, the RFC 6750 challenge to send back. The API's problem-details handler
answers them like any domain error; the OB 3.0 API answers them with ``Imsx_StatusInfo`` bodies.

``require_scopes(..., api_key_roles=(Role.ADMIN,))`` also lets an API key of those roles through (the VC
API takes either), so one dependency serves both kinds of caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from authlib.oauth2.rfc6749 import (
    MissingAuthorizationError,
    OAuth2Error,
    ResourceProtector,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError
from fastapi import Request
from sqlalchemy import select

from ..db.models import Issuer, Person, Role
from ..db.oauth_models import OAuthClient, OAuthToken
from ..db.session import read
from ..errors import Forbidden, Unauthenticated
from ..oauth.server import Token, digest
from ..principal import KEY_PREFIX, authenticate
from .deps import SessionDep

__all__ = ["InsufficientScope", "InvalidToken", "TokenPrincipal", "require_scopes"]

REALM = "mcbadge"


class InvalidToken(Unauthenticated):
    """No access token was sent, or it is unknown, expired or revoked."""

    code = "invalid-token"

    def __init__(self, detail: str, *, error: str | None = "invalid_token") -> None:
        super().__init__(detail)
        challenge = f'Bearer realm="{REALM}"'
        if error:
            challenge += f', error="{error}", error_description="{detail}"'
        self.www_authenticate = challenge


class InsufficientScope(Forbidden):
    """The access token is valid but lacks a scope this operation needs."""

    code = "insufficient-scope"

    def __init__(self, detail: str, *, scopes: Iterable[str]) -> None:
        super().__init__(detail)
        self.scopes = tuple(scopes)
        self.www_authenticate = (f'Bearer realm="{REALM}", error="insufficient_scope", '
                                 f'scope="{" ".join(self.scopes)}"')


@dataclass(frozen=True)
class TokenPrincipal:
    """Who a request acts for: the person an access token (or API key) belongs to, and what it may do.

    ``person_id``, ``issuer_id``, ``issuer_slug`` and ``role`` mean what they mean on ``principal.Principal``.
    ``scopes`` are the token's scopes (empty for an API key); ``client_id`` is the OAuth client (None for an
    API key), ``api_key_id`` the API key (None for a token).
    """

    person_id: uuid.UUID
    issuer_id: uuid.UUID
    issuer_slug: str
    role: Role
    scopes: frozenset[str]
    via: Literal["oauth", "api_key"]
    client_id: str | None = None
    api_key_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None


class _Validator(BearerTokenValidator):
    def __init__(self, session: SessionDep) -> None:
        super().__init__(realm=REALM)
        self.session = session
        self.found: tuple[OAuthToken, OAuthClient, Person, str] | None = None

    def authenticate_token(self, token_string: str) -> Token | None:
        row = self.session.execute(
            select(OAuthToken, OAuthClient, Person, Issuer.slug)
            .join(OAuthClient, OAuthClient.id == OAuthToken.client_pk)
            .join(Person, Person.id == OAuthToken.person_id)
            .join(Issuer, Issuer.id == Person.issuer_id)
            .where(OAuthToken.access_token_hash == digest(token_string),
                   Issuer.disabled_at.is_(None))  # a disabled organisation's tokens are no longer valid
        ).first()
        if row is None:
            return None
        self.found = (row.OAuthToken, row.OAuthClient, row.Person, row.slug)
        return Token(row.OAuthToken, client_revoked=row.OAuthClient.revoked_at is not None)


class _Headers:
    """What Authlib's protector reads of a request."""

    def __init__(self, request: Request) -> None:
        self.headers = request.headers
        self.uri = str(request.url)
        self.method = request.method


def authenticate_bearer(session: SessionDep, request: Request, scopes: tuple[str, ...]) -> TokenPrincipal:
    """The principal of the request's access token, which must carry every one of ``scopes``.

    Raises :class:`InvalidToken` (401) or :class:`InsufficientScope` (403).
    """
    protector = ResourceProtector()
    validator = _Validator(session)
    protector.register_token_validator(validator)
    try:
        # One entry with every scope space-separated: Authlib then asks for all of them (not any one).
        protector.validate_request([" ".join(scopes)] if scopes else None, _Headers(request))
    except InsufficientScopeError:
        raise InsufficientScope(f"the access token lacks a scope this needs: {' '.join(scopes)}", scopes=scopes) from None
    except (MissingAuthorizationError, UnsupportedTokenTypeError):
        raise InvalidToken("an OAuth 2.0 access token is required: send 'Authorization: Bearer <token>'",
                           error=None) from None
    except OAuth2Error:
        raise InvalidToken("the access token is not valid: it is unknown, expired or revoked") from None
    assert validator.found is not None
    token, client, person, slug = validator.found
    return TokenPrincipal(person_id=person.id, issuer_id=person.issuer_id, issuer_slug=slug, role=person.role,
                          scopes=frozenset(token.scope.split()), via="oauth", client_id=client.client_id,
                          token_id=token.id)


def require_scopes(*scopes: str, api_key_roles: Iterable[Role] | None = None) -> Callable[..., TokenPrincipal]:
    """A dependency: the request must carry an access token with every one of ``scopes``.

    With ``api_key_roles``, an API key (``Bearer mcb_…`` or ``X-API-Key``) of one of those roles is accepted
    instead of a token. Use as ``principal: Annotated[TokenPrincipal, Depends(require_scopes(VC_ISSUE))]``.
    """
    key_roles = frozenset(api_key_roles or ())

    def dependency(request: Request, session: SessionDep) -> TokenPrincipal:
        # The lookup's read ends here, in this thread (see api.auth.current_principal).
        with read(session):
            header = request.headers.get("authorization", "")
            presented = header.partition(" ")[2].strip() if header.lower().startswith("bearer ") else ""
            api_key = presented if presented.startswith(KEY_PREFIX) else request.headers.get("x-api-key")
            if key_roles and api_key:
                principal = authenticate(session, api_key)
                if principal.role not in key_roles:
                    allowed = ", ".join(sorted(r.value for r in key_roles))
                    raise Forbidden(f"this needs an API key of one of the roles: {allowed} (or an access token)")
                return TokenPrincipal(person_id=principal.person_id, issuer_id=principal.issuer_id,
                                      issuer_slug=principal.issuer_slug, role=principal.role, scopes=frozenset(),
                                      via="api_key", api_key_id=principal.api_key_id)
            return authenticate_bearer(session, request, scopes)

    return dependency
