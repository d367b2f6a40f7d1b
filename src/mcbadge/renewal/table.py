"""The renewal report as CSV: one row per credential, the same data as the JSON (stdlib ``csv``, RFC 4180)."""

from __future__ import annotations

import csv
import io

from ..spreadsheet_cells import csv_cell
from .schemas import RenewalLineRead, RenewalReportRead

__all__ = ["COLUMNS", "csv_text"]

COLUMNS = (
    "counts", "achievement", "issuer", "awarded_on", "credit", "credit_kind", "credit_count", "credit_required",
    "credit_hours", "recognised_by", "through_reciprocity_with", "reason_codes", "reasons", "verified", "source",
    "credential_id", "achievement_id", "issuer_id", "verification_url", "state", "endorsement_area",
    "cycle_start", "cycle_end",
)
"""The header row, in order. The report-wide fields (state, area, cycle) repeat on each row, so a row read on
its own (or rows of several reports in one sheet) still says what it was counted for."""

def _row(report: RenewalReportRead, line: RenewalLineRead) -> list[str]:
    recognition = line.recognition
    credit = recognition.credit if recognition is not None and line.counts else None
    via = [] if recognition is None else recognition.via
    values: list[object] = [
        line.counts, line.achievement_name, line.issuer_name, line.awarded_on, credit.text if credit else None,
        credit.kind if credit else None, credit.count if credit else None, credit.required if credit else None,
        credit.hours if credit else None,
        (recognition.agency_name or recognition.agency) if recognition is not None and line.counts else None,
        "; ".join(via) if line.counts else None,
        "; ".join(r.code for r in line.reasons), "; ".join(r.message for r in line.reasons),
        line.verified, line.source, line.credential_id, line.achievement_id, line.issuer, line.verification_url,
        report.state_name or report.state, report.endorsement_area, report.cycle_start, report.cycle_end,
    ]
    return [csv_cell(v) for v in values]


def csv_text(report: RenewalReportRead) -> str:
    """The report's credentials as CSV text, with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_row(report, line) for line in report.credentials)
    return out.getvalue()
