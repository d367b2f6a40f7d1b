"""The rules of double scoring, as plain functions of a rubric and scores (no database, no HTTP).

Which submissions are double-scored (decided when the first score arrives, in this order of reasons):

- ``issuer_rule``: the issuer double-scores every submission (``Issuer.second_scoring``).
- ``sampled``: a seeded draw picks a share of submissions at random. The draw is
  ``int(HMAC-SHA256(issuer seed, submission id bytes)[:8], big-endian) mod 10000``; the submission is sampled
  when the draw is below ``percent x 100``. It depends only on the issuer's seed and the submission's id, so
  nobody can steer it by scoring, timing or retrying, and anyone given the seed can recompute every choice
  (the draw and the rate in force are recorded on the submission and in the audit log either way).
- ``borderline``: the first score is borderline. A criterion is borderline when a one-level difference
  would change whether it reaches its required level, that is when its level IS the required level or the
  level just below it. A submission is borderline when any criterion is. (The rubric, not the assessor,
  computes pass / not yet here, so "the first scorer's decision differs from what the rubric computes"
  cannot happen and is not a separate case.)

The rate and the borderline switch come from the micro-credential's ``ScoringPolicy``, else from the issuer's
defaults (``second_scoring_percent``, ``second_score_borderline``).

How two independent scores of one criterion combine (:func:`compare`):

- the same level: ``agreed``, that level decides;
- one level apart and on the same side of the required level (both reach it, or neither does): ``adjacent``,
  the LOWER level decides (the credential claims no more than both assessors found);
- otherwise (more than one level apart, or one reaches the required level and the other does not):
  ``disputed``. Any disputed criterion sends the submission to a lead assessor, who sees both scores and
  scores every criterion; the lead's levels then decide every criterion (source ``lead``).

One assessor alone (no double scoring): their levels decide (source ``single``).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Reason = Literal["issuer_rule", "sampled", "borderline"]
Source = Literal["single", "agreed", "adjacent", "lead"]
Agreement = Literal["agreed", "adjacent", "disputed"]

DRAW_RANGE = 10_000
"""Draws run 0-9999, so a rate is honoured to a hundredth of a percent."""


def level_order(rubric: Mapping[str, Any]) -> dict[str, int]:
    """Level key -> its position (the rubric lists levels lowest first)."""
    return {level["key"]: i for i, level in enumerate(rubric.get("levels", []))}


def required_levels(rubric: Mapping[str, Any]) -> dict[str, str]:
    """Criterion key -> its required level, in the rubric's order."""
    return {c["key"]: c["required_level"] for c in rubric.get("criteria", [])}


def passes(rubric: Mapping[str, Any], scores: Mapping[str, str]) -> bool:
    """Every criterion at or above its required level."""
    order = level_order(rubric)
    return all(order[scores[key]] >= order[required] for key, required in required_levels(rubric).items())


def sampling_draw(seed: bytes, submission_id: uuid.UUID) -> int:
    """The seeded draw of a submission, 0-9999 (module docstring)."""
    mac = hmac.new(seed, submission_id.bytes, hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") % DRAW_RANGE


def sampled(draw: int, percent: int) -> bool:
    """Whether a draw falls under a rate of ``percent`` (0-100)."""
    return draw < percent * (DRAW_RANGE // 100)


def borderline_criteria(rubric: Mapping[str, Any], scores: Mapping[str, str]) -> list[str]:
    """The criteria whose level is their required level or the one just below it (module docstring)."""
    order = level_order(rubric)
    return [key for key, required in required_levels(rubric).items()
            if order[scores[key]] in (order[required], order[required] - 1)]


def double_scoring_reason(*, issuer_rule: bool, draw: int | None, percent: int, borderline: bool,
                          rubric: Mapping[str, Any], first_scores: Mapping[str, str]) -> Reason | None:
    """Why a submission with ``first_scores`` is double-scored, or None (module docstring, in its order)."""
    if issuer_rule:
        return "issuer_rule"
    if draw is not None and sampled(draw, percent):
        return "sampled"
    if borderline and borderline_criteria(rubric, first_scores):
        return "borderline"
    return None


@dataclass(frozen=True)
class CriterionComparison:
    criterion: str
    required_level: str
    first: str
    second: str
    agreement: Agreement
    deciding: str | None
    """The level that decides when the two agree (None when disputed: the lead decides)."""


def compare(rubric: Mapping[str, Any], first: Mapping[str, str],
            second: Mapping[str, str]) -> list[CriterionComparison]:
    """Two independent scores, criterion by criterion, in the rubric's order (module docstring)."""
    order = level_order(rubric)
    out = []
    for key, required in required_levels(rubric).items():
        a, b = first[key], second[key]
        same_side = (order[a] >= order[required]) == (order[b] >= order[required])
        if a == b:
            agreement: Agreement = "agreed"
            deciding: str | None = a
        elif abs(order[a] - order[b]) == 1 and same_side:
            agreement, deciding = "adjacent", min(a, b, key=order.__getitem__)
        else:
            agreement, deciding = "disputed", None
        out.append(CriterionComparison(key, required, a, b, agreement, deciding))
    return out


def agreed_scores(comparisons: list[CriterionComparison]) -> tuple[dict[str, str], dict[str, Source]] | None:
    """The deciding scores and their sources when no criterion is disputed; None when a lead must decide."""
    if any(c.deciding is None for c in comparisons):
        return None
    scores = {c.criterion: c.deciding for c in comparisons if c.deciding is not None}
    sources: dict[str, Source] = {c.criterion: "agreed" if c.agreement == "agreed" else "adjacent"
                                  for c in comparisons}
    return scores, sources
