"""The renewal report over HTTP: ``GET /api/v1/me/renewal-report`` (the educator's own) and
``GET /api/v1/educators/{id}/renewal-report`` (the educator, or an admin of their issuer), as JSON (the
default), CSV (``Accept: text/csv`` or ``format=csv``) or a printable page (``Accept: text/html`` or
``format=html``; ``mcbadge.web``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ..api.auth import CurrentPrincipal
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import responses
from ..errors import Forbidden
from ..principal import Principal
from ..services import Services
from ..web.negotiation import ReportFormat, report_format
from ..web.routes import renewal_page
from . import service
from .schemas import RenewalQuery, RenewalReportRead
from .table import csv_text

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["renewal"])

Format = ReportFormat  # json, csv or html

_QUERY_DOC = {
    "state": "The state agency's DID: one of MCBADGE_TRUSTED_STATES, or a state agency on this service.",
    "area": "The endorsement area, as the state's registry names it.",
    "from": "First day of the renewal cycle (YYYY-MM-DD).",
    "to": "Last day of the renewal cycle (YYYY-MM-DD), not before `from`.",
    "format": "json, csv or html; overrides the Accept header.",
}
State = Annotated[str, Query(min_length=1, max_length=500, description=_QUERY_DOC["state"])]
Area = Annotated[str, Query(min_length=1, max_length=500, description=_QUERY_DOC["area"])]
From = Annotated[date, Query(alias="from", description=_QUERY_DOC["from"])]
To = Annotated[date, Query(alias="to", description=_QUERY_DOC["to"])]
FormatParam = Annotated[Format | None, Query(alias="format", description=_QUERY_DOC["format"])]

_RESPONSES = {
    200: {"description": "The report: JSON, CSV (one row per credential) or a printable HTML page",
          "content": {"text/csv": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}}}},
    **responses(Forbidden, service.UnknownEducator, service.UnknownState, service.InvalidCycle,
                service.UnknownEndorsementArea),
}


def _respond(request: Request, session: SessionDep, services: Services, principal: Principal,
             educator_id: uuid.UUID | None, query: RenewalQuery, forced: Format | None) -> Response:
    chosen = report_format(request, forced)
    report = service.report_for(session, services, principal, educator_id, query)
    private = {"Cache-Control": "private, no-store", "Vary": "Accept, Authorization"}
    if chosen == "csv":
        name = f"renewal-report-{query.start.isoformat()}-{query.end.isoformat()}.csv"
        return Response(csv_text(report), media_type="text/csv; charset=utf-8",
                        headers={**private, "Content-Disposition": f'attachment; filename="{name}"'})
    if chosen == "html":
        page = renewal_page(request, report)
        page.headers.update(private)
        return page
    return Response(report.model_dump_json(), media_type="application/json", headers=private)


@router.get("/me/renewal-report", response_model=RenewalReportRead, responses=_RESPONSES)
def my_renewal_report(request: Request, session: SessionDep, services: ServicesDep, principal: CurrentPrincipal,
                      state: State, area: Area, start: From, end: To, format: FormatParam = None) -> Response:
    """The caller's renewal report (educators): for a state, an endorsement area and a renewal cycle, which of
    their credentials count, which do not and why, and the total against the requirement.

    Their credentials are those awarded here and those they added to their record (other issuers'); each is
    verified now (signature, status, validity) and counts only if it was issued to them, awarded within the
    cycle, and recognised by the state (or through its reciprocity) for the area by an entry effective on
    the award date. An achievement counts once."""
    return _respond(request, session, services, principal, None, RenewalQuery(state=state, area=area, start=start,
                                                                               end=end), format)


@router.get("/educators/{educator_id}/renewal-report", response_model=RenewalReportRead, responses=_RESPONSES)
def educator_renewal_report(educator_id: uuid.UUID, request: Request, session: SessionDep, services: ServicesDep,
                            principal: CurrentPrincipal, state: State, area: Area, start: From, end: To,
                            format: FormatParam = None) -> Response:
    """An educator's renewal report, for the educator themself or an admin of their issuer (see
    ``GET /api/v1/me/renewal-report``)."""
    return _respond(request, session, services, principal, educator_id,
                    RenewalQuery(state=state, area=area, start=start, end=end), format)
