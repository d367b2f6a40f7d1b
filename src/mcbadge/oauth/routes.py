"""The OAuth 2.0 endpoints, and ``/api/v1/oauth-clients`` for admins.

=====================================================  ==========================================================
``GET /.well-known/oauth-authorization-server``        RFC 8414 metadata
``POST /oauth/register``                               dynamic client registration (RFC 7591, OB 3.0 profile)
``GET /oauth/authorize``                               the consent page: the educator signs in with an API key
``POST /oauth/authorize``                              approve (302 with a code) or deny (302 access_denied)
``POST /oauth/token``                                  authorization_code (PKCE S256), refresh_token, client_credentials;
                                                       OpenID4VCI's pre-authorized code and a wallet's code
                                                       (``wallet.routes``)
``POST /oauth/revoke``                                 token revocation (RFC 7009)
``POST/GET /api/v1/oauth-clients``, ``DELETE …/{id}``  client-credentials clients (issuer admins)
=====================================================  ==========================================================

The protocol is Authlib's (``mcbadge.oauth.server``); these routes read the request in full, then run
Authlib and the database work in one worker thread and one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc6749.util import scope_to_list
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..api.auth import require
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import responses
from ..db.models import Person, Role
from ..db.session import transaction
from ..errors import Forbidden, Invalid, Unauthenticated
from ..principal import Principal, authenticate
from ..services import Services
from ..wallet.authorization import is_wallet_code, is_wallet_request
from ..wallet.routes import authorization_code_token, pre_authorized_token, wallet_consent, wallet_decision
from ..wallet.service import PRE_AUTHORIZED_GRANT
from . import clients
from .redirects import with_query
from .registration import register
from .scopes import SCOPES
from .server import (
    CLIENT_AUTH_METHODS,
    McbadgeAuthorizationServer,
    json_request,
    make_server,
    oauth_request,
)

__all__ = ["AUTHORIZE_PARAMS", "admin_router", "metadata", "router"]

router = APIRouter(tags=["oauth"])
admin_router = APIRouter(prefix="/api/v1/oauth-clients", tags=["oauth"])

AUTHORIZE_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                    "code_challenge_method")
"""The authorization request's parameters, carried through the consent form as hidden fields."""

_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",  # no clickjacking of the approve button
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def metadata(base_url: str) -> dict[str, Any]:
    """RFC 8414 authorization server metadata."""
    base = base_url.rstrip("/")
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "registration_endpoint": f"{base}/oauth/register",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", PRE_AUTHORIZED_GRANT],
        # OpenID4VCI: a wallet redeems a pre-authorized code without registering as a client.
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        # RFC 9207: every redirect back from the authorization endpoint names this issuer (mix-up defence).
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": f"{base}/ims/ob/v3p0/discovery",
    }


def _uri(services: Services, request: Request) -> str:
    # The public URL, not the socket's: behind a TLS terminator the app sees http.
    query = request.url.query
    return services.settings.public_base_url + request.url.path + (f"?{query}" if query else "")


async def _form(request: Request) -> list[tuple[str, str]]:
    if request.method != "POST":
        return []
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


def _run(services: Services, work: Callable[[McbadgeAuthorizationServer], Response]) -> Response:
    """``work`` with a server on a fresh session, in one transaction (committed even when Authlib answers
    with an error: a refresh-token reuse revokes the family *and* refuses the request)."""
    with services.sessions() as session, transaction(session):
        return work(make_server(session, services.settings))


def _oauth_error(error: OAuth2Error) -> JSONResponse:
    status, body, headers = error()
    return JSONResponse(dict(body), status_code=status, headers=dict(headers))


# These routes read their bodies themselves (Authlib takes the raw request), so FastAPI cannot describe them:
# the document says here what they take and answer. Errors are RFC 6749 §5.2 JSON (the problem details of the
# rest of mcbadge would not be understood by OAuth clients); the consent page answers in HTML.
_OAUTH_ERROR: dict[str, Any] = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}}}}}
_ERRORS: dict[int | str, dict[str, Any]] = {400: {"description": "An RFC 6749 error (invalid_request, invalid_grant, invalid_client_metadata...)",
                 **_OAUTH_ERROR},
           401: {"description": "invalid_client: the client did not authenticate", **_OAUTH_ERROR}}
_TEXT: dict[str, Any] = {"type": "string", "maxLength": 2048}
_FORM_BODY = "application/x-www-form-urlencoded"
_TOKEN_REQUEST: dict[str, Any] = {"requestBody": {"required": True, "content": {_FORM_BODY: {"schema": {
    "type": "object", "required": ["grant_type"],
    "properties": {"grant_type": {"type": "string", "enum": [
                       "authorization_code", "refresh_token", "client_credentials",
                       "urn:ietf:params:oauth:grant-type:pre-authorized_code"]},  # OpenID4VCI (wallet/)
                   **{name: _TEXT for name in ("code", "redirect_uri", "code_verifier", "refresh_token", "scope",
                                               "client_id", "client_secret", "pre-authorized_code", "tx_code")}}}}}}}
_REVOKE_REQUEST: dict[str, Any] = {"requestBody": {"required": True, "content": {_FORM_BODY: {"schema": {
    "type": "object", "required": ["token"],
    "properties": {"token": _TEXT, "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]},
                   "client_id": _TEXT, "client_secret": _TEXT}}}}}}
_REGISTRATION: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "RFC 7591 client metadata, as Open Badges 3.0 profiles it",
    "required": ["client_name", "client_uri", "redirect_uris", "scope"],
    "properties": {"client_name": _TEXT, "client_uri": _TEXT, "logo_uri": _TEXT, "tos_uri": _TEXT,
                   "policy_uri": _TEXT, "software_id": _TEXT, "software_version": _TEXT, "scope": _TEXT,
                   "redirect_uris": {"type": "array", "items": _TEXT, "maxItems": 20},
                   "grant_types": {"type": "array", "items": _TEXT, "maxItems": 5},
                   "response_types": {"type": "array", "items": _TEXT, "maxItems": 5},
                   "token_endpoint_auth_method": _TEXT}}}}}}
_CONSENT_PAGE: dict[int | str, dict[str, Any]] = {200: {"description": "The consent page", "content": {"text/html": {}}},
                 302: {"description": "Back to the client's redirect URI, with a code or an error"},
                 303: {"description": "A wallet's request (issuer_state): back to the wallet's redirect URI, with a "
                                       "code or access_denied"},
                 400: {"description": "The request is not valid: said on the page (no redirect URI to trust)",
                       "content": {"text/html": {}}}}


@router.get("/.well-known/oauth-authorization-server", include_in_schema=True)
def authorization_server_metadata(services: ServicesDep) -> dict[str, Any]:
    """OAuth 2.0 authorization server metadata (RFC 8414)."""
    return metadata(services.settings.public_base_url)


@router.post("/oauth/register", status_code=201, openapi_extra=_REGISTRATION,
             responses={201: {"description": "The client, with its secret (shown once)"}, 400: _ERRORS[400]})
async def register_client(request: Request, services: ServicesDep) -> Response:
    """Register a client (RFC 7591, as OB 3.0 profiles it): 201 with ``client_id`` and ``client_secret``
    (shown once), or 400 ``invalid_client_metadata``."""
    body = await request.body()
    req = json_request("POST", _uri(services, request), request.headers, body)
    return await run_in_threadpool(_run, services, lambda server: register(server, req))


@router.post("/oauth/token", openapi_extra=_TOKEN_REQUEST, responses=_ERRORS)
async def token(request: Request, services: ServicesDep) -> Response:
    """The token endpoint (RFC 6749 §3.2): authorization_code (with the PKCE verifier), refresh_token
    (rotating), client_credentials, and a wallet's pre-authorized code (OpenID4VCI 1.0 §6)."""
    form = await _form(request)
    fields = dict(form)
    if fields.get("grant_type") == PRE_AUTHORIZED_GRANT:
        # Not an Authlib grant: its token opens the credential endpoint only, and it has no client.
        return await pre_authorized_token(services, fields)
    if fields.get("grant_type") == "authorization_code" and is_wallet_code(fields.get("code")):
        # A code the earner's approval gave a wallet (wallet.authorization): the same token as above.
        return await authorization_code_token(services, fields)
    try:
        req = oauth_request("POST", _uri(services, request), request.headers, [], form)
    except OAuth2Error as error:
        return _oauth_error(error)
    return await run_in_threadpool(_run, services, lambda server: server.create_token_response(req))


@router.post("/oauth/revoke", openapi_extra=_REVOKE_REQUEST, responses=_ERRORS)
async def revoke(request: Request, services: ServicesDep) -> Response:
    """Revoke an access or refresh token (RFC 7009); revoking a refresh token ends its whole grant."""
    try:
        req = oauth_request("POST", _uri(services, request), request.headers, [], await _form(request))
    except OAuth2Error as error:
        return _oauth_error(error)
    return await run_in_threadpool(
        _run, services, lambda server: server.create_endpoint_response("revocation", req))


# --------------------------------------------------------------------------------------------------
# The consent page
# --------------------------------------------------------------------------------------------------


def _page(status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template("consent.html").render(**context)
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def _error_page(services: Services, error: OAuth2Error) -> HTMLResponse:
    return _page(400, root=services.settings.public_base_url, error_title="This authorization request is not valid",
                 error_detail=f"{error.error}: {error.get_error_description() or error.description or ''}".strip(": "))


def _consent(services: Services, server: McbadgeAuthorizationServer, grant: Any, status: int = 200,
             error: str | None = None) -> HTMLResponse:
    req = grant.request
    client = req.client.row
    meta = client.client_metadata or {}
    params = [(name, req.payload.data[name]) for name in AUTHORIZE_PARAMS if req.payload.data.get(name)]
    redirect = req.payload.data.get("redirect_uri") or req.client.get_default_redirect_uri() or ""
    return _page(status, root=services.settings.public_base_url, client_name=client.client_name,
                 client_uri=meta.get("client_uri"), policy_uri=meta.get("policy_uri"), tos_uri=meta.get("tos_uri"),
                 scopes=[{"scope": s, "text": SCOPES.get(s, s)} for s in scope_to_list(req.scope) or []],
                 params=params, redirect_host=urlsplit(redirect).netloc,
                 ttl_minutes=max(1, services.settings.oauth_access_token_ttl // 60), error=error)


def _with_issuer(services: Services, response: Response) -> Response:
    """A redirect back to the client with ``iss`` (RFC 9207), beside the code or the error: a client that talks
    to several authorization servers can tell which one answered (wallet.authorization adds it to its own)."""
    location = response.headers.get("location")
    if location is None or response.status_code not in (302, 303):
        return response
    response.headers["location"] = with_query(location, {"iss": services.public_base_url})
    return response


def _authorize_failure(services: Services, server: McbadgeAuthorizationServer, req: Any, error: OAuth2Error) -> Response:
    # With a validated redirect URI the client hears of the error there (RFC 6749 §4.1.2.1); without one
    # (unknown client, unregistered redirect URI) the person sees it and is never sent anywhere.
    if error.redirect_uri:
        return _with_issuer(services, server.handle_error_response(req, error))
    return _error_page(services, error)


@router.get("/oauth/authorize", response_class=HTMLResponse, responses=_CONSENT_PAGE)
async def authorize_page(request: Request, services: ServicesDep) -> Response:
    """The consent page. The educator signs in with their API key (mcbadge has no passwords) and approves
    the scopes the client asked for. PKCE with ``code_challenge_method=S256`` is required. A wallet's request
    for a credential offer (it names the offer's ``issuer_state``) gets the earner's page of ``wallet.routes``."""
    if is_wallet_request(dict(request.query_params)):
        return await wallet_consent(services, list(request.query_params.multi_items()))
    try:
        req = oauth_request("GET", _uri(services, request), request.headers, list(request.query_params.multi_items()), [])
    except OAuth2Error as error:
        return _error_page(services, error)

    def work(server: McbadgeAuthorizationServer) -> Response:
        try:
            grant = server.get_consent_grant(req)
        except OAuth2Error as error:
            return _authorize_failure(services, server, req, error)
        return _consent(services, server, grant)

    return await run_in_threadpool(_run, services, work)


@router.post("/oauth/authorize", response_class=HTMLResponse, responses=_CONSENT_PAGE)
async def authorize(request: Request, services: ServicesDep) -> Response:
    """The consent form's answer: ``decision=approve`` with the educator's ``api_key`` redirects to the
    client with a code; ``decision=deny`` redirects with ``error=access_denied``."""
    form = await _form(request)
    fields = dict(form)
    if is_wallet_request(fields):
        return await wallet_decision(services, form, request.headers)
    params = [(k, v) for k, v in form if k in AUTHORIZE_PARAMS]  # the API key never reaches Authlib
    try:
        req = oauth_request("POST", _uri(services, request), request.headers, [], params)
    except OAuth2Error as error:
        return _error_page(services, error)
    approve = fields.get("decision") == "approve"

    def work(server: McbadgeAuthorizationServer) -> Response:
        person: Person | None = None
        error: str | None = None
        if approve:
            try:
                principal = authenticate(server.session, fields.get("api_key", "").strip())
                person = server.session.get(Person, principal.person_id)
            except Unauthenticated:
                error = "That API key is not valid. Paste the whole key, starting with mcb_."
        try:
            grant = server.get_consent_grant(req, end_user=person)
        except OAuth2Error as exc:
            return _authorize_failure(services, server, req, exc)
        if error is not None:
            return _consent(services, server, grant, status=400, error=error)
        return _with_issuer(services, server.create_authorization_response(req, grant_user=person, grant=grant))

    return await run_in_threadpool(_run, services, work)


# --------------------------------------------------------------------------------------------------
# Client-credentials clients (issuer admins)
# --------------------------------------------------------------------------------------------------

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@admin_router.post("", status_code=201, response_model=clients.ClientIssued, responses=responses(Forbidden, Invalid))
def create_client(body: clients.ClientCreate, session: SessionDep, admin: Admin) -> clients.ClientIssued:
    """Make a confidential client-credentials client acting as one of the issuer's integrators or admins,
    limited to ``scope`` (admins). ``client_secret`` is in this response only."""
    return clients.create(session, admin, body)


@admin_router.get("", response_model=list[clients.ClientRead], responses=responses(Forbidden))
def list_clients(session: SessionDep, admin: Admin) -> list[clients.ClientRead]:
    """The issuer's client-credentials clients (admins)."""
    return clients.list_clients(session, admin)


@admin_router.delete("/{client_id}", status_code=204, responses=responses(Forbidden, clients.UnknownClient))
def delete_client(client_id: str, session: SessionDep, admin: Admin) -> Response:
    """Delete a client: it and every token it holds stop working at once (admins)."""
    clients.delete(session, admin, client_id)
    return Response(status_code=204)

