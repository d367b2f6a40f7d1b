"""The quality report's charts, drawn on the server as SVG with matplotlib: readable without any script, with
their text kept as text (``svg.fonttype = none``: selectable, searchable, read by screen readers), and a
title and a description for assistive technology. The page puts a table of the same figures beside each.

matplotlib's object-oriented API only (a ``Figure`` per chart, its own SVG canvas): no pyplot, whose global
state is not safe in a server's worker threads. Output is deterministic (no date in the metadata, a fixed
hash salt for element ids), so the same figures draw the same bytes.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Sequence
from typing import Any

from .figures import CriterionFigures, MonthAgreement, Turnaround

__all__ = ["agreement_chart", "drift_chart", "turnaround_chart"]

_EXACT, _ADJACENT, _KAPPA, _OVER, _WITHIN = "#1f5fa8", "#9cc3eb", "#b5541c", "#b3261e", "#2e7d32"


def _render(figure: Any, title: str, description: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # inline in the page: no XML declaration or doctype
    head_end = svg.index(">") + 1
    label = html.escape(title, quote=True)
    return (svg[:head_end - 1] + f' role="img" aria-label="{label}"' + svg[head_end - 1:head_end]
            + f"<title>{html.escape(title)}</title><desc>{html.escape(description)}</desc>" + svg[head_end:])


def _figure(width: float, height: float) -> Any:
    # Imported here, not at the top: matplotlib takes most of a second to import, and only this page draws;
    # every other request and command-line run of the app would pay for it.
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["svg.hashsalt"] = "mcbadge-quality"
    figure = Figure(figsize=(width, height), dpi=96)
    FigureCanvasSVG(figure)
    return figure


def agreement_chart(title: str, criteria: Sequence[CriterionFigures], min_cell: int) -> str:
    """Exact and adjacent agreement per criterion (horizontal bars, %), with the weighted kappa written beside
    each; a suppressed criterion is named as such, with no bar."""
    figure = _figure(7.5, 0.7 + 0.55 * max(len(criteria), 1))
    axes = figure.add_subplot()
    labels = []
    legend = False
    for row, criterion in enumerate(reversed(criteria)):
        cell = criterion.agreement
        if cell.suppressed or cell.exact is None or cell.adjacent is None:
            labels.append(f"{criterion.name} (fewer than {min_cell}: suppressed)")
            continue
        kappa = "undefined" if cell.kappa is None else f"{cell.kappa:.2f}"
        labels.append(f"{criterion.name} (κ = {kappa})")
        axes.barh(row + 0.18, cell.adjacent * 100, height=0.34, color=_ADJACENT,
                  label=None if legend else "within one level")
        axes.barh(row - 0.18, cell.exact * 100, height=0.34, color=_EXACT, label=None if legend else "exact")
        legend = True
        axes.text(cell.exact * 100 + 1, row - 0.18, f"{cell.exact * 100:.0f} %", va="center", fontsize=8)
        axes.text(cell.adjacent * 100 + 1, row + 0.18, f"{cell.adjacent * 100:.0f} %", va="center", fontsize=8)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlim(0, 110)
    axes.set_xlabel("agreement between two independent assessors (%)")
    if legend:  # above the bars, where no bar or figure can be under it
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    description = "; ".join(
        f"{c.name}: suppressed" if c.agreement.suppressed or c.agreement.exact is None
        else f"{c.name}: exact {c.agreement.exact * 100:.0f} %, adjacent {(c.agreement.adjacent or 0) * 100:.0f} %"
        for c in criteria)
    return _render(figure, title, description or "no criteria")


def drift_chart(title: str, months: Sequence[MonthAgreement]) -> str:
    """Exact agreement (%) and weighted kappa (x 100) month by month; a suppressed month is a gap."""
    figure = _figure(7.5, 3.0)
    axes = figure.add_subplot()
    names = [m.month for m in months]
    exact = [m.agreement.exact * 100 if m.agreement.exact is not None else float("nan") for m in months]
    kappa = [m.agreement.kappa * 100 if m.agreement.kappa is not None else float("nan") for m in months]
    axes.plot(names, exact, marker="o", color=_EXACT, label="exact agreement (%)")
    axes.plot(names, kappa, marker="s", linestyle="--", color=_KAPPA, label="weighted κ × 100")
    shown_kappa = [k for k in kappa if not math.isnan(k)]
    axes.set_ylim(min([0.0, *shown_kappa]), 105)  # kappa may be negative: below chance
    axes.set_ylabel("%  /  κ × 100")
    axes.legend(loc="lower left", fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    description = "; ".join(
        f"{m.month}: suppressed" if m.agreement.suppressed else
        f"{m.month}: exact {(m.agreement.exact or 0) * 100:.0f} %, κ "
        f"{'undefined' if m.agreement.kappa is None else format(m.agreement.kappa, '.2f')}" for m in months)
    return _render(figure, title, description or "no double-scored work in the period")


def turnaround_chart(title: str, turnaround: Turnaround) -> str:
    """Decisions by days from submission (bars: green within the service level, red beyond), and the level."""
    figure = _figure(7.5, 3.0)
    axes = figure.add_subplot()
    labels = [f"{b.from_days}–{b.to_days}" if b.to_days is not None else f"{b.from_days}+" for b in turnaround.bins]
    axes.bar(range(len(labels)), [b.count for b in turnaround.bins],
             color=[_WITHIN if b.within_sla else _OVER for b in turnaround.bins])
    axes.set_xticks(range(len(labels)), labels, rotation=45, fontsize=8)
    sla_at = next((i - 0.5 for i, b in enumerate(turnaround.bins) if not b.within_sla), len(labels) - 0.5)
    axes.axvline(sla_at, color="#333333", linestyle=":", linewidth=1.5)
    top = max((b.count for b in turnaround.bins), default=0)
    axes.text(sla_at + 0.1, top * 0.95 if top else 0.5, f"service level: {turnaround.sla_days} days", fontsize=8)
    axes.set_xlabel("days from submission to decision")
    axes.set_ylabel("decisions")
    axes.spines[["top", "right"]].set_visible(False)
    description = ", ".join(f"{label} days: {b.count}" for label, b in zip(labels, turnaround.bins))
    return _render(figure, title, description or "no decisions")
