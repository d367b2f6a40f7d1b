"""Scoring quality over HTTP.

* ``GET /api/v1/quality/report`` (admins): the reliability and turnaround figures as JSON (the default), CSV
  (``Accept: text/csv`` or ``format=csv``) or a page with charts (``Accept: text/html`` or ``format=html``).
* ``POST /api/v1/quality/statements`` (admins) publishes a signed quality statement of one micro-credential;
  ``GET /api/v1/quality/statements`` lists them.
* Public: ``/issuers/{slug}/quality-statements/{id}`` (one statement, by the id its credential carries),
  ``/issuers/{slug}/quality-statements?microcredential=<key>`` (the newest), and ``/contexts/quality/v1`` (the
  JSON-LD context that defines their terms, the pinned bytes).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from ..api.auth import require
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import responses
from ..db.models import Role
from ..errors import Forbidden
from ..principal import Principal
from ..vc.contexts import QUALITY_V1, pinned_bytes
from ..web.negotiation import ReportFormat, report_format
from ..web.routes import quality_page
from . import service
from .schemas import QualityReport, StatementPublish, StatementRead
from .table import csv_text

__all__ = ["CONTEXT_PATH", "public_router", "router"]

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])
public_router = APIRouter(tags=["quality"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Slug = Annotated[str, Path(max_length=64)]
KeyQuery = Annotated[str | None, Query(alias="microcredential", min_length=1, max_length=100,
                                       description="One micro-credential key (default: every one).")]
From = Annotated[date | None, Query(alias="from", description="First day (YYYY-MM-DD); default: 365 days before `to`.")]
To = Annotated[date | None, Query(alias="to", description="Last day, included (YYYY-MM-DD); default: today (UTC).")]
FormatParam = Annotated[ReportFormat | None, Query(alias="format", description="json, csv or html; overrides "
                                                                                 "the Accept header.")]

CONTEXT_PATH = "/contexts/quality/v1"
"""Where this service publishes ``QUALITY_V1`` (a deployment points https://w3id.org/mcbadge/quality/v1 here)."""

_PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Accept, Authorization"}


@router.get("/report", response_model=QualityReport, responses={
    200: {"description": "The figures: JSON, CSV (one row per cell) or an HTML page with charts",
          "content": {"text/csv": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}}}},
    **responses(Forbidden, service.InvalidPeriod)})
def quality_report(request: Request, session: SessionDep, admin: Admin, start: From = None, end: To = None,
                   key: KeyQuery = None, format: FormatParam = None) -> Response:
    """Reliability and turnaround of the issuer's scoring (admins), per micro-credential, criterion, assessor and
    month: exact and adjacent agreement and Cohen's weighted kappa (quadratic) between the two independent
    assessors of double-scored submissions, not-yet rates per criterion, turnaround from submission to decision
    against the issuer's service level (`quality_sla_days`) and the submissions overdue now. Figures of cells
    with fewer submissions than the issuer's `quality_min_cell` are null (`suppressed`)."""
    last = end or datetime.now(timezone.utc).date()
    first = start or last - timedelta(days=365)
    chosen = report_format(request, format)
    found = service.report(session, admin, first, last, key)
    if chosen == "csv":
        name = f"quality-report-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(csv_text(found), media_type="text/csv; charset=utf-8",
                        headers={**_PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'})
    if chosen == "html":
        params = {"from": first.isoformat(), "to": last.isoformat(), **({"microcredential": key} if key else {})}
        page = quality_page(request, found, json_url=str(request.url.replace_query_params(**params, format="json")),
                            csv_url=str(request.url.replace_query_params(**params, format="csv")))
        page.headers.update(_PRIVATE)
        return page
    return Response(found.model_dump_json(), media_type="application/json", headers=_PRIVATE)


@router.post("/statements", status_code=201, response_model=StatementRead,
             responses=responses(Forbidden, service.InvalidPeriod, service.UnknownMicroCredential))
def publish_statement(body: StatementPublish, session: SessionDep, services: ServicesDep, admin: Admin) -> StatementRead:
    """Publish a signed quality statement of one micro-credential (admins) for a period that is over (default:
    the last full calendar quarter): assessors qualified, double-scoring rate, agreement and weighted kappa
    overall and per criterion, not-yet rates, median turnaround. Figures from cells below the minimum are
    withheld. The newest statement is shown beside the micro-credential's credentials."""
    return service.publish_statement(session, services, admin, body)


@router.get("/statements", response_model=list[StatementRead], responses=responses(Forbidden))
def list_statements(session: SessionDep, services: ServicesDep, admin: Admin, key: KeyQuery = None
                    ) -> list[StatementRead]:
    """The issuer's quality statements, newest first (admins)."""
    return service.statements_of(session, services, admin, key)


@router.post("/statements/{statement_id}/withdraw", response_model=StatementRead,
             responses=responses(Forbidden, service.StatementNotFound, service.StatementNotWithdrawable))
def withdraw_statement(statement_id: uuid.UUID, session: SessionDep, services: ServicesDep, admin: Admin
                       ) -> StatementRead:
    """Withdraw a quality statement whose figures were wrong (admins): its bit in the issuer's revocation list
    is set, so it no longer verifies anywhere, and the newest statement not withdrawn is shown in its place."""
    return service.withdraw_statement(session, services, admin, statement_id)


_CACHE = {"Cache-Control": "public, max-age=300"}


_STATEMENT: dict[int | str, dict[str, Any]] = {200: {"description": "The signed statement (a VC 2.0 credential), exactly as issued",
                    "content": {"application/ld+json": {"schema": {"type": "object"}}}}}


@public_router.get("/issuers/{slug}/quality-statements/{statement_id}", response_class=JSONResponse,
                   responses={**_STATEMENT, **responses(service.StatementNotFound, public=True)})
def statement(slug: Slug, statement_id: uuid.UUID, session: SessionDep) -> JSONResponse:
    """One quality statement, by the id its credential carries."""
    return JSONResponse(service.statement_document(session, slug, statement_id), media_type="application/ld+json",
                        headers=_CACHE)


@public_router.get("/issuers/{slug}/quality-statements", response_class=JSONResponse,
                   responses={**_STATEMENT, **responses(service.StatementNotFound, public=True)})
def latest_statement(slug: Slug, session: SessionDep,
                     key: Annotated[str, Query(alias="microcredential", min_length=1, max_length=100)]) -> JSONResponse:
    """The newest quality statement of one micro-credential (by its key)."""
    return JSONResponse(service.latest_statement(session, slug, key), media_type="application/ld+json",
                        headers=_CACHE)


_CONTEXT = pinned_bytes(QUALITY_V1)


@public_router.get(CONTEXT_PATH, response_class=Response,
                   responses={200: {"content": {"application/ld+json": {}},
                                    "description": "The pinned context, byte for byte"}})
def quality_context() -> Response:
    """The JSON-LD context of quality statements (https://w3id.org/mcbadge/quality/v1), exactly the pinned bytes
    the library signs and verifies with; it never changes."""
    return Response(_CONTEXT, media_type="application/ld+json",
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})
