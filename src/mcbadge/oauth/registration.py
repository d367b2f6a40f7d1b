"""Dynamic client registration (RFC 7591, ``POST /oauth/register``) as the OB 3.0 specification profiles it.

Registration is open (no initial access token), as OB 3.0 expects of a resource server that wallets and
platforms discover. The request must carry the members OB 3.0 makes REQUIRED: ``client_name``,
``client_uri``, ``logo_uri``, ``tos_uri``, ``policy_uri``, ``software_id``, ``software_version`` and
``redirect_uris``. Registered clients may use the authorization-code grant (PKCE required) and refresh
tokens, and only the OB scopes; a client that asks for no scope gets all four.

Redirect URIs must be https, or http on a loopback address (RFC 8252 §7.3, native apps and tests).
The client secret is returned once and stored hashed; a public client (``token_endpoint_auth_method``
``none``) gets no secret.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from joserfc.errors import InvalidClaimError, MissingClaimError

from ..db.oauth_models import OAuthClient
from .scopes import OB_SCOPES
from .server import CLIENT_AUTH_METHODS, McbadgeAuthorizationServer, digest, new_secret

__all__ = ["OB_REQUIRED_METADATA", "RegistrationEndpoint", "register", "server_metadata"]

OB_REQUIRED_METADATA = ("client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri", "software_id",
                        "software_version", "redirect_uris")
GRANT_TYPES = ["authorization_code", "refresh_token"]


def server_metadata() -> dict[str, Any]:
    """What registration accepts (the subset of RFC 8414 metadata Authlib's claim checks read)."""
    return {
        "scopes_supported": list(OB_SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": GRANT_TYPES,
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
    }


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OpenBadgesClientMetadata(ClientMetadataClaims):
    """RFC 7591 metadata checks, plus what OB 3.0 requires."""

    def validate(self, now: Any = None, leeway: int = 0) -> None:
        for name in OB_REQUIRED_METADATA:
            if not self.get(name):
                raise MissingClaimError(name)
        for name in ("client_name", "software_id", "software_version"):
            if not isinstance(self.get(name), str) or len(self[name]) > 200:
                raise InvalidClaimError(name)
        uris = self.get("redirect_uris")
        if not isinstance(uris, list) or not all(isinstance(u, str) and len(u) <= 2000 for u in uris) or len(uris) > 10:
            raise InvalidClaimError("redirect_uris")
        for uri in uris:
            parts = urlsplit(uri)
            if parts.fragment or not (parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname))):
                raise InvalidClaimError("redirect_uris")
        super().validate(now, leeway)
        grant_types = self.get("grant_types") or ["authorization_code"]
        response_types = self.get("response_types") or ["code"]
        if "authorization_code" in grant_types and "code" not in response_types:
            raise InvalidClaimError("response_types")


class RegistrationEndpoint(ClientRegistrationEndpoint):
    """Authlib's RFC 7591 endpoint, storing clients as :class:`OAuthClient` rows with hashed secrets."""

    server: McbadgeAuthorizationServer

    def __init__(self, server: McbadgeAuthorizationServer | None = None) -> None:
        super().__init__(server, claims_classes=[OpenBadgesClientMetadata])

    def authenticate_token(self, request: Any) -> bool:
        return True  # open registration

    def get_server_metadata(self) -> dict[str, Any]:
        return server_metadata()

    def extract_client_metadata(self, request: Any) -> dict[str, Any]:
        metadata = super().extract_client_metadata(request)
        # The response echoes the registered values, defaults included (RFC 7591 §3.2.1).
        metadata.setdefault("grant_types", ["authorization_code"])
        metadata.setdefault("response_types", ["code"])
        metadata["scope"] = metadata.get("scope") or " ".join(OB_SCOPES)
        metadata.setdefault("token_endpoint_auth_method", "client_secret_basic")
        return metadata

    def generate_client_id(self, request: Any) -> str:
        return new_secret()[:32]

    def generate_client_secret(self, request: Any) -> str:
        return new_secret()

    def generate_client_info(self, request: Any) -> dict[str, Any]:
        info = {"client_id": self.generate_client_id(request), "client_id_issued_at": int(time.time())}
        if (request.payload.data or {}).get("token_endpoint_auth_method") != "none":
            info["client_secret"] = self.generate_client_secret(request)
            info["client_secret_expires_at"] = 0  # does not expire
        return info

    def save_client(self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any) -> OAuthClient:
        known = {"client_name", "redirect_uris", "grant_types", "response_types", "scope",
                 "token_endpoint_auth_method"}
        secret = client_info.get("client_secret")
        row = OAuthClient(
            client_id=client_info["client_id"],
            secret_hash=digest(secret) if secret else None,
            client_name=client_metadata["client_name"],
            redirect_uris=list(client_metadata["redirect_uris"]),
            grant_types=list(client_metadata.get("grant_types") or ["authorization_code"]),
            response_types=list(client_metadata.get("response_types") or ["code"]),
            scope=client_metadata.get("scope") or " ".join(OB_SCOPES),
            token_endpoint_auth_method=client_metadata.get("token_endpoint_auth_method", "client_secret_basic"),
            client_metadata={k: v for k, v in client_metadata.items() if k not in known},
        )
        self.server.session.add(row)
        self.server.session.flush()
        return row


def register(server: McbadgeAuthorizationServer, request: Any) -> Any:
    """Run a registration request through Authlib; the response is 201 with the client, or 400 with an
    RFC 7591 error (``invalid_client_metadata``, ``invalid_redirect_uri``)."""
    endpoint = RegistrationEndpoint(server)
    server.register_endpoint(endpoint)
    return server.create_endpoint_response(RegistrationEndpoint.ENDPOINT_NAME, request)

