"""``/api/v1/award-imports``: an admin posts an award file (CSV); the run continues as a job whose resource says
how far it is, and gives the result CSV when done. The command line does the same (``mcbadge awards import``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from ..api.auth import require
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import responses
from ..blobs import clean_filename
from ..db.models import Role
from ..errors import Forbidden
from ..principal import Principal, TenantDisabled
from . import service
from .rows import COLUMNS, UnreadableAwardFile
from .schemas import ImportRead

router = APIRouter(prefix="/api/v1/award-imports", tags=["award imports"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def _result_url(request: Request, import_id: uuid.UUID) -> str:
    return str(request.url_for("award_import_result", import_id=import_id))


@router.post("", status_code=202, response_model=ImportRead,
             responses={202: {"description": "Accepted: the run continues; its resource (Location) says how far"},
                        **responses(Forbidden, TenantDisabled, UnreadableAwardFile)})
def start_import(
    request: Request, session: SessionDep, services: ServicesDep, principal: Admin,
    text: str = Body(media_type="text/csv", description=f"CSV with a header row naming the columns "
                                                        f"({', '.join(COLUMNS)}); see docs/OPERATIONS.md."),
    x_filename: Annotated[str | None, Header(description="The file's name, kept with the run.")] = None,
) -> JSONResponse:
    """Award credentials from an award file: each row is checked on its own, good rows are awarded, and the result
    CSV gives each row's credential or the reason it was refused. Rows awarded by an earlier run (the same file
    posted again) are not awarded twice; posting a file again is how an interrupted run is finished."""
    import_id = service.start(session, services, text, filename=clean_filename(x_filename), principal=principal)
    service.run_in_background(services, import_id, text)
    body = service.get_import(session, principal, import_id, result_url=_result_url(request, import_id))
    location = str(request.url_for("get_award_import", import_id=import_id))
    return JSONResponse(body.model_dump(mode="json"), status_code=202, headers={"Location": location})


@router.get("/{import_id}", response_model=ImportRead, responses=responses(Forbidden, service.UnknownImport))
def get_award_import(import_id: uuid.UUID, request: Request, session: SessionDep, principal: Admin) -> ImportRead:
    """How far a run is: its counts, progress, rate and time left; the link to its result CSV once done."""
    return service.get_import(session, principal, import_id, result_url=_result_url(request, import_id))


@router.get("/{import_id}/result", response_class=PlainTextResponse,
            responses={200: {"description": "The result CSV: a line per row", "content": {"text/csv": {}}},
                       **responses(Forbidden, service.UnknownImport, service.ImportNotFinished)})
def award_import_result(import_id: uuid.UUID, session: SessionDep, principal: Admin) -> PlainTextResponse:
    """The result CSV of a finished run (columns: row, status, educator_email, educator_external_id,
    microcredential, version, credential_id, credential_url, reason)."""
    return PlainTextResponse(service.result_csv(session, principal, import_id), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="award-import-{import_id}.csv"'})
