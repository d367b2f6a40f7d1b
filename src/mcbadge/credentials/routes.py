"""Credentials over HTTP: award (approve), read, revoke, suspend, reinstate, visibility, and the public JSON.

Tenant from the API key: another issuer's objects are 404; a role that may not act is 403.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from sqlalchemy.orm import Session

from ..api.auth import require
from ..api.deps import PageDep, ServicesDep, SessionDep
from ..api.idempotency import (
    IdempotencyInFlight,
    IdempotencyKey,
    IdempotencyKeyReused,
    run_idempotent,
)
from ..api.problems import responses
from ..blobs import existing_blob_path
from ..db.models import Credential, Role
from ..errors import Forbidden, Invalid
from ..features import Page
from ..principal import Principal
from ..services import Services
from ..vc.status_list import VC_V2_CONTEXT
from ..web.negotiation import wants_html
from ..web.routes import badge_page
from ..stacks import service as stacks
from . import service
from .badge_image import baked_badge
from .schemas import (
    AwardRequest,
    CredentialRead,
    RenewRequest,
    RevokeRequest,
    SuspendRequest,
    VisibilityUpdate,
)

__all__ = ["public_router", "router"]

_READ_ERRORS = (Forbidden, service.CredentialNotFound)
_CHANGE_ERRORS = (Forbidden, service.CredentialNotFound, Invalid)


Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Reader = Annotated[Principal, Depends(require(Role.ADMIN, Role.INTEGRATOR, Role.EDUCATOR))]
Educator = Annotated[Principal, Depends(require(Role.EDUCATOR))]

router = APIRouter(prefix="/api/v1", tags=["credentials"])
public_router = APIRouter(tags=["credentials"])


def _read(session: Session, services: Services, principal: Principal, credentials: list[Credential]) -> list[CredentialRead]:
    seqs = service.status_list_seqs(session, principal.issuer_id)
    renewed = service.renewals(session, [c.id for c in credentials])
    base = services.settings.public_base_url
    return [
        CredentialRead.of(c, public_base_url=base, slug=principal.issuer_slug,
                          revocation_seq=seqs[c.revocation_list_id],
                          suspension_seq=seqs[c.suspension_list_id] if c.suspension_list_id is not None else None,
                          renewed_by=renewed.get(c.id))
        for c in credentials
    ]


@router.post(
    "/submissions/{submission_id}/award",
    status_code=201,
    response_model=CredentialRead,
    responses={200: {"description": "Already awarded: the existing credential", "model": CredentialRead},
               **responses(Forbidden, service.SubmissionNotFound, service.NotPassed, IdempotencyInFlight,
                           IdempotencyKeyReused, Invalid)},
)
def award_submission(
    submission_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    principal: Admin,
    idempotency_key: IdempotencyKey = None,
    body: AwardRequest | None = None,
) -> JSONResponse:
    """Approve a passing submission: the signed credential (201), or the one already issued for it (200).

    Safe to retry: one credential per submission whatever happens. An ``Idempotency-Key`` replays the first
    response to the same request, refuses (422) its reuse for another body, and answers 409 while the first
    request is still running.
    """
    body = body or AwardRequest()

    def handler() -> tuple[int, Any]:
        outcome = stacks.award_component(session, services, submission_id, approved_by=principal.person_id,
                                         format=body.format, issuer_id=principal.issuer_id)
        [read] = _read(session, services, principal, [outcome.credential])
        return (201 if outcome.created else 200), read

    return run_idempotent(services, principal, request, idempotency_key, body.model_dump(), handler)


def _utc(value: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC (the service keeps every time in UTC)."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


@router.get("/credentials", response_model=Page[CredentialRead], responses=responses(Forbidden))
def list_credentials(
    session: SessionDep, services: ServicesDep, principal: Reader, page: PageDep,
    educator_id: Annotated[uuid.UUID | None, Query(description="Only this educator's credentials.")] = None,
    issued_from: Annotated[datetime | None, Query(description="Issued at or after this time (ISO 8601; a date "
                                                            "means its midnight UTC).")] = None,
    issued_before: Annotated[datetime | None, Query(description="Issued before this time.")] = None,
) -> Page[CredentialRead]:
    """The issuer's credentials, newest first (an educator sees only their own); filtered by educator and by
    when they were issued."""
    rows, total = service.list_credentials(session, principal, page, educator_id=educator_id,
                                           issued_from=_utc(issued_from), issued_before=_utc(issued_before))
    return Page(items=_read(session, services, principal, list(rows)), total=total, limit=page.limit,
                offset=page.offset)


@router.get("/credentials/{credential_id}", response_model=CredentialRead, responses=responses(*_READ_ERRORS))
def get_credential(credential_id: uuid.UUID, session: SessionDep, services: ServicesDep,
                   principal: Reader) -> CredentialRead:
    """One credential (an educator may read only their own)."""
    credential = service.get_credential(session, principal, credential_id)
    return _read(session, services, principal, [credential])[0]


@router.post("/credentials/{credential_id}/renew", status_code=201, response_model=CredentialRead,
             responses={200: {"description": "Renewed already by this attempt: the renewal", "model": CredentialRead},
                        **responses(Forbidden, service.CredentialNotFound, service.SubmissionNotFound,
                                    service.NotARenewal, service.NotPassed, service.AlreadyRenewed)})
def renew_credential(credential_id: uuid.UUID, body: RenewRequest, session: SessionDep, services: ServicesDep,
                     principal: Admin) -> JSONResponse:
    """Renew a credential: award the attempt that re-assessed it (the educator started it with ``renewal_of``; it
    passed). The new credential (201) names the old one in ``renewal_of``; the old one stays as it is, visible on
    its page with a link to its renewal (and marked expired once it is)."""
    outcome = stacks.award_renewal(session, services, credential_id=credential_id, submission_id=body.submission_id,
                                   approved_by=principal.person_id, issuer_id=principal.issuer_id)
    [read] = _read(session, services, principal, [outcome.credential])
    return JSONResponse(read.model_dump(mode="json"), status_code=201 if outcome.created else 200)


@router.post("/credentials/{credential_id}/revoke", response_model=CredentialRead,
             responses=responses(*_CHANGE_ERRORS, service.AlreadyRevoked))
def revoke(credential_id: uuid.UUID, body: RevokeRequest, session: SessionDep, services: ServicesDep,
           principal: Admin) -> CredentialRead:
    """Revoke for good. The revocation list is re-signed at once: the next fetch of it says revoked. A
    designation that needed this credential (and has no substitute) falls in the same transaction: revoked
    (a new one is awarded when its stack completes again), or suspended for an issuer that turned suspension
    on."""
    credential = stacks.revoke_credential(session, services, issuer_id=principal.issuer_id, actor_id=principal.person_id,
                                credential_id=credential_id, reason=body.reason)
    return _read(session, services, principal, [credential])[0]


@router.post("/credentials/{credential_id}/suspend", response_model=CredentialRead,
             responses=responses(*_CHANGE_ERRORS, service.CredentialRevoked, service.SuspensionOff,
                                 service.NotSuspendable))
def suspend(credential_id: uuid.UUID, session: SessionDep, services: ServicesDep, principal: Admin,
            body: SuspendRequest | None = None) -> CredentialRead:
    """Suspend (reversible). Suspending a suspended credential changes nothing. Only for an issuer that turned
    suspension on (``suspension_status``, off by default: 409 ``suspension-off``), and a credential issued
    since (409 ``not-suspendable``)."""
    credential = service.suspend(session, services, issuer_id=principal.issuer_id, actor_id=principal.person_id,
                                 credential_id=credential_id, reason=body.reason if body else None)
    return _read(session, services, principal, [credential])[0]


@router.post("/credentials/{credential_id}/reinstate", response_model=CredentialRead,
             responses=responses(*_CHANGE_ERRORS, service.CredentialRevoked, service.SuspensionOff,
                                 service.NotSuspendable))
def reinstate(credential_id: uuid.UUID, session: SessionDep, services: ServicesDep, principal: Admin,
              body: SuspendRequest | None = None) -> CredentialRead:
    """Lift a suspension. A revoked credential stays revoked (409); one without a suspension entry has
    nothing to lift (409)."""
    credential = service.reinstate(session, services, issuer_id=principal.issuer_id, actor_id=principal.person_id,
                                   credential_id=credential_id, reason=body.reason if body else None)
    return _read(session, services, principal, [credential])[0]


@router.patch("/credentials/{credential_id}/visibility", response_model=CredentialRead,
              responses=responses(*_CHANGE_ERRORS))
def set_visibility(credential_id: uuid.UUID, body: VisibilityUpdate, session: SessionDep, services: ServicesDep,
                   principal: Educator) -> CredentialRead:
    """The earner chooses: is the credential public, and are its evidence links shown on its page?"""
    credential = service.set_visibility(session, issuer_id=principal.issuer_id, educator_id=principal.person_id,
                                        credential_id=credential_id, public=body.public,
                                        show_evidence=body.show_evidence)
    return _read(session, services, principal, [credential])[0]


# {credential_id:uuid}: /credentials/verify, /issue and /status are the VC API's paths (GET there is 405).
@public_router.get(
    "/credentials/{credential_id:uuid}",
    responses={200: {"content": {"application/ld+json": {}, "text/html": {}}},
               **responses(service.CredentialNotFound, public=True)},
)
def public_credential(credential_id: uuid.UUID, session: SessionDep, request: Request) -> Response:
    """The credential as issued, for anyone holding its URL, unless its earner made it private.

    A VC-JWT credential is served as an ``EnvelopedVerifiableCredential`` (VC 2.0 §4.13). A browser
    (``Accept: text/html``) gets the public badge page instead (``mcbadge.web``); ``?format=json`` forces JSON.
    """
    if wants_html(request):
        return badge_page(request, credential_id)
    credential = service.public_credential(session, credential_id)
    if credential.jwt:
        document: dict[str, Any] = {
            "@context": [VC_V2_CONTEXT],
            "id": f"data:application/vc+jwt,{credential.jwt}",
            "type": "EnvelopedVerifiableCredential",
        }
    else:
        document = credential.document or {}
    return JSONResponse(document, media_type="application/ld+json",
                        headers={"Cache-Control": "no-cache", "Vary": "Accept"})


@public_router.get(
    "/credentials/{credential_id}/evidence/{evidence_id}",
    responses={200: {"description": "The evidence file or reflection"}, 302: {"description": "An evidence link"},
               **responses(service.EvidenceNotPublic, public=True)},
)
def public_evidence(credential_id: uuid.UUID, evidence_id: uuid.UUID, session: SessionDep,
                    services: ServicesDep) -> Response:
    """One piece of the evidence a credential cites, only if its earner made the evidence public.

    A file comes back as a download (its SHA-256 in ``Repr-Digest``, the digest the credential signs), a
    link as a redirect, a reflection as text.
    """
    item = service.public_evidence(session, credential_id, evidence_id)
    blob = item.blob
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"}
    if item.kind == "url" and item.url and item.url.lower().startswith(("https://", "http://")):
        return RedirectResponse(item.url, status_code=302, headers=headers)
    if item.kind == "reflection" and item.text is not None:
        return PlainTextResponse(item.text, headers=headers)
    if item.kind == "file" and blob is not None:
        name = item.filename or blob.sha256
        return FileResponse(
            existing_blob_path(services.blob_dir, blob.sha256), media_type=blob.media_type,
            headers={**headers,
                     # A download in a sandbox: an uploaded HTML or SVG file must not run in this origin.
                     "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                     "Content-Security-Policy": "sandbox; default-src 'none'",
                     "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(blob.sha256)).decode()}:"},
        )
    raise service.EvidenceNotPublic(f"evidence {evidence_id} cannot be shown")


def _baked_response(session: Session, credential_id: str, kind: str) -> Response:
    credential = service.public_credential(session, credential_id)
    document = dict(credential.document or {})
    data = baked_badge(credential.jwt or document, document, kind)
    media = "image/png" if kind == "png" else "image/svg+xml"
    return Response(data, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="badge-{credential.id}.{kind}"',
        "Cache-Control": "no-cache",
    })


@public_router.get("/credentials/{credential_id}/badge.png", response_class=Response,
                   responses={200: {"content": {"image/png": {}}},
                              **responses(service.CredentialNotFound, public=True)})
def baked_png(credential_id: str, session: SessionDep) -> Response:
    """The credential baked into the badge image (PNG, Open Badges 3.0 baking), for anyone holding its URL,
    unless its earner made it private."""
    return _baked_response(session, credential_id, "png")


@public_router.get("/credentials/{credential_id}/badge.svg", response_class=Response,
                   responses={200: {"content": {"image/svg+xml": {}}},
                              **responses(service.CredentialNotFound, public=True)})
def baked_svg(credential_id: str, session: SessionDep) -> Response:
    """The credential baked into an SVG badge with the achievement's name (Open Badges 3.0 baking)."""
    return _baked_response(session, credential_id, "svg")
