"""Agreement of an assessor's calibration scores with the master scores: exact and adjacent, per criterion
and over the whole set, and the qualification decision against the issuer's thresholds.

Plain counting, on purpose: exact agreement is the share of (anchor, criterion) pairs where the assessor
chose the master's level, adjacent agreement the share within one level (rubric levels are ordered, lowest
first). Both are proportions of matches, which no statistics library computes better than a count does
(scikit-learn's ``accuracy_score`` is the exact one, and has no adjacent form); the chance-corrected
coefficients those libraries exist for (Cohen's weighted kappa) belong to the reliability figures over real
double-scored work, not to a calibration set of a few anchors with known answers. Shares are kept as
``Fraction`` so that a threshold is compared exactly: 4 of 5 is 80 %, not 79.999...

Pure: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Agreement", "CriterionAgreement", "ScoredAnchor", "agreement", "percent"]


@dataclass(frozen=True)
class ScoredAnchor:
    """One anchor as calibration compares it: its rubric's levels (lowest first) and criteria (in order), and
    the master's level and the assessor's per criterion. Anchors of one set may come from different versions
    of the micro-credential, so each carries its own rubric."""

    levels: Sequence[str]
    criteria: Sequence[str]
    master: Mapping[str, str]
    scored: Mapping[str, str]


@dataclass(frozen=True)
class _Counts:
    """Pairs of scores compared, and how many agreed exactly and within one level; shares as exact fractions."""

    pairs: int
    exact: int
    adjacent: int

    @property
    def exact_share(self) -> Fraction:
        return Fraction(self.exact, self.pairs) if self.pairs else Fraction(0)

    @property
    def adjacent_share(self) -> Fraction:
        return Fraction(self.adjacent, self.pairs) if self.pairs else Fraction(0)


@dataclass(frozen=True, kw_only=True)
class CriterionAgreement(_Counts):
    criterion: str


@dataclass(frozen=True, kw_only=True)
class Agreement(_Counts):
    """Agreement over a calibration set: per criterion (in the rubric's order) and over every pair."""

    criteria: tuple[CriterionAgreement, ...]

    def qualifies(self, exact_percent: int, adjacent_percent: int | None) -> bool:
        """At least ``exact_percent`` % exact agreement overall, and ``adjacent_percent`` % within one level
        when the issuer asks for it too. An empty set never qualifies."""
        if not self.pairs:
            return False
        if self.exact_share * 100 < exact_percent:
            return False
        return adjacent_percent is None or self.adjacent_share * 100 >= adjacent_percent


def agreement(anchors: Sequence[ScoredAnchor]) -> Agreement:
    """Compare each anchor's scores with its master scores, criterion by criterion (criteria in the order they
    first appear), levels placed by their position in the anchor's rubric. A criterion the master or the
    assessor left without a known level counts as a disagreement, never as agreement."""
    criteria = list(dict.fromkeys(c for anchor in anchors for c in anchor.criteria))
    rows: list[CriterionAgreement] = []
    for criterion in criteria:
        pairs = exact = adjacent = 0
        for anchor in anchors:
            if criterion not in anchor.criteria:
                continue  # this anchor's version has no such criterion: not a pair
            pairs += 1
            position = {level: i for i, level in enumerate(anchor.levels)}
            master = position.get(anchor.master.get(criterion, ""))
            scored = position.get(anchor.scored.get(criterion, ""))
            if master is None or scored is None:
                continue
            exact += master == scored
            adjacent += abs(master - scored) <= 1
        rows.append(CriterionAgreement(criterion=criterion, pairs=pairs, exact=exact, adjacent=adjacent))
    return Agreement(criteria=tuple(rows), pairs=sum(r.pairs for r in rows), exact=sum(r.exact for r in rows),
                     adjacent=sum(r.adjacent for r in rows))


def percent(share: Fraction) -> int:
    """A share as a whole percentage, rounded down (what a credential states: never more than was reached)."""
    return int(share * 100)
