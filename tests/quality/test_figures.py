"""The reliability and turnaround figures (``mcbadge.quality.figures``) against values computed by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest

from mcbadge.quality.figures import (
    Period,
    Rubric,
    Scoring,
    SubmissionRecord,
    compute,
    deciding_levels,
    independent_pair,
    weighted_kappa,
)

LEVELS = ("not-yet", "developing", "proficient", "exemplary")
RUBRIC = Rubric(LEVELS, {"checks": "proficient", "reflection": "developing"},
                {"checks": "Varied checks", "reflection": "Reflection"})
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
PERIOD = Period(START, datetime(2026, 4, 1, tzinfo=timezone.utc))
NOW = datetime(2026, 4, 10, tzinfo=timezone.utc)


def test_weighted_kappa_equals_the_hand_computed_value():
    # Rater 1: 0 1 2 3 2, rater 2: 0 2 2 3 1. Observed mean squared distance: (0+1+0+0+1)/5 = 0.4. Both raters'
    # marginals are (.2, .2, .4, .2) at 0..3, mean 1.6, variance 3.6 - 1.6**2 = 1.04; the expected squared
    # distance of two independent draws is twice that, 2.08. Kappa = 1 - 0.4 / 2.08 = 21/26.
    assert weighted_kappa([0, 1, 2, 3, 2], [0, 2, 2, 3, 1], 4) == pytest.approx(21 / 26, abs=1e-12)
    # Quadratic weights: a disagreement of two levels costs four times one of one level.
    # 0/2 and 2/0 against 1/1 and 1/1: observed (4+4+0+0)/4 = 2; marginals (.25,.5,.25) each, variance .5,
    # expected 1.0; kappa = 1 - 2/1 = -1.
    assert weighted_kappa([0, 2, 1, 1], [2, 0, 1, 1], 3) == pytest.approx(-1.0)
    # Unused levels keep their distance: the same ratings on a 4-level scale, labels 0..3.
    assert weighted_kappa([0, 3], [0, 3], 4) == pytest.approx(1.0)


def test_kappa_is_undefined_when_both_raters_used_one_level():
    assert weighted_kappa([2, 2, 2], [2, 2, 2], 4) is None
    assert weighted_kappa([], [], 4) is None


def _at(days: float) -> datetime:
    return START + timedelta(days=days)


def _scoring(assessor: str, checks: str, reflection: str, day: float, lead: bool = False) -> Scoring:
    return Scoring(assessor, {"checks": checks, "reflection": reflection}, lead, _at(day))


def _record(n: int, first: Scoring, second: Scoring | None = None, *, decided_after: float | None = 3,
            lead: Scoring | None = None, key: str = "cfu") -> SubmissionRecord:
    scorings = tuple(s for s in (first, second, lead) if s is not None)
    submitted = first.at - timedelta(days=1)
    return SubmissionRecord(f"s{n}", key, RUBRIC, submitted,
                            submitted + timedelta(days=decided_after) if decided_after is not None else None,
                            decided_after is None, scorings)


def test_the_independent_pair_leaves_out_the_lead_and_a_second_score_by_the_same_assessor():
    a1 = _scoring("a", "proficient", "developing", 1)
    lead = _scoring("lead", "developing", "developing", 2, lead=True)
    b = _scoring("b", "developing", "developing", 3)
    assert independent_pair([b, lead, a1]) == (a1, b)
    assert independent_pair([a1, lead]) is None
    assert deciding_levels([a1, b, lead]) == lead.levels
    assert deciding_levels([a1, b]) == b.levels


def _fixture() -> list[SubmissionRecord]:
    """Twelve double-scored submissions in January (a and b: ten, a and c: two), levels chosen so every figure is
    countable by hand; two more single-scored ones decided in February."""
    records = []
    # Submissions 0-9 (a, b): checks agree exactly on 0-5, one level apart on 6-8, two apart on 9.
    checks = [("proficient", "proficient")] * 6 + [("proficient", "developing")] * 3 + [("exemplary", "developing")]
    for n, (first, second) in enumerate(checks):
        records.append(_record(n, _scoring("a", first, "developing", 1 + n),
                               _scoring("b", second, "developing", 1.5 + n), decided_after=2 + n))
    # Submissions 10, 11 (a, c): everything agrees, reflection not yet.
    for n in (10, 11):
        records.append(_record(n, _scoring("a", "proficient", "not-yet", 12), _scoring("c", "proficient", "not-yet", 13),
                               decided_after=20))
    # Single-scored, decided in February; the second one passes checks at developing: not yet on checks.
    records.append(_record(12, _scoring("a", "proficient", "proficient", 35), decided_after=1))
    records.append(_record(13, _scoring("b", "developing", "proficient", 36), decided_after=1))
    # Still waiting: one for 20 days (overdue at a 14-day SLA), one for 5 days.
    records.append(_record(14, _scoring("a", "proficient", "proficient", NOW.toordinal() - START.toordinal() - 19),
                           decided_after=None))
    records.append(SubmissionRecord("s15", "cfu", RUBRIC, NOW - timedelta(days=5), None, True, ()))
    return records


def test_agreement_kappa_rates_and_turnaround_equal_hand_computed_values():
    [figures] = compute(_fixture(), period=PERIOD, now=NOW, sla_days=14, min_cell=10)
    assert figures.double_scored == 12
    assert figures.decided == 14
    assert figures.double_scoring_rate == pytest.approx(12 / 14)

    checks, reflection = figures.criteria
    assert (checks.criterion, checks.name, reflection.criterion) == ("checks", "Varied checks", "reflection")
    # checks: 8 exact of 12 (0-5, 10, 11), 11 within one level (all but 9).
    assert checks.agreement.n == 12 and checks.agreement.pairs == 12
    assert checks.agreement.exact == float(Fraction(8, 12))
    assert checks.agreement.adjacent == float(Fraction(11, 12))
    # Positions: a = [2]*6 + [2]*3 + [3] + [2, 2], b/c = [2]*6 + [1]*3 + [1] + [2, 2].
    # Observed mean squared distance: (3*1 + 1*4) / 12 = 7/12. Marginals: a = 11/12 at 2, 1/12 at 3;
    # b/c = 8/12 at 2, 4/12 at 1. Expected: sum p_i q_j (i-j)^2 = (11/12)(4/12)(1) + (1/12)(8/12)(1) + (1/12)(4/12)(4)
    # = (44 + 8 + 16) / 144 = 68/144. Kappa = 1 - (7/12) / (68/144) = 1 - 84/68 = -16/68.
    assert checks.agreement.kappa == pytest.approx(1 - (7 / 12) / (68 / 144))
    # reflection: every pair agrees (developing x10, not-yet x2): exact 1, kappa 1 (two levels used).
    assert reflection.agreement.exact == 1.0 and reflection.agreement.kappa == pytest.approx(1.0)
    # Overall: 24 pairs, 20 exact, 23 adjacent.
    assert figures.agreement.pairs == 24
    assert figures.agreement.exact == float(Fraction(20, 24))
    assert figures.agreement.adjacent == float(Fraction(23, 24))
    # Not yet, by the deciding (latest) scores of the 14 decisions: reflection on 10 and 11; checks on 6-9
    # (b's developing, below proficient) and on 13.
    assert reflection.decided == 14 and reflection.not_yet_rate == pytest.approx(2 / 14)
    assert checks.not_yet_rate == pytest.approx(5 / 14)

    # Turnaround (days): 2..11 (0-9), 20, 20, 1, 1. Sorted: 1 1 2 3 4 5 6 7 8 9 10 11 20 20. Median (6+7)/2.
    turnaround = figures.turnaround
    assert turnaround.n == 14 and turnaround.median_days == pytest.approx(6.5)
    # 90th percentile, inclusive: position 0.9 * 13 = 11.7 -> 11 + 0.7 * (20 - 11) = 17.3.
    assert turnaround.p90_days == pytest.approx(17.3)
    assert turnaround.within_sla == pytest.approx(12 / 14)
    assert sum(b.count for b in turnaround.bins) == 14
    # Bins of ceil(14 / 7) = 2 days up to twice the SLA, then one open bin: 1 1 | 2 3 | 4 5 | ... | 20 20 | ...
    assert [(b.from_days, b.to_days, b.count) for b in turnaround.bins[:3]] == [(0, 2, 2), (2, 4, 2), (4, 6, 2)]
    assert [(b.from_days, b.count) for b in turnaround.bins if b.count and b.from_days >= 12] == [(20, 2)]
    assert turnaround.bins[-1].to_days is None and turnaround.bins[-1].from_days == 28
    assert [b.within_sla for b in turnaround.bins] == [True] * 7 + [False] * 8
    assert [o.submission for o in figures.overdue] == ["s14"]
    assert figures.overdue[0].days_waiting == pytest.approx(20)


def test_cells_below_the_minimum_are_suppressed_with_their_neighbours():
    [figures] = compute(_fixture(), period=PERIOD, now=NOW, sla_days=14, min_cell=10)
    by_assessor = {a.assessor: a.agreement for a in figures.assessors}
    # a: 12 double-scored submissions, b: 10, c: 2. c is below the minimum; b is the next smallest and is hidden
    # too, or a's figures minus b's would give c's.
    assert by_assessor["a"].n == 12 and not by_assessor["a"].suppressed and by_assessor["a"].exact is not None
    for name in ("b", "c"):
        cell = by_assessor[name]
        assert cell.suppressed and (cell.exact, cell.adjacent, cell.kappa) == (None, None, None)
    # All twelve pairs fall in January: one month, shown.
    assert [(m.month, m.agreement.n, m.agreement.suppressed) for m in figures.months] == [("2026-01", 12, False)]

    [small] = compute(_fixture(), period=PERIOD, now=NOW, sla_days=14, min_cell=13)
    assert small.agreement.suppressed and small.agreement.kappa is None
    assert all(c.agreement.suppressed and c.agreement.exact is None for c in small.criteria)
    assert small.turnaround.median_days is not None  # 14 decisions: at the minimum of 13
    [tiny] = compute(_fixture(), period=PERIOD, now=NOW, sla_days=14, min_cell=15)
    assert tiny.turnaround.suppressed and tiny.turnaround.median_days is None and tiny.turnaround.bins == ()
    assert all(c.not_yet_rate is None for c in tiny.criteria) and tiny.double_scoring_rate is None
    assert [o.submission for o in tiny.overdue] == ["s14"]  # the work list is never suppressed


def test_the_period_counts_pairs_by_their_second_score_and_decisions_by_their_date():
    february = Period(datetime(2026, 2, 1, tzinfo=timezone.utc), datetime(2026, 3, 1, tzinfo=timezone.utc))
    [figures] = compute(_fixture(), period=february, now=NOW, sla_days=14, min_cell=1)
    assert figures.double_scored == 0 and figures.agreement.kappa is None
    # Decided in February: 12 and 13 (days 36, 37), and 10, 11 (submitted day 11, decided day 31).
    assert figures.decided == 4


def test_recorded_deciding_levels_win_over_the_latest_assessment():
    first, second = _scoring("a", "proficient", "developing", 1), _scoring("b", "developing", "developing", 2)
    latest = _record(0, first, second)
    recorded = SubmissionRecord("s1", "cfu", RUBRIC, latest.submitted_at, latest.decided_at, False, latest.scorings,
                                decided_levels={"checks": "proficient", "reflection": "developing"})
    [by_latest] = compute([latest], period=PERIOD, now=NOW, min_cell=1)
    [by_record] = compute([recorded], period=PERIOD, now=NOW, min_cell=1)
    assert by_latest.criteria[0].not_yet_rate == 1.0  # b's developing is below proficient
    assert by_record.criteria[0].not_yet_rate == 0.0
