"""Wallet delivery over HTTP (OpenID for Verifiable Credential Issuance 1.0: pre-authorized code and authorization
code flows).

=============================================  ==================================================================
``GET /.well-known/openid-credential-issuer``  credential issuer metadata (the OAuth server metadata is
                                               ``oauth.routes``', with the pre-authorized code grant)
``POST /oauth/token``                          the pre-authorized code grant and a wallet's authorization code:
                                               ``oauth.routes`` hands them to :func:`pre_authorized_token`,
                                               :func:`authorization_code_token`
``GET/POST /oauth/authorize``                  a wallet's request (it names an ``issuer_state``): the earner's
                                               consent page, :func:`wallet_consent`, :func:`wallet_decision`
``POST /oid4vci/nonce``                        a ``c_nonce`` for a key proof
``POST /oid4vci/credential``                   the credential, bound to the proof's key (Bearer access token)
``POST /api/v1/credentials/{id}/wallet-offers``  an educator's offer of their credential (JSON)
``GET/POST /credentials/{id}/wallet``          the page: sign in with the API key, get the QR code and link
=============================================  ==================================================================

Protocol errors are OAuth-style JSON (``error``, ``error_description``), not problem details: that is what
wallets read (RFC 6749 §5.2, RFC 6750 §3, OID4VCI §8.3.1.2).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

import segno
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..api.auth import require
from ..api.deps import ServicesDep, SessionDep
from ..api.input_checks import json_body
from ..api.problems import domain_status, responses
from ..credentials.service import CredentialNotFound, CredentialRevoked
from ..db.models import Role
from ..errors import DomainError, Forbidden, Unauthenticated
from ..principal import Principal
from ..services import Services
from . import authorization, service
from .schemas import OfferRead
from .service import NotDeliverable, WalletProtocolError

__all__ = ["authorization_code_token", "pre_authorized_token", "router", "wallet_consent", "wallet_decision"]

router = APIRouter(tags=["wallet"])

_NO_STORE = {"Cache-Control": "no-store"}
_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))
_PAGE_HEADERS = {
    **_NO_STORE,  # the page shows a live code: never cached
    # The QR code is a data: PNG; nothing else is loaded, nothing runs.
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                                "base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

T = TypeVar("T")


def protocol_error(error: WalletProtocolError) -> JSONResponse:
    """An OAuth-style error response; a 401 says how to authenticate (RFC 6750 §3)."""
    headers = dict(_NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{error.error}"'
    return JSONResponse({"error": error.error, "error_description": error.detail}, status_code=error.status,
                        headers=headers)


def _in_session(services: Services, work: Callable[[Any], T]) -> T:
    with services.sessions() as session:
        return work(session)


@router.get("/.well-known/openid-credential-issuer")
def credential_issuer_metadata(services: ServicesDep) -> dict[str, Any]:
    """Credential issuer metadata (OpenID4VCI 1.0 §12.2): what a wallet may ask for and how."""
    return service.issuer_metadata(services)


async def pre_authorized_token(services: Services, form: Mapping[str, str]) -> Response:
    """The token endpoint's answer to the pre-authorized code grant (``oauth.routes.token`` dispatches here)."""
    try:
        body = await run_in_threadpool(
            _in_session, services, lambda session: service.redeem_pre_authorized_code(session, services, form))
    except WalletProtocolError as error:
        return protocol_error(error)
    return JSONResponse(body, headers={**_NO_STORE, "Pragma": "no-cache"})


# -- the authorization code flow (wallet.authorization); /oauth/authorize and /oauth/token dispatch here ----------

def _consent_headers(form_action: str = "") -> dict[str, str]:
    """The consent page's headers: nothing but this service's own stylesheet, no framing (no clickjacking of the
    approve button), and a form that leads here, then (the 303 after it counts as the form's target) to the
    wallet's redirect URI only."""
    return {
        **_NO_STORE,
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": (f"default-src 'none'; style-src 'self'; form-action 'self' {form_action}; "
                                    "base-uri 'none'; frame-ancestors 'none'").replace("  ", " "),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def _consent_page(services: Services, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template("wallet_consent.html").render(root=services.settings.public_base_url, **context)
    request = context.get("request")
    form_action = request.redirect.form_action if isinstance(request, authorization.WalletAuthorization) else ""
    return HTMLResponse(html, status_code=status, headers=_consent_headers(form_action))


def _request_refused(services: Services, error: WalletProtocolError) -> HTMLResponse:
    # Before the earner has chosen, nothing goes to the redirect URI (it is registered nowhere): the page says it.
    return _consent_page(services, 400, error_title="This wallet's request cannot be used",
                         error_detail=f"{error.error}: {error.detail}")


def _single_valued(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The request's parameters; each at most once (RFC 6749 §3.1: a repeated one is an invalid request)."""
    seen: dict[str, str] = {}
    for name, value in items:
        if name in seen and (name in authorization.PARAMS or name in ("decision", "api_key")):
            raise WalletProtocolError(f"the parameter {name} is given more than once")
        seen[name] = value
    return seen


def _from_this_site(services: Services, headers: Mapping[str, str]) -> bool:
    """Whether a form post came from this service's own page, as browsers say (``Sec-Fetch-Site``, else
    ``Origin``): another site's page must not make an earner's browser approve or deny (CSRF), nor use a denial
    to send it anywhere. A client that is no browser sends neither header, and has no earner's browser to abuse."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = headers.get("origin")
    if origin is None or origin == "null":  # "null": our own page, under its no-referrer policy, in some browsers
        return True
    base = urlsplit(services.public_base_url)
    return origin == f"{base.scheme}://{base.netloc}"


async def _consent(services: Services, params: Mapping[str, str], error: str | None = None) -> Response:
    """The consent page for ``params`` (400 with ``error`` when a decision on it was refused), or why not."""
    try:
        request = await run_in_threadpool(
            _in_session, services, lambda session: authorization.authorization_request(session, params))
    except WalletProtocolError as refused:
        return _request_refused(services, refused)
    return _consent_page(services, 400 if error else 200, request=request, error=error)


async def wallet_consent(services: Services, items: Sequence[tuple[str, str]]) -> Response:
    """``GET /oauth/authorize`` for a wallet's request (it names an offer's ``issuer_state``): the consent page."""
    try:
        params = _single_valued(items)
    except WalletProtocolError as error:
        return _request_refused(services, error)
    return await _consent(services, params)


async def wallet_decision(services: Services, items: Sequence[tuple[str, str]], headers: Mapping[str, str]
                          ) -> Response:
    """``POST /oauth/authorize`` for a wallet's request, from the consent page only: approve (with the earner's
    API key) or deny, then back to the wallet (303)."""
    try:
        fields = _single_valued(items)
        if not _from_this_site(services, headers):
            raise WalletProtocolError("this decision was not sent from this service's own page")
        decision = fields.get("decision")
        if decision not in ("approve", "deny"):
            raise WalletProtocolError("decision must be approve or deny")
        params = {k: v for k, v in fields.items() if k in authorization.PARAMS}  # the API key goes no further
        if decision == "deny":
            location = await run_in_threadpool(
                _in_session, services, lambda session: authorization.deny(session, services, params))
        else:
            location = await run_in_threadpool(_in_session, services, lambda session: authorization.approve(
                session, services, params, fields.get("api_key", "")))
    except Unauthenticated:
        return await _consent(services, params, "That API key is not valid. Paste the whole key, starting with mcb_.")
    except authorization.AccessDenied as error:
        return await _consent(services, params, error.detail)
    except WalletProtocolError as error:
        return _request_refused(services, error)
    return Response(status_code=303, headers={**_NO_STORE, "Location": location})


async def authorization_code_token(services: Services, form: Mapping[str, str]) -> Response:
    """The token endpoint's answer to a wallet's authorization code (``oauth.routes.token`` dispatches here)."""
    try:
        body = await run_in_threadpool(
            _in_session, services, lambda session: authorization.redeem_authorization_code(session, form))
    except WalletProtocolError as error:
        return protocol_error(error)
    return JSONResponse(body, headers={**_NO_STORE, "Pragma": "no-cache"})


@router.post("/oid4vci/nonce")
def nonce(session: SessionDep) -> JSONResponse:
    """A fresh ``c_nonce`` (OpenID4VCI 1.0 §7) for the key proof of the next credential request."""
    return JSONResponse({"c_nonce": service.new_nonce(session)}, headers=_NO_STORE)


# The credential endpoint answers in OpenID4VCI's own error format (§8.3.1), not problem details.
_PROTOCOL_ERROR: dict[str, Any] = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}}}}}
_CREDENTIAL_REQUEST: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "credential_configuration_id and proofs.jwt (OpenID4VCI 1.0 §8.2)"}}}}}


@router.post("/oid4vci/credential", openapi_extra=_CREDENTIAL_REQUEST, responses={
    400: {"description": "invalid_credential_request, invalid_proof, invalid_nonce, ...", **_PROTOCOL_ERROR},
    401: {"description": "invalid_token: no valid access token from a credential offer", **_PROTOCOL_ERROR}})
async def credential(request: Request, services: ServicesDep) -> Response:
    """The credential (OpenID4VCI 1.0 §8): ``credential_configuration_id`` and ``proofs.jwt`` (one key proof
    over a ``c_nonce``), with the access token from the pre-authorized code. The award comes back with its
    subject bound to the proof's ``did:key``, signed as the configuration says."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    body = await json_body(request) if await request.body() else None
    try:
        if not isinstance(body, dict):
            raise service.InvalidCredentialRequest("the credential request is a JSON object")
        answer = await run_in_threadpool(_in_session, services, lambda session: service.deliver(
            session, services, token.strip() if scheme.lower() == "bearer" else None, body))
    except WalletProtocolError as error:
        return protocol_error(error)
    return JSONResponse(answer, headers=_NO_STORE)


# -- offers ------------------------------------------------------------------------------------------------

Educator = Annotated[Principal, Depends(require(Role.EDUCATOR))]


@router.post("/api/v1/credentials/{credential_id}/wallet-offers", status_code=201, response_model=OfferRead,
             responses=responses(Forbidden, CredentialNotFound, CredentialRevoked, NotDeliverable))
def create_offer(credential_id: uuid.UUID, session: SessionDep, services: ServicesDep, educator: Educator) -> JSONResponse:
    """Offer one of your credentials to a wallet (educators): a link for the wallet (show it as a QR code)
    and a transaction code, valid ten minutes and redeemable once."""
    offer = service.create_offer(session, services, educator, credential_id)
    return JSONResponse(OfferRead.of(offer).model_dump(mode="json"), status_code=201, headers=_NO_STORE)


def _page(status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template("wallet_offer.html").render(**context)
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


@router.get("/credentials/{credential_id}/wallet", include_in_schema=False)
def offer_page(credential_id: uuid.UUID, services: ServicesDep) -> HTMLResponse:
    """The earner's page to send a credential to a wallet: first, sign in with the API key."""
    return _page(root=services.settings.public_base_url, credential_id=credential_id)


@router.post("/credentials/{credential_id}/wallet", include_in_schema=False)
async def offer_page_result(credential_id: uuid.UUID, request: Request, services: ServicesDep) -> HTMLResponse:
    """The offer as a QR code, the link for a wallet on this device, and the transaction code."""
    form = await request.form()
    api_key = form.get("api_key")
    root = services.settings.public_base_url
    try:
        offer = await run_in_threadpool(_in_session, services, lambda session: service.offer_with_api_key(
            session, services, api_key if isinstance(api_key, str) else "", credential_id))
    except Unauthenticated:
        return _page(400, root=root, credential_id=credential_id,
                     error="That API key is not valid. Paste the whole key, starting with mcb_.")
    except DomainError as error:
        return _page(domain_status(error), root=root, credential_id=credential_id, error=error.detail)
    qr = segno.make(offer.link, error="m").png_data_uri(scale=4, border=4)
    return _page(root=root, credential_id=credential_id, offer=offer, qr=qr,
                 expires=offer.expires_at.strftime("%H:%M UTC"))

