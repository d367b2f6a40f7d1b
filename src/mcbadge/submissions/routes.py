"""``/api/v1/submissions``: educators' attempts and their evidence."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import FileResponse

from .. import blobs
from ..api.auth import CurrentPrincipal, require
from ..api.deps import PageDep, ServicesDep, SessionDep
from ..api.problems import responses
from ..catalog.schemas import Key
from ..db.models import Role, SubmissionStatus
from ..errors import Forbidden
from ..features import Page
from ..principal import Principal
from . import service
from .schemas import (
    EvidenceChanges,
    EvidenceCreate,
    EvidenceRead,
    SubmissionCreate,
    SubmissionRead,
    SubmissionSummary,
)

router = APIRouter(prefix="/api/v1/submissions", tags=["submissions"])

UPLOAD_PATHS = r"/api/v1/submissions/[^/]+/evidence/files"
"""Paths whose bodies are files: limited by ``max_upload_bytes`` and streamed (see api.problems.BodySizeLimit)."""

Educator = Annotated[Principal, Depends(require(Role.EDUCATOR))]
ContentReader = Annotated[Principal, Depends(require(Role.EDUCATOR, Role.ASSESSOR, Role.ADMIN))]
_DRAFT_ERRORS = (Forbidden, service.UnknownSubmission, service.NotDraft)


@router.post("", status_code=201, response_model=SubmissionRead,
             responses=responses(Forbidden, service.UnknownMicroCredentialForSubmission, service.NotLatestVersion,
                                 service.AttemptOpen, service.NothingToCarryForward))
def create_submission(body: SubmissionCreate, session: SessionDep, educator: Educator) -> SubmissionRead:
    """Start a new attempt (educators) at the newest published version of a micro-credential. Allowed when
    there is no previous attempt at its key, or the previous one ended 'not yet' or was withdrawn. After
    'not yet', ``carry_forward`` starts the draft with the previous attempt's evidence (files by digest)."""
    return service.create_submission(session, educator, body)


@router.get("", response_model=Page[SubmissionSummary], responses=responses())
def list_submissions(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep,
    status: Annotated[SubmissionStatus | None, Query(description="Only submissions in this status.")] = None,
    microcredential_key: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[SubmissionSummary]:
    """Submissions, newest first: educators see their own, assessors those assigned to them, admins and
    integrators all of their issuer's."""
    return service.list_submissions(session, principal, page, status=status, microcredential_key=microcredential_key)


@router.get("/{submission_id}", response_model=SubmissionRead, responses=responses(service.UnknownSubmission))
def get_submission(submission_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> SubmissionRead:
    """One attempt with its evidence. Educators see the feedback of every assessment once the outcome
    stands; assessors see their own assessment (lead assessors all); admins and integrators all."""
    return service.get_submission(session, principal, submission_id)


@router.get("/{submission_id}/changes", response_model=EvidenceChanges,
            responses=responses(service.UnknownSubmission))
def evidence_changes(submission_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> EvidenceChanges:
    """What changed in this attempt's evidence since the educator's previous attempt at the micro-credential
    (anyone who may see the attempt, its assessors first): added, kept and removed items by digest, and the
    feedback the previous attempt received."""
    return service.evidence_changes(session, principal, submission_id)


@router.post("/{submission_id}/evidence", status_code=201, response_model=EvidenceRead,
             responses=responses(*_DRAFT_ERRORS, service.UnknownRequirement, service.WrongEvidenceKind,
                                 service.BadUrl, service.WordCount))
def add_evidence(submission_id: uuid.UUID, body: EvidenceCreate, session: SessionDep,
                 educator: Educator) -> EvidenceRead:
    """Add a URL or a written reflection to a draft (the submitting educator). Reflections are checked
    against the requirement's word limits; URLs must be http(s)."""
    return service.add_evidence(session, educator, submission_id, body)


@router.post(
    "/{submission_id}/evidence/files", status_code=201, response_model=EvidenceRead,
    responses={**responses(*_DRAFT_ERRORS, service.UnknownRequirement, service.WrongEvidenceKind,
                           blobs.BadMediaType),
               413: {"description": "The file is larger than the upload limit (`MCBADGE_MAX_UPLOAD_BYTES`).",
                     "content": {"application/problem+json": {}}}},
    openapi_extra={"requestBody": {"required": True, "description": "The file's bytes, as they are.",
                                   "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def upload_file(
    submission_id: uuid.UUID, request: Request, session: SessionDep, educator: Educator, services: ServicesDep,
    requirement: Annotated[Key, Query(description="The key of the file requirement this file answers.")],
    x_filename: Annotated[str | None, Header(max_length=1024, description="The file's name (percent-encoded UTF-8 allowed).")] = None,
) -> EvidenceRead:
    """Upload a file as evidence (the submitting educator): the raw bytes as the body, their media type as
    ``Content-Type``, the name in ``X-Filename``. Files are stored once per SHA-256 (the same bytes twice
    are one stored file) up to ``MCBADGE_MAX_UPLOAD_BYTES``."""
    return await service.upload_file_evidence(session, educator, services, submission_id, requirement,
                                              request.stream(), request.headers.get("content-type"), x_filename)


# {evidence_id:uuid}: .../evidence/files is the upload route's path (DELETE there is 405, not a bad id).
@router.delete("/{submission_id}/evidence/{evidence_id:uuid}", status_code=204,
               responses=responses(*_DRAFT_ERRORS, service.UnknownEvidence))
def delete_evidence(submission_id: uuid.UUID, evidence_id: uuid.UUID, session: SessionDep,
                    educator: Educator) -> Response:
    """Remove an evidence item from a draft (the submitting educator)."""
    service.delete_evidence(session, educator, submission_id, evidence_id)
    return Response(status_code=204)


@router.get("/{submission_id}/evidence/{evidence_id}/content",
            response_class=FileResponse,
            responses={**responses(Forbidden, service.UnknownSubmission, service.UnknownEvidence),
                       200: {"description": "The file's bytes, with their recorded media type.",
                             "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}})
def evidence_content(submission_id: uuid.UUID, evidence_id: uuid.UUID, session: SessionDep,
                     reader: ContentReader, services: ServicesDep) -> FileResponse:
    """The bytes of an evidence file (the educator, assigned assessors, admins), always as an attachment.
    ``Repr-Digest`` carries their SHA-256, the digest a credential will name."""
    content = service.evidence_content(session, reader, services, submission_id, evidence_id)
    digest = base64.b64encode(bytes.fromhex(content.sha256)).decode()
    name = content.filename or content.sha256
    return FileResponse(
        content.path, media_type=content.media_type,
        headers={
            # Served as a download in a sandbox: an uploaded HTML or SVG file must not run in the API's origin.
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Repr-Digest": f"sha-256=:{digest}:",
            "ETag": f'"{content.sha256}"',
            "Cache-Control": "private, max-age=0",
        },
    )


@router.post("/{submission_id}/submit", response_model=SubmissionRead,
             responses=responses(*_DRAFT_ERRORS, service.MissingEvidence))
def submit(submission_id: uuid.UUID, session: SessionDep, educator: Educator) -> SubmissionRead:
    """Hand a draft in for assessment (the submitting educator): every required requirement needs evidence."""
    return service.submit(session, educator, submission_id)
