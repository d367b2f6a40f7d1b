"""Reliability and turnaround figures of an issuer's scoring: the pure computation (no database, no I/O).

What the figures are
--------------------
* **Agreement** on double-scored work: a submission is double-scored when two different assessors scored it
  independently (the first two assessments that are not a lead's decision; a lead reads both before deciding,
  so their scores are not independent). Each criterion of such a submission gives one *pair* of levels.
  Exact agreement is the share of pairs with the same level, adjacent the share within one level, and
  **Cohen's weighted kappa** (quadratic weights) corrects agreement for chance: computed by scikit-learn's
  ``cohen_kappa_score`` over level positions (lowest first), with every level of the rubric as a label, so a
  level nobody chose still keeps its distance. Kappa is undefined when both assessors used one and the same
  level throughout (no disagreement is expected by chance either): it is then ``None``, never 0 or 1.
* **Drift**: the same agreement, month by month (the month of the second independent score).
* **Not-yet rate per criterion**: of the submissions decided in the period, the share whose deciding level
  for the criterion was below its required level (``SubmissionRecord.decided_levels`` when the scoring rules
  recorded them, else ``deciding_levels``: the lead's when a lead decided, otherwise the latest assessment's).
* **Turnaround**: days from submission to decision (the outcome: passed or not yet), its median and 90th
  percentile, the share within the issuer's service level (``sla_days``), a distribution; and the list of
  submissions still waiting for a decision longer than the service level (overdue), whatever the period.

Small cells
-----------
Every figure comes from a *cell* (a micro-credential, a criterion, an assessor, a month) of ``n`` submissions.
A cell with fewer than ``min_cell`` submissions is suppressed: its figures are ``None`` and it says so, so no
educator or assessor can be singled out. Cells that add up to a total shown beside them (the assessors of a
micro-credential, its months) get *secondary* suppression: when exactly one of them is suppressed, the next
smallest is too, so the hidden one cannot be recovered by subtraction. The overdue list is not a statistic
but the admins' work list, and is never suppressed (it is shown to admins only).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

__all__ = [
    "Agreement", "AssessorAgreement", "CriterionFigures", "MicroCredentialFigures", "MonthAgreement",
    "Overdue", "Period", "Rubric", "Scoring", "SubmissionRecord", "Turnaround", "TurnaroundBin",
    "agreement", "compute", "deciding_levels", "independent_pair", "weighted_kappa",
]

DEFAULT_SLA_DAYS = 14
DEFAULT_MIN_CELL = 10


# --------------------------------------------------------------------------------------------------
# Inputs: what the service reads from the database
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rubric:
    """A version's rubric as the figures need it: its levels (lowest first) and each criterion's required
    level and name, in the rubric's order."""

    levels: tuple[str, ...]
    required: Mapping[str, str]
    names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, rubric: Mapping[str, Any]) -> Rubric:
        """From ``MicroCredential.rubric`` ({levels: [{key}], criteria: [{key, name, required_level}]})."""
        criteria = [c for c in rubric.get("criteria", []) if isinstance(c, Mapping)]
        return cls(levels=tuple(level["key"] for level in rubric.get("levels", [])),
                   required={c["key"]: c["required_level"] for c in criteria},
                   names={c["key"]: c.get("name") or c["key"] for c in criteria})

    def position(self, level: str | None) -> int | None:
        return self.levels.index(level) if level in self.levels else None


@dataclass(frozen=True)
class Scoring:
    """One assessment: who scored, the level per criterion, whether it was a lead's decision, and when."""

    assessor: str
    levels: Mapping[str, str]
    lead: bool
    at: datetime


@dataclass(frozen=True)
class SubmissionRecord:
    """One submitted attempt at a micro-credential (``key``, any version) with its assessments."""

    id: str
    key: str
    rubric: Rubric
    submitted_at: datetime
    decided_at: datetime | None
    waiting: bool
    """Still waiting for a decision (submitted, not withdrawn)."""
    scorings: tuple[Scoring, ...]
    attempt: int = 1
    decided_levels: Mapping[str, str] | None = None
    """The deciding level per criterion as the scoring rules recorded it, when they record it (then it wins
    over ``deciding_levels``' reading of the assessments)."""


@dataclass(frozen=True)
class Period:
    """[start, end): the figures count pairs scored and decisions made in it."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


# --------------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """Agreement of a cell: ``n`` double-scored submissions giving ``pairs`` pairs of levels. The figures are
    None when the cell is suppressed (``n`` below the minimum), and ``kappa`` also when it is undefined."""

    n: int
    pairs: int
    suppressed: bool
    exact: float | None
    adjacent: float | None
    kappa: float | None


@dataclass(frozen=True)
class CriterionFigures:
    criterion: str
    name: str
    agreement: Agreement
    decided: int
    """Submissions decided in the period (the cell of the not-yet rate)."""
    not_yet_rate: float | None


@dataclass(frozen=True)
class AssessorAgreement:
    assessor: str
    agreement: Agreement


@dataclass(frozen=True)
class MonthAgreement:
    month: str
    """YYYY-MM."""
    agreement: Agreement


@dataclass(frozen=True)
class TurnaroundBin:
    """Decisions that took at least ``from_days`` and less than ``to_days`` (None: no upper bound)."""

    from_days: int
    to_days: int | None
    count: int
    within_sla: bool


@dataclass(frozen=True)
class Turnaround:
    n: int
    suppressed: bool
    sla_days: int
    median_days: float | None
    p90_days: float | None
    within_sla: float | None
    bins: tuple[TurnaroundBin, ...]


@dataclass(frozen=True)
class Overdue:
    submission: str
    key: str
    attempt: int
    submitted_at: datetime
    days_waiting: float


@dataclass(frozen=True)
class MicroCredentialFigures:
    key: str
    min_cell: int
    decided: int
    double_scored: int
    double_scoring_rate: float | None
    """Of the submissions decided in the period, the share that was double-scored (None when suppressed)."""
    agreement: Agreement
    criteria: tuple[CriterionFigures, ...]
    assessors: tuple[AssessorAgreement, ...]
    months: tuple[MonthAgreement, ...]
    turnaround: Turnaround
    overdue: tuple[Overdue, ...]


# --------------------------------------------------------------------------------------------------
# The pieces
# --------------------------------------------------------------------------------------------------


def independent_pair(scorings: Sequence[Scoring]) -> tuple[Scoring, Scoring] | None:
    """The first two assessments by different assessors that are not a lead's decision (in time order), or None
    when the submission was not double-scored."""
    first: Scoring | None = None
    for scoring in sorted(scorings, key=lambda s: s.at):
        if scoring.lead:
            continue
        if first is None:
            first = scoring
        elif scoring.assessor != first.assessor:
            return first, scoring
    return None


def deciding_levels(scorings: Sequence[Scoring]) -> Mapping[str, str]:
    """The level per criterion that decided the outcome: the lead's where a lead decided (the latest lead
    assessment), otherwise the latest assessment's (with second scoring, the two agreed on the outcome)."""
    ordered = sorted(scorings, key=lambda s: s.at)
    leads = [s for s in ordered if s.lead]
    chosen = leads[-1] if leads else (ordered[-1] if ordered else None)
    return chosen.levels if chosen is not None else {}


def weighted_kappa(first: Sequence[int], second: Sequence[int], levels: int) -> float | None:
    """Cohen's kappa with quadratic weights of two raters' level positions (0 .. ``levels`` - 1), or None when
    it is undefined: no pairs, or both raters gave one and the same level to everything."""
    if not first or len(set(first) | set(second)) < 2:
        return None
    # Imported here, not at the top: scikit-learn (with SciPy) takes over a second to import, and every process
    # that loads the app (the server, each command-line run) would pay it; only the figures need it.
    from sklearn.metrics import cohen_kappa_score

    value = float(cohen_kappa_score(list(first), list(second), labels=list(range(levels)), weights="quadratic"))
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class _Pair:
    submission: str
    assessors: tuple[str, str]
    at: datetime
    """When the second independent score was given: the pair counts in that month and period."""
    levels: int
    positions: tuple[tuple[str, int, int], ...]
    """(criterion, first position, second position) for every criterion both scored with a known level."""


def _pair(record: SubmissionRecord) -> _Pair | None:
    found = independent_pair(record.scorings)
    if found is None:
        return None
    first, second = found
    positions = []
    for criterion in record.rubric.required:
        a, b = record.rubric.position(first.levels.get(criterion)), record.rubric.position(second.levels.get(criterion))
        if a is not None and b is not None:
            positions.append((criterion, a, b))
    return _Pair(record.id, (first.assessor, second.assessor), second.at, len(record.rubric.levels),
                 tuple(positions))


def _share(part: int, whole: int) -> float:
    return float(Fraction(part, whole)) if whole else 0.0


def agreement(pairs: Iterable[tuple[int, int]], *, n: int, levels: int, min_cell: int) -> Agreement:
    """Agreement of the level pairs of ``n`` double-scored submissions (suppressed when ``n < min_cell``)."""
    listed = list(pairs)
    if n < min_cell or not listed:
        return Agreement(n=n, pairs=len(listed), suppressed=n < min_cell, exact=None, adjacent=None, kappa=None)
    exact = sum(a == b for a, b in listed)
    adjacent = sum(abs(a - b) <= 1 for a, b in listed)
    kappa = weighted_kappa([a for a, _ in listed], [b for _, b in listed], levels)
    return Agreement(n=n, pairs=len(listed), suppressed=False, exact=_share(exact, len(listed)),
                     adjacent=_share(adjacent, len(listed)), kappa=kappa)


def _suppress(cell: Agreement) -> Agreement:
    return replace(cell, suppressed=True, exact=None, adjacent=None, kappa=None)


def _secondary(cells: list[Agreement]) -> list[Agreement]:
    """When exactly one cell of a group that adds up to a shown total is suppressed, suppress the smallest
    other one too, so the hidden figures cannot be recovered from the total and the rest."""
    if sum(c.suppressed for c in cells) != 1 or len(cells) < 2:
        return cells
    shown = [i for i, c in enumerate(cells) if not c.suppressed]
    smallest = min(shown, key=lambda i: (cells[i].n, i))
    return [_suppress(c) if i == smallest else c for i, c in enumerate(cells)]


def _turnaround(days: list[float], sla_days: int, min_cell: int) -> Turnaround:
    if len(days) < min_cell or not days:
        return Turnaround(n=len(days), suppressed=len(days) < min_cell, sla_days=sla_days, median_days=None,
                          p90_days=None, within_sla=None, bins=())
    ordered = sorted(days)
    # statistics.quantiles' inclusive method: the 90th percentile lies within the data (numpy's default).
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[8] if len(ordered) > 1 else ordered[0]
    width = max(1, math.ceil(sla_days / 7))
    edges = list(range(0, 2 * sla_days, width))
    bins = []
    for i, start in enumerate(edges):
        end = edges[i + 1] if i + 1 < len(edges) else 2 * sla_days
        bins.append(TurnaroundBin(start, end, sum(start <= d < end for d in ordered), end <= sla_days))
    bins.append(TurnaroundBin(2 * sla_days, None, sum(d >= 2 * sla_days for d in ordered), False))
    return Turnaround(n=len(ordered), suppressed=False, sla_days=sla_days, median_days=statistics.median(ordered),
                      p90_days=p90, within_sla=_share(sum(d <= sla_days for d in ordered), len(ordered)),
                      bins=tuple(bins))


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _one(key: str, records: list[SubmissionRecord], period: Period, now: datetime, sla_days: int,
         min_cell: int) -> MicroCredentialFigures:
    pairs = [p for p in (_pair(r) for r in records) if p is not None and p.at in period]
    levels = max((p.levels for p in pairs), default=0)
    decided = [r for r in records if r.decided_at is not None and r.decided_at in period]
    latest = records[-1].rubric if records else Rubric((), {})
    criteria_order = list(dict.fromkeys([*latest.required, *(c for r in records for c in r.rubric.required)]))
    names = {c: n for r in records for c, n in r.rubric.names.items()} | dict(latest.names)

    overall = agreement(((a, b) for p in pairs for _, a, b in p.positions), n=len(pairs), levels=levels,
                        min_cell=min_cell)
    criteria = []
    for criterion in criteria_order:
        with_it = [p for p in pairs if any(c == criterion for c, _, _ in p.positions)]
        cell = agreement(((a, b) for p in with_it for c, a, b in p.positions if c == criterion), n=len(with_it),
                         levels=levels, min_cell=min_cell)
        judged = [r for r in decided if criterion in r.rubric.required]
        below = 0
        for r in judged:
            level = r.rubric.position((r.decided_levels or deciding_levels(r.scorings)).get(criterion))
            required = r.rubric.position(r.rubric.required[criterion])
            below += level is not None and required is not None and level < required
        rate = _share(below, len(judged)) if len(judged) >= min_cell and judged else None
        criteria.append(CriterionFigures(criterion, names.get(criterion, criterion), cell, len(judged), rate))

    by_assessor: dict[str, list[_Pair]] = defaultdict(list)
    for p in pairs:
        for assessor in set(p.assessors):
            by_assessor[assessor].append(p)
    assessor_ids = sorted(by_assessor)
    assessor_cells = _secondary([
        agreement(((a, b) for p in by_assessor[x] for _, a, b in p.positions), n=len(by_assessor[x]),
                  levels=levels, min_cell=min_cell) for x in assessor_ids])

    by_month: dict[str, list[_Pair]] = defaultdict(list)
    for p in pairs:
        by_month[p.at.strftime("%Y-%m")].append(p)
    months = sorted(by_month)
    month_cells = _secondary([
        agreement(((a, b) for p in by_month[m] for _, a, b in p.positions), n=len(by_month[m]), levels=levels,
                  min_cell=min_cell) for m in months])

    durations = [_days(r.decided_at - r.submitted_at) for r in decided if r.decided_at is not None]
    overdue = sorted(
        (Overdue(r.id, r.key, r.attempt, r.submitted_at, _days(now - r.submitted_at)) for r in records
         if r.waiting and r.decided_at is None and now - r.submitted_at > timedelta(days=sla_days)),
        key=lambda o: o.submitted_at)
    decided_double = sum(independent_pair(r.scorings) is not None for r in decided)
    rate = _share(decided_double, len(decided)) if len(decided) >= min_cell and decided else None
    return MicroCredentialFigures(
        key=key, min_cell=min_cell, decided=len(decided), double_scored=len(pairs), double_scoring_rate=rate,
        agreement=overall, criteria=tuple(criteria),
        assessors=tuple(AssessorAgreement(x, c) for x, c in zip(assessor_ids, assessor_cells)),
        months=tuple(MonthAgreement(m, c) for m, c in zip(months, month_cells)),
        turnaround=_turnaround(durations, sla_days, min_cell), overdue=tuple(overdue))


def compute(records: Iterable[SubmissionRecord], *, period: Period, now: datetime,
            sla_days: int = DEFAULT_SLA_DAYS, min_cell: int = DEFAULT_MIN_CELL) -> tuple[MicroCredentialFigures, ...]:
    """The figures of each micro-credential key among ``records`` (in key order)."""
    by_key: dict[str, list[SubmissionRecord]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.submitted_at):
        by_key[record.key].append(record)
    return tuple(_one(key, by_key[key], period, now, sla_days, min_cell) for key in sorted(by_key))
