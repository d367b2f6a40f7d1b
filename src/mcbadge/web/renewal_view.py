"""What the printed renewal report shows, in the words and order a licensing office reads it (no logic in
the template). The figures are the report's own (``renewal.schemas.RenewalReportRead``): this module only
words them."""

from __future__ import annotations

from dataclasses import dataclass

from ..renewal.schemas import RenewalLineRead, RenewalReportRead

__all__ = ["PrintedLine", "PrintedReport", "printed_report"]


@dataclass(frozen=True)
class PrintedLine:
    number: int
    achievement: str
    issuer: str
    issuer_id: str
    awarded_on: str
    credit: str
    recognised_by: str
    verification_url: str | None
    reference: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PrintedReport:
    title: str
    state: str
    state_id: str
    area: str
    cycle: str
    educator: str
    license_number: str
    issuer_name: str
    checked_at: str
    checked_at_iso: str
    result: str
    result_state: str  # met | not-met | hours | none (css modifier)
    result_detail: str
    summary: str
    counted: tuple[PrintedLine, ...]
    not_counted: tuple[PrintedLine, ...]
    registries: tuple[str, ...]
    verify_page: str
    prepared_by: str


def _recognised_by(line: RenewalLineRead, state_label: str) -> str:
    recognition = line.recognition
    if recognition is None:
        return ""
    source = recognition.agency_name or recognition.agency
    return f"{state_label}, through reciprocity with {source}" if recognition.via else state_label


def _line(number: int, line: RenewalLineRead, state_label: str) -> PrintedLine:
    credit = line.recognition.credit.text if line.recognition is not None and line.counts else ""
    return PrintedLine(
        number=number, achievement=line.achievement_name or line.achievement_id or "(unreadable credential)",
        issuer=line.issuer_name or line.issuer or "unknown issuer", issuer_id=line.issuer or "",
        awarded_on=line.awarded_on.isoformat() if line.awarded_on else "no date",
        credit=credit[:1].upper() + credit[1:], recognised_by=_recognised_by(line, state_label),
        verification_url=line.verification_url, reference=line.reference,
        reasons=tuple(r.message[:1].upper() + r.message[1:] for r in line.reasons),
    )


def _detail(report: RenewalReportRead, counted: int, others: int) -> str:
    home = report.registries[0] if report.registries else None
    if home is None or home.state != "verified":
        return home.message + "." if home is not None else "The state's registry could not be read."
    counts = f"{counted} credential{'s' if counted != 1 else ''} count{'s' if counted == 1 else ''}"
    rest = f"; {others} do{'es' if others == 1 else ''} not (the reasons are listed below)" if others else ""
    hours = (" The list counts hours for this area but names no number of hours required: the licensing office "
             "states it." if report.totals.counts_hours else "")
    return f"{counts} toward renewal in {report.endorsement_area}{rest}.{hours}"


def _result(report: RenewalReportRead) -> tuple[str, str]:
    totals = report.totals
    home = report.registries[0] if report.registries else None
    if home is None or home.state != "verified":
        return "Could not be checked", "none"
    if totals.micro_credentials_required is not None:
        noun = "micro-credential" if totals.micro_credentials_required == 1 else "micro-credentials"
        figure = f"{totals.micro_credentials_counted} of {totals.micro_credentials_required} {noun} required"
        return (f"{figure}: requirement met", "met") if totals.requirement_met else (
            f"{figure}: requirement not met", "not-met")
    hours = totals.hours_counted
    return f"{hours:g} hour{'s' if hours != 1 else ''} of professional learning counted", "hours"


def printed_report(report: RenewalReportRead) -> PrintedReport:
    state_label = report.state_name or report.state
    counted = [line for line in report.credentials if line.counts]
    others = [line for line in report.credentials if not line.counts]
    result, result_state = _result(report)
    return PrintedReport(
        title=f"License renewal report \u2014 {report.educator.name}", state=state_label, state_id=report.state,
        area=report.endorsement_area,
        cycle=f"{report.cycle_start.isoformat()} to {report.cycle_end.isoformat()}",
        educator=report.educator.name, license_number=report.educator.license_number or "not recorded",
        issuer_name=report.educator.issuer_name,
        checked_at=f"{report.checked_at:%Y-%m-%d %H:%M} UTC", checked_at_iso=report.checked_at.isoformat(),
        result=result, result_state=result_state, result_detail=_detail(report, len(counted), len(others)),
        summary=report.summary,
        counted=tuple(_line(n, line, state_label) for n, line in enumerate(counted, 1)),
        not_counted=tuple(_line(n, line, state_label) for n, line in enumerate(others, 1)),
        registries=tuple(s.message + "." for s in report.registries), verify_page=report.verify_page,
        prepared_by=report.verify_page.removesuffix("/verify"),  # the service's public base URL
    )
