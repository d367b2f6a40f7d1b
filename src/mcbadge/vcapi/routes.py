"""The W3C VC API (VCALM) routes: issue, status, status lists, presentation verification.

``POST /credentials/verify`` is ``mcbadge.api.verification``'s. Access (:func:`_caller`): an OAuth 2.0 access
token with the route's ``mcbadge:vc.*`` scope (a client-credentials client an issuer admin created), or an API
key of the issuer's admin or integrator. ``GET /status-lists/{id}`` is public: verifiers fetch it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..api.bearer import TokenPrincipal, require_scopes
from ..api.client_limits import TooManyVerifications
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import PROBLEM_TYPE_BASE, problem_response, responses
from ..db.models import Role
from ..errors import Forbidden
from ..limits import LimitExceeded, check_credential
from ..oauth.scopes import VC_ISSUE, VC_STATUS, VC_VERIFY
from ..status import service as status_service
from ..status.routes import list_response
from . import service
from .schemas import (
    CreateStatusListRequest,
    IssueRequest,
    UpdateStatusRequest,
    VerifyPresentationRequest,
)

__all__ = ["router"]


router = APIRouter(tags=["vc-api"])


def _caller(scope: str) -> Callable[..., Awaitable[service.Caller]]:
    """The dependency admitting an OAuth 2.0 access token with ``scope`` (client credentials, for servers), or
    an API key of an admin or integrator of the issuer; either way the caller issues as that issuer."""
    guard = require_scopes(scope, api_key_roles=(Role.ADMIN, Role.INTEGRATOR))

    # A default, not an annotation: annotations are strings here and cannot name this local.
    async def dependency(principal: TokenPrincipal = Depends(guard)) -> service.Caller:  # noqa: B008 - async: no thread hop
        return service.Caller(principal.issuer_id, principal.issuer_slug, principal.person_id)

    dependency.__name__ = f"vc_api_caller_{scope.rsplit('.', 1)[-1]}"
    return dependency


Issuing = Annotated[service.Caller, Depends(_caller(VC_ISSUE))]
StatusManager = Annotated[service.Caller, Depends(_caller(VC_STATUS))]
Verifying = Annotated[service.Caller, Depends(_caller(VC_VERIFY))]

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@router.post("/credentials/issue", status_code=201,
             responses={**responses(Forbidden, service.InvalidCredential, service.DuplicateCredentialId,
                                    service.VcApiStatusListNotFound),
                        400: {"description": "The body is not JSON", **_PROBLEM}})
def issue_credential(body: IssueRequest, session: SessionDep, services: ServicesDep, caller: Issuing) -> JSONResponse:
    """Sign a credential as the caller's issuer (Data Integrity ``eddsa-rdfc-2022``, or a VC-JWT with
    ``options.format: "vc-jwt"``), adding ``options.credentialStatus`` entries from its status lists.

    The credential's ``issuer`` must be the issuer's DID: its did:web, or the did:key of its current key
    (``did:key:`` + the newest ``publicKeyMultibase`` of its DID document; no status entries from this
    service then). A ``credentialStatus`` in the credential is signed as given (the caller is authenticated
    as the issuer; the entry, and the list it names, are the caller's to keep: ``POST /credentials/status``
    does not change it), instead of ``options.credentialStatus``. VC 2.0 and VC 1.1 (``issuanceDate``) are
    accepted; every term and type must be defined by the credential's contexts (pinned ones; the W3C examples
    context only when the operator enables it).
    """
    return JSONResponse(service.issue(session, services, caller, body), status_code=201)


@router.post("/credentials/status",
             responses=responses(Forbidden, service.CredentialStatusNotFound, service.RevocationIsPermanent))
def update_credential_status(body: UpdateStatusRequest, session: SessionDep, services: ServicesDep,
                             caller: StatusManager) -> dict[str, Any]:
    """Revoke, suspend or reinstate a credential issued here: ``status: true`` (the default) sets its bit for
    ``credentialStatus.statusPurpose``, ``false`` clears it. A revocation cannot be cleared. The list is
    re-signed at once: the next fetch of it shows the change."""
    return service.update_status(session, services, caller, body)


@router.post("/status-lists", status_code=201,
             responses={**responses(Forbidden, service.StatusListExists), 201: {"description": "Created", "headers": {"Location": {
                 "description": "The URL of the status list credential", "schema": {"type": "string"}}}}})
def create_status_list(body: CreateStatusListRequest, session: SessionDep, services: ServicesDep,
                       caller: StatusManager) -> JSONResponse:
    """Create an empty Bitstring Status List for one purpose; credentials may then name it in
    ``options.credentialStatus.statusListCredential``."""
    url, signed = service.create_status_list(session, services, caller, body)
    return JSONResponse({"id": url, "verifiableCredential": signed}, status_code=201, headers={"Location": url})


@router.get("/status-lists/{list_id}", responses={
    200: {"description": "The signed BitstringStatusListCredential", "content": {"application/ld+json": {}}},
    304: {"description": "Not modified since the ETag given in If-None-Match"},
    **responses(status_service.VcApiStatusListNotFound, public=True)})
def get_status_list(list_id: Annotated[str, Path(max_length=64)], request: Request, session: SessionDep,
                    services: ServicesDep) -> Response:
    """A status list (public, cacheable for ``MCBADGE_STATUS_LIST_MAX_AGE`` seconds, five minutes by default;
    a change is in the very next response)."""
    return list_response(_signed_list(session, services, list_id), request,
                         max_age=services.settings.status_list_max_age)


def _signed_list(session: SessionDep, services: ServicesDep, list_id: str) -> dict[str, Any]:
    return status_service.signed_list(session, status_service.KeyedList(list_id), keystore=services.keystore,
                                      public_base_url=services.settings.public_base_url)


@router.post("/status-lists/{list_id}/publish", status_code=204,
             responses=responses(Forbidden, service.VcApiStatusListNotFound))
def publish_status_list(list_id: Annotated[str, Path(max_length=64)], session: SessionDep, services: ServicesDep,
                        caller: StatusManager) -> Response:
    """Publish the list now. Lists are re-signed with every change, so this only makes sure it is signed
    (the W3C Bitstring Status List suite calls it after each change)."""
    _signed_list(session, services, list_id)
    return Response(status_code=204)


@router.post("/presentations/verify", responses={
    200: {"description": "Verified: the presentation and every credential in it"},
    400: {"description": "The body is not JSON", **_PROBLEM},
    422: {"description": "Not verified (the result says why), or not a presentation", **_PROBLEM},
    **responses(Forbidden, LimitExceeded, TooManyVerifications)})
async def verify_presentation(body: VerifyPresentationRequest, services: ServicesDep,
                              caller: Verifying) -> JSONResponse:
    """Verify a presentation: its proof (``eddsa-rdfc-2022``, purpose ``authentication``, by a key the holder's
    DID lists for authentication; ``options.challenge`` and ``options.domain`` must match) and each credential
    in it (proof, issuer key, context, validity, status). An unsigned presentation has its credentials verified
    and a warning that its holder is not.

    Like ``POST /credentials/verify``: 200 with the result when verified, 422 with the same result as a problem
    detail when not, so a client that only reads the status cannot take a failure for a success.
    """
    for member in ("verifiablePresentation", "presentation"):
        check_credential(getattr(body, member), at=f"/{member}")  # before any expensive step (mcbadge.limits)
    result = await run_in_threadpool(service.verify_presentation, services, body)
    if result["verified"]:
        return JSONResponse(result)
    reasons = [p["detail"] for p in result["problemDetails"]] + [
        f"credential {i + 1}: {p['detail']}" for i, r in enumerate(result["results"]["credentials"])
        for p in r["problemDetails"]]
    return problem_response(422, "Presentation not verified", "; ".join(reasons) or "not verified",
                            PROBLEM_TYPE_BASE + "presentation-not-verified", **result)
