"""What the quality report page shows, worded (no logic in the template): per micro-credential, its headline
figures, three charts (``quality.charts``, SVG) and the tables of the same figures. The figures are the
report's own (``quality.schemas.QualityReport``); this module only words and draws them.

Each chart is an ``<img>`` whose source is the SVG as a ``data:`` URL: an image cannot run script, and the
page's Content-Security-Policy (no inline styles) stays as strict as every other page's, with ``img-src``
widened to ``data:`` for this page only (``CHART_CSP``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ..quality import charts
from ..quality.figures import Agreement
from ..quality.schemas import MicroCredentialQuality, QualityReport

__all__ = ["CHART_CSP", "PrintedQuality", "printed_quality"]

CHART_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
             "frame-ancestors 'none'")


@dataclass(frozen=True)
class Chart:
    title: str
    src: str
    """A data: URL of the SVG."""
    alt: str


@dataclass(frozen=True)
class Row:
    cell: str
    n: str
    exact: str
    adjacent: str
    kappa: str
    extra: str = ""
    suppressed: bool = False


@dataclass(frozen=True)
class OverdueRow:
    submission: str
    attempt: int
    submitted_on: str
    days: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    headline: tuple[tuple[str, str], ...]
    charts: tuple[Chart, ...]
    criteria: tuple[Row, ...]
    assessors: tuple[Row, ...]
    months: tuple[Row, ...]
    overdue: tuple[OverdueRow, ...]


@dataclass(frozen=True)
class PrintedQuality:
    title: str
    period: str
    sla_days: int
    min_cell: int
    generated_at: str
    sections: tuple[Section, ...]
    json_url: str
    csv_url: str


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f} %"


def _kappa(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _row(cell: str, agreement: Agreement, extra: str = "") -> Row:
    if agreement.suppressed:
        return Row(cell, str(agreement.n), "suppressed", "", "", extra, suppressed=True)
    return Row(cell, str(agreement.n), _percent(agreement.exact), _percent(agreement.adjacent),
               _kappa(agreement.kappa), extra)


def _data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _chart(title: str, svg: str, alt: str) -> Chart:
    return Chart(title, _data_url(svg), alt)


def _section(report: QualityReport, mc: MicroCredentialQuality) -> Section:
    f = mc.figures
    t = f.turnaround
    headline = (
        ("Decisions in the period", str(f.decided)),
        ("Double-scored", f"{f.double_scored} ({_percent(f.double_scoring_rate)} of decisions)"),
        ("Exact agreement", _percent(f.agreement.exact) if not f.agreement.suppressed else "suppressed"),
        ("Weighted κ (quadratic)", _kappa(f.agreement.kappa) if not f.agreement.suppressed else "suppressed"),
        ("Median turnaround", "suppressed" if t.suppressed else f"{t.median_days:.1f} days"
         if t.median_days is not None else "—"),
        (f"Within {t.sla_days} days", "suppressed" if t.suppressed else _percent(t.within_sla)),
        ("Overdue now", str(len(f.overdue))),
    )
    agreement_alt = "; ".join(
        f"{c.name}: " + ("suppressed" if c.agreement.suppressed else
                         f"exact {_percent(c.agreement.exact)}, within one level {_percent(c.agreement.adjacent)}, "
                         f"kappa {_kappa(c.agreement.kappa)}") for c in f.criteria)
    drift_alt = "; ".join(
        f"{m.month}: " + ("suppressed" if m.agreement.suppressed else
                          f"exact {_percent(m.agreement.exact)}, kappa {_kappa(m.agreement.kappa)}") for m in f.months)
    turnaround_alt = ("suppressed" if t.suppressed else ", ".join(
        f"{b.from_days}{'–' + str(b.to_days) if b.to_days is not None else '+'} days: {b.count}" for b in t.bins))
    charts_shown = [
        _chart(f"Agreement per criterion — {mc.title}",
               charts.agreement_chart(f"Agreement per criterion — {mc.title}", f.criteria, report.min_cell),
               "Agreement per criterion: " + (agreement_alt or "no criteria")),
        _chart(f"Agreement by month — {mc.title}", charts.drift_chart(f"Agreement by month — {mc.title}", f.months),
               "Agreement by month: " + (drift_alt or "no double-scored work in the period")),
    ]
    if not t.suppressed:
        charts_shown.append(_chart(
            f"Turnaround against the {t.sla_days}-day service level — {mc.title}",
            charts.turnaround_chart(f"Turnaround — {mc.title}", t), "Decisions by days from submission: "
            + turnaround_alt))
    return Section(
        key=mc.key, title=mc.title, headline=headline, charts=tuple(charts_shown),
        criteria=tuple(_row(c.name, c.agreement, _percent(c.not_yet_rate) if c.not_yet_rate is not None
                            else "suppressed") for c in f.criteria),
        assessors=tuple(sorted((_row(report.assessors.get(a.assessor, a.assessor), a.agreement) for a in f.assessors),
                               key=lambda r: r.cell.casefold())),
        months=tuple(_row(m.month, m.agreement) for m in f.months),
        overdue=tuple(OverdueRow(o.submission, o.attempt, o.submitted_at.strftime("%Y-%m-%d"), f"{o.days_waiting:.0f}")
                      for o in f.overdue),
    )


def printed_quality(report: QualityReport, *, json_url: str, csv_url: str) -> PrintedQuality:
    return PrintedQuality(
        title="Scoring quality report",
        period=f"{report.period_start.isoformat()} to {report.period_end.isoformat()}",
        sla_days=report.sla_days, min_cell=report.min_cell,
        generated_at=report.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        sections=tuple(_section(report, mc) for mc in report.microcredentials), json_url=json_url, csv_url=csv_url)
