"""The pages: ``GET /verify`` (the verification form), ``POST /verify/report`` (its result), the HTML
branch of ``GET /credentials/{id}`` (:func:`badge_page`, called by the credentials route when the client
asks for HTML), and the printable renewal report (:func:`renewal_page`, called by the renewal routes).

Paths. People type and share ``/verify``; the page is served there on GET. The JSON verification API keeps
``POST /verify`` and ``POST /credentials/verify``; the form posts to ``/verify/report`` so a browser never
meets the API and an API client never gets a page, whatever it sends as ``Accept``.
"""

from __future__ import annotations

from dataclasses import replace

import logging
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from ..api.problems import domain_status
from ..catalog.service import UnknownMicroCredential
from ..errors import DomainError
from ..recognition.service import recognition_for_report
from ..quality.labels import quality_label
from ..quality.schemas import QualityReport
from ..renewal.schemas import RenewalReportRead
from ..services import Services
from ..vc.verify import Outcome
from ..verification import inputs
from ..verification.form import VerificationForm, read_form
from ..verification.inputs import GivenCredential
from ..credentials.certificate import Certificate, render_certificate
from ..verification.reading import CredentialView, credential_view
from ..verification.service import evidence_file_results, verify_given
from . import service
from .negotiation import wants_html
from .service import PageInputError
from .quality_view import CHART_CSP, printed_quality
from .renewal_view import printed_report
from .view import evidence_file_rows, report_view

__all__ = ["STATIC_DIR", "badge_page", "quality_page", "renewal_page", "router"]

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

# No script, no frame, nothing fetched from elsewhere: the pages show strangers' credentials.
_SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The verification page alone runs a script of this service: it hashes evidence files in a Web Worker (same
# origin; the worker runs under its own response's policy, where hash-wasm compiles its WebAssembly), so that only
# digests are sent. Nothing else changes: no inline script, nothing from elsewhere.
_VERIFY_PAGE_HEADERS = {"Content-Security-Policy": (
    "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")}
_MAX_TEXT_CHARS = 512 * 1024

router = APIRouter()
# The pages are not part of the API's document, but for GET /verify: POST /verify is the API's, and a document
# that listed POST alone would say GET is not allowed there (OPTIONS and 405 list both). The others say
# include_in_schema=False.


def _services(request: Request) -> Services:
    return request.app.state.services


def _page(request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None,
          **context: Any) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    form_limit = _size_text(_services(request).settings.max_verify_bytes)
    return templates.TemplateResponse(
        request, template, {"static": f"{root}/assets", "root": root, "form_limit": form_limit, **context},
        status_code=status, headers={**_SECURITY_HEADERS, **(headers or {})},
    )


def _size_text(size: int) -> str:
    # The whole form (credential and evidence files) is one request body, capped by max_verify_bytes.
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
def home(request: Request) -> RedirectResponse:
    """The site's own address leads to what a visitor comes for, checking a badge (integrators read ``/docs``),
    rather than a 404 for the first address anyone types."""
    return RedirectResponse(f"{request.scope.get('root_path', '')}/verify", status_code=303)


@router.get("/verify", response_class=HTMLResponse, tags=["pages"],
            responses={200: {"description": "The verification page (HTML)"}})
def verify_form(request: Request) -> HTMLResponse:
    """The verification page: paste, upload or give a URL."""
    return _page(request, "verify.html", headers=_VERIFY_PAGE_HEADERS, form={})


def _credential_input(form: VerificationForm) -> GivenCredential:
    if not form.given:
        raise PageInputError("Give a credential: paste it, upload its file or badge image, or enter its address.", 400)
    if form.given > 1:
        raise PageInputError("Give one credential at a time: paste it, upload it, or enter its address "
                             "(more than one was filled in).", 400)
    if form.texts and len(form.texts[0][1]) > _MAX_TEXT_CHARS:
        raise PageInputError("The pasted text is too long to be a credential.", 413)
    return form.credential()


def _sentence(text: str) -> str:
    """A domain error's detail ("the pasted text is not valid JSON: ...") as a sentence on the page."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


@router.post("/verify/report", response_class=HTMLResponse, include_in_schema=False)
async def verify_report(request: Request) -> HTMLResponse:
    """Verify what the form gave and show the report with the credential's content."""
    form_values: dict[str, str] = {}
    try:
        form = await read_form(request, _services(request).settings.max_verify_bytes,
                               credential_fields=("credential_text", "credential_file"), url_field="credential_url",
                               only_known=False, component_field="component_file")
        form_values = {name: form.values[name][:_MAX_TEXT_CHARS]
                       for name in ("credential_text", "credential_url") if name in form.values}
        given = await run_in_threadpool(_credential_input, form)  # parsing a large paste must not hold the loop
        given = replace(given, components=tuple(c.value for c in form.components))
        files = form.evidence
        now = datetime.now(timezone.utc)
        given, report = await run_in_threadpool(verify_given, _services(request), given, files, now=now,
                                                recipient=form.recipient)
        parse = report.check("parse")
        if parse is not None and parse.outcome is Outcome.FAILED:
            raise inputs.NotACredential(f"{given.label} is not a credential: {parse.message}")
        recognition = await run_in_threadpool(recognition_for_report, _services(request), report, now=now)
        quality = await run_in_threadpool(quality_label, _services(request), report, now=now)
    except PageInputError as exc:
        return _page(request, "verify.html", status=exc.status, headers=_VERIFY_PAGE_HEADERS, error=exc.message,
                     form=form_values)
    except DomainError as exc:  # an unreadable form or input, not a credential, a refused or failing URL
        return _page(request, "verify.html", status=domain_status(exc), headers=_VERIFY_PAGE_HEADERS,
                     error=_sentence(exc.detail), form=form_values)
    content = (credential_view(report.credential, show_evidence_links=True, format=report.format)
               if report.credential is not None else None)
    return _page(
        request, "verify.html", headers=_VERIFY_PAGE_HEADERS,
        form={}, source=given.label, report=report_view(report, now), credential=content,
        evidence_files=evidence_file_rows(
            evidence_file_results(report.credential, files, credential_verified=report.verified)),
        recognition=recognition, quality=quality,
    )


# -- the public badge page -----------------------------------------------------------------------------------

def _serves(request: Request, path: str) -> bool:
    """Whether the app has a GET route for ``path`` (the baked PNG belongs to the verification feature)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "path_params": {}, "headers": []}
    return any(route.matches(dict(scope))[0] is Match.FULL for route in request.app.routes)


def _absolute_http(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("https://", "http://")) else None


def badge_page(request: Request, credential_id: uuid.UUID | str) -> HTMLResponse:
    """The public page of a credential this service issued: its content, the earner's name, and the live
    verification result. Unknown and private credentials get the same 404 page."""
    services = _services(request)
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    with services.sessions() as session:
        badge = service.load_public_badge(session, services, credential_id)
    if badge is None:
        return _page(request, "not_found.html", status=404, headers=headers)
    now = datetime.now(timezone.utc)
    given = GivenCredential(badge.value, badge.format, label="this badge")
    _, report = verify_given(services, given, now=now)
    content = credential_view(badge.document, show_evidence_links=badge.show_evidence, format=badge.format,
                              earner_name=badge.earner_name or None)
    base = services.settings.public_base_url
    page_url = f"{base}/credentials/{badge.id}"
    png_url = f"{page_url}/badge.png" if _serves(request, f"/credentials/{badge.id}/badge.png") else None
    image = png_url or _absolute_http(badge.achievement_image) or _absolute_http(badge.issuer_image)
    og = {
        "title": f"{content.achievement_name} \u2014 earned by {badge.earner_name}" if badge.earner_name
        else content.achievement_name,
        "description": f"{badge.earner_name or 'An educator'} earned the "
                       f"{'designation' if content.is_designation else 'micro-credential'} \u201c"
                       f"{content.achievement_name}\u201d from {badge.issuer_name or content.issuer_name}.",
        "url": page_url,
        "image": image,
    }
    return _page(
        request, "badge.html", headers=headers,
        credential=content, report=report_view(report, now), og=og, page_url=page_url,
        json_url=f"{page_url}?format=json", png_url=png_url, show_evidence=badge.show_evidence,
        badge_id=str(badge.id), vetted=badge.vetted, quality=quality_label(services, report, now=now),
        renewal_of_url=f"{base}/credentials/{badge.renewal_of}" if badge.renewal_of else None,
        renewed_by_url=f"{base}/credentials/{badge.renewed_by}" if badge.renewed_by else None,
        version_url=_achievement_page(request.scope.get("root_path", ""), badge.document),
        linkedin_url=_linkedin_url(content, badge.issuer_name or content.issuer_name, page_url, str(badge.id)),
    )


def _linkedin_url(content: CredentialView, issuer_name: str, page_url: str, badge_id: str) -> str:
    """LinkedIn's "add a licence or certification" link, filled in (its documented query parameters)."""
    params = {"startTask": "CERTIFICATION_NAME", "name": content.achievement_name, "organizationName": issuer_name,
              "certUrl": page_url, "certId": badge_id}
    if content.valid_from is not None:
        issued = datetime.fromisoformat(content.valid_from.iso)
        params |= {"issueYear": str(issued.year), "issueMonth": str(issued.month)}
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


@router.get("/credentials/{credential_id}/certificate.pdf", response_model=None, include_in_schema=False)
def certificate(request: Request, credential_id: str) -> Response:
    """A printable certificate (PDF) whose QR code leads back to the live badge page; the same 404 page as
    the badge page for unknown and private credentials."""
    services = _services(request)
    with services.sessions() as session:
        badge = service.load_public_badge(session, services, credential_id)
    if badge is None:
        return _page(request, "not_found.html", status=404)
    content = credential_view(badge.document, show_evidence_links=False, format=badge.format,
                              earner_name=badge.earner_name or None)
    page_url = f"{services.settings.public_base_url}/credentials/{badge.id}"
    pdf = render_certificate(Certificate(
        earner=badge.earner_name or content.earner or "the earner",
        achievement=content.achievement_name,
        kind="designation" if content.is_designation else "micro-credential",
        issuer=badge.issuer_name or content.issuer_name,
        issued_on=content.valid_from.text if content.valid_from else "an undated day",
        valid_until=content.valid_until.text if content.valid_until else None,
        description=content.achievement_description,
        verify_url=page_url, credential_id=str(badge.id)))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="certificate-{badge.id}.pdf"', "Cache-Control": "no-cache"})


def _achievement_page(root: str, document: Any) -> str | None:
    """The local path of the credential's Achievement page when it is one of this service's versions."""
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    ident = achievement.get("id") if isinstance(achievement, dict) else None
    path = urlsplit(ident).path if isinstance(ident, str) else ""
    return f"{root}{path}" if _MICROCREDENTIAL_PATH.fullmatch(path) else None


# -- the public page of a micro-credential version (its Achievement id) -----------------------------------

_MICROCREDENTIAL_PATH = re.compile(r"/issuers/[^/]+/microcredentials/[^/]+/v[0-9]+")


@router.get("/issuers/{slug}/microcredentials/{key}/v{version}", response_model=None, include_in_schema=False)
def microcredential_page(request: Request, slug: Annotated[str, PathParam(max_length=64)],
                         key: Annotated[str, PathParam(max_length=100)],
                         version: Annotated[int, PathParam(ge=1, le=1_000_000)]) -> Response:
    """A published micro-credential version at its Achievement id: the page (its definition, and "vetted by"
    each state agency whose endorsement of this exact version verifies now), or for JSON clients the OB
    Achievement as every award of it states it."""
    services = _services(request)
    with services.sessions() as session:
        found = service.load_microcredential(session, services, slug, key, version)
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    if not wants_html(request):
        if found is None:
            raise UnknownMicroCredential(f"no published version {version} of {key} of {slug}")
        return JSONResponse(dict(found.achievement), media_type="application/ld+json", headers=headers)
    if found is None:
        return _page(request, "not_found.html", status=404, headers=headers)
    return _page(request, "microcredential.html", headers=headers, mc=found, vetted=found.vetted,
                 json_url=f"{services.public_base_url}{request.url.path}?format=json")


# -- the printable renewal report -----------------------------------------------------------------------------


def renewal_page(request: Request, report: RenewalReportRead) -> HTMLResponse:
    """The renewal report as a document an educator prints and hands to a licensing office (no script; a
    print stylesheet). The route has authorised the caller and made the report."""
    return _page(request, "renewal_report.html", report=printed_report(report))


# -- the scoring quality report (admins) -------------------------------------------------------------------------


def quality_page(request: Request, report: QualityReport, *, json_url: str, csv_url: str) -> HTMLResponse:
    """The admins' scoring quality report: charts as SVG images (``data:`` URLs, allowed on this page only) with a
    table of the same figures after each; no script. The route has authorised the caller and made the report."""
    return _page(request, "quality_report.html", headers={"Content-Security-Policy": CHART_CSP},
                 quality=printed_quality(report, json_url=json_url, csv_url=csv_url))
