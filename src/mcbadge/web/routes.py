"""The pages: ``GET /verify`` (the verification form), ``POST /verify/report`` (its result), and the HTML
branch of ``GET /credentials/{id}`` (:func:`badge_page`, called by the credentials route when the client
asks for HTML).

Paths. People type and share ``/verify``; the page is served there on GET. The JSON verification API keeps
``POST /verify`` and ``POST /credentials/verify``; the form posts to ``/verify/report`` so a browser never
meets the API and an API client never gets a page, whatever it sends as ``Accept``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..api.problems import domain_status
from ..errors import DomainError
from ..services import Services
from ..vc.verify import Outcome
from ..verification import inputs
from ..verification.inputs import EvidenceFile, GivenCredential
from ..verification.service import evidence_file_results, verify_given
from . import service
from .service import PageInputError
from .view import credential_view, evidence_file_rows, report_view

__all__ = ["STATIC_DIR", "badge_page", "router"]

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
_MAX_TEXT_CHARS = 512 * 1024

router = APIRouter(include_in_schema=False)


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


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request) -> HTMLResponse:
    """The verification page: paste, upload or give a URL."""
    return _page(request, "verify.html", form={})


def _given(upload: Any) -> bool:
    return isinstance(upload, UploadFile) and bool(upload.filename)


async def _credential_input(form: Any) -> GivenCredential:
    text = form.get("credential_text")
    text = text if isinstance(text, str) and text.strip() else None
    upload = form.get("credential_file")
    upload = upload if _given(upload) else None
    url = form.get("credential_url")
    url = url.strip() if isinstance(url, str) and url.strip() else None
    given = [g for g in (text, upload, url) if g is not None]
    if not given:
        raise PageInputError("Give a credential: paste it, upload its file or badge image, or enter its address.", 400)
    if len(given) > 1:
        raise PageInputError("Give one credential at a time: paste it, upload it, or enter its address "
                             "(more than one was filled in).", 400)
    if text is not None:
        if len(text) > _MAX_TEXT_CHARS:
            raise PageInputError("The pasted text is too long to be a credential.", 413)
        return inputs.from_text(text, "the pasted text")
    if upload is not None:
        return inputs.from_file(await upload.read(), upload.filename)
    assert url is not None
    return GivenCredential(None, "url", url=url, label=f"the address {url}")  # fetched when verified


async def _evidence_files(form: Any) -> list[EvidenceFile]:
    files = [f for f in form.getlist("evidence") if _given(f)]
    if len(files) > service.MAX_EVIDENCE_FILES:
        raise PageInputError(f"Give at most {service.MAX_EVIDENCE_FILES} evidence files.", 400)
    return [EvidenceFile(f.filename or "file", await f.read()) for f in files]


def _sentence(text: str) -> str:
    """A domain error's detail ("the pasted text is not valid JSON: ...") as a sentence on the page."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


@router.post("/verify/report", response_class=HTMLResponse)
async def verify_report(request: Request) -> HTMLResponse:
    """Verify what the form gave and show the report with the credential's content."""
    form_values: dict[str, str] = {}
    try:
        try:
            form = await request.form(max_files=service.MAX_EVIDENCE_FILES + 1, max_fields=20)
        except StarletteHTTPException as exc:  # a malformed multipart body, too many files or fields
            raise PageInputError(f"The form could not be read: {exc.detail}", 400) from None
        for name in ("credential_text", "credential_url"):
            value = form.get(name)
            if isinstance(value, str):
                form_values[name] = value[:_MAX_TEXT_CHARS]
        given = await _credential_input(form)
        files = await _evidence_files(form)
        now = datetime.now(timezone.utc)
        given, report = await run_in_threadpool(verify_given, _services(request), given, files, now=now)
        parse = report.check("parse")
        if parse is not None and parse.outcome is Outcome.FAILED:
            raise inputs.NotACredential(f"{given.label} is not a credential: {parse.message}")
    except PageInputError as exc:
        return _page(request, "verify.html", status=exc.status, error=exc.message, form=form_values)
    except DomainError as exc:  # unreadable, not a credential, a refused or failing URL (verification.inputs)
        return _page(request, "verify.html", status=domain_status(exc), error=_sentence(exc.detail),
                     form=form_values)
    content = (credential_view(report.credential, show_evidence_links=True, format=report.format)
               if report.credential is not None else None)
    return _page(
        request, "verify.html",
        form={}, source=given.label, report=report_view(report, now), credential=content,
        evidence_files=evidence_file_rows(
            evidence_file_results(report.credential, files, credential_verified=report.verified)),
    )


# -- the public badge page -----------------------------------------------------------------------------------

def _serves(request: Request, path: str) -> bool:
    """Whether the app has a GET route for ``path`` (the baked PNG belongs to the verification feature)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "path_params": {}, "headers": []}
    return any(route.matches(dict(scope))[0] is Match.FULL for route in request.app.routes)


def _absolute_http(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("https://", "http://")) else None


def badge_page(request: Request, credential_id: str) -> HTMLResponse:
    """The public page of a credential this service issued: its content, the earner's name, and the live
    verification result. Unknown and private credentials get the same 404 page."""
    services = _services(request)
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    with services.sessions() as session:
        badge = service.load_public_badge(session, credential_id)
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
        "description": f"{badge.earner_name or 'An educator'} earned the micro-credential \u201c"
                       f"{content.achievement_name}\u201d from {badge.issuer_name or content.issuer_name}.",
        "url": page_url,
        "image": image,
    }
    return _page(
        request, "badge.html", headers=headers,
        credential=content, report=report_view(report, now), og=og, page_url=page_url,
        json_url=f"{page_url}?format=json", png_url=png_url, show_evidence=badge.show_evidence,
        badge_id=str(badge.id),
    )
