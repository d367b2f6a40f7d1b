"""The quality report as CSV (stdlib ``csv``, RFC 4180): one row per cell, the same figures as the JSON.

Long format, so one sheet holds every kind of cell: ``dimension`` says what the row is (``overall``,
``criterion``, ``assessor``, ``month``, ``turnaround``, ``overdue``) and ``cell`` which one. A suppressed cell
keeps its row and its ``n``, with its figures empty and ``suppressed`` = yes.
"""

from __future__ import annotations

import csv
import io

from ..spreadsheet_cells import csv_cell
from .figures import Agreement
from .schemas import QualityReport

__all__ = ["COLUMNS", "csv_text"]

COLUMNS = (
    "microcredential", "title", "dimension", "cell", "name", "n", "suppressed", "exact_agreement",
    "adjacent_agreement", "weighted_kappa", "not_yet_rate", "median_days", "p90_days", "within_sla",
    "double_scoring_rate", "submitted_at", "days_waiting", "period_start", "period_end", "sla_days", "min_cell",
)

def _agreement(cell: Agreement) -> dict[str, object]:
    return {"n": cell.n, "suppressed": cell.suppressed, "exact_agreement": cell.exact,
            "adjacent_agreement": cell.adjacent, "weighted_kappa": cell.kappa}


def csv_text(report: QualityReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    common = {"period_start": report.period_start.isoformat(), "period_end": report.period_end.isoformat(),
              "sla_days": report.sla_days, "min_cell": report.min_cell}

    for mc in report.microcredentials:
        f = mc.figures
        rows: list[dict[str, object]] = [
            {"dimension": "overall", "cell": mc.key, "name": mc.title, **_agreement(f.agreement),
             "double_scoring_rate": f.double_scoring_rate}]
        rows += [{"dimension": "criterion", "cell": c.criterion, "name": c.name, **_agreement(c.agreement),
                  "not_yet_rate": c.not_yet_rate} for c in f.criteria]
        rows += [{"dimension": "assessor", "cell": a.assessor, "name": report.assessors.get(a.assessor, ""),
                  **_agreement(a.agreement)} for a in f.assessors]
        rows += [{"dimension": "month", "cell": m.month, **_agreement(m.agreement)} for m in f.months]
        t = f.turnaround
        rows.append({"dimension": "turnaround", "cell": mc.key, "n": t.n, "suppressed": t.suppressed,
                     "median_days": t.median_days, "p90_days": t.p90_days, "within_sla": t.within_sla})
        rows += [{"dimension": "overdue", "cell": o.submission, "submitted_at": o.submitted_at.isoformat(),
                  "days_waiting": o.days_waiting} for o in f.overdue]
        for row in rows:
            values = {"microcredential": mc.key, "title": mc.title, **common, **row}
            writer.writerow([csv_cell(values.get(column)) for column in COLUMNS])
    return out.getvalue()
