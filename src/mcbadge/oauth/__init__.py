"""The OAuth 2.0 authorization server (Authlib): clients, authorization code + PKCE, client credentials, rotating
refresh tokens.

- :mod:`mcbadge.oauth.scopes`: every scope, in one place.
- ``routes.router`` (``/oauth/*``, RFC 8414 metadata) and ``routes.admin_router`` (``/api/v1/oauth-clients``).
- The bearer-token dependency routes use (``require_scopes``) is HTTP, so it lives in ``mcbadge.api.bearer``.
"""
