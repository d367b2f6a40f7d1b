"""The OAuth 2.0 authorization server (Authlib) and the bearer-token dependency routes use.

- :func:`require_scopes` and :class:`TokenPrincipal`: protect a route with access tokens (and, if asked,
  API keys of some roles); :class:`InvalidToken` (401) and :class:`InsufficientScope` (403) are the errors.
- :mod:`mcbadge.oauth.scopes`: every scope, in one place.
- ``routes.router`` (``/oauth/*``, RFC 8414 metadata) and ``routes.admin_router`` (``/api/v1/oauth-clients``).
"""

from .guard import InsufficientScope, InvalidToken, TokenPrincipal, require_scopes

__all__ = ["InsufficientScope", "InvalidToken", "TokenPrincipal", "require_scopes"]
