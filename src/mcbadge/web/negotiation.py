"""Content negotiation for URLs that serve both a page and JSON (a credential's ``id``).

The credential JSON is the canonical representation: HTML only when the client asks for it by name
(browsers send ``Accept: text/html,...``) and prefers it to every JSON type it names. ``*/*``, no
``Accept`` at all, or ``application/ld+json`` / ``application/vc`` / ``application/json`` get the JSON.
``?format=json`` or ``?format=html`` override the header (the page's download link uses it).
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

__all__ = ["ReportFormat", "accept_ranges", "report_format", "wants_html"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
JSON_TYPES = frozenset({"application/ld+json", "application/vc", "application/vc+ld+json", "application/json",
                        "application/vc+jwt", "application/vc-ld+jwt"})


def accept_ranges(header: str) -> dict[str, float]:
    """``{media range: highest q}`` of an ``Accept`` header (RFC 9110 §12.5.1); unreadable parts skipped."""
    ranges: dict[str, float] = {}
    for part in header.split(",")[:64]:
        media, *params = (p.strip() for p in part.split(";"))
        if "/" not in media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        media = media.lower()
        ranges[media] = max(q, ranges.get(media, 0.0))
    return ranges


def wants_html(request: Request) -> bool:
    """True when the client asks for the page rather than the credential JSON (see the module docstring)."""
    forced = request.query_params.get("format")
    if forced in ("json", "html"):
        return forced == "html"
    ranges = accept_ranges(request.headers.get("accept", ""))
    html_q = max((q for media, q in ranges.items() if media in HTML_TYPES), default=0.0)
    json_q = max((q for media, q in ranges.items() if media in JSON_TYPES), default=0.0)
    return html_q > 0 and html_q > json_q


ReportFormat = Literal["json", "csv", "html"]


def report_format(request: Request, forced: ReportFormat | None) -> ReportFormat:
    """How to answer a report URL (the renewal report, the quality report): ``format=`` if given; else the type
    the ``Accept`` header prefers among CSV, HTML and JSON (JSON on a tie, for ``*/*`` and without the header)."""
    if forced is not None:
        return forced
    ranges = accept_ranges(request.headers.get("accept", ""))
    csv_q = ranges.get("text/csv", 0.0)
    html_q = max((ranges.get(t, 0.0) for t in HTML_TYPES), default=0.0)
    json_q = max(ranges.get("application/json", 0.0), ranges.get("*/*", 0.0), ranges.get("application/*", 0.0))
    best = max(csv_q, html_q)
    if best <= json_q or best == 0:
        return "json"
    return "csv" if csv_q >= html_q else "html"
