"""The rubric outcome of a credential: for each rubric criterion, the level the teacher reached against the level
required, read from the credential's JSON.

``rubric_outcome(credential_json)`` works on the JSON, not on the models of ``mcbadge.vc.models``, because the
verifier evaluates credentials issued by anyone; it reports what it cannot evaluate instead of raising.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from .json_values import as_list

__all__ = ["CriterionOutcome", "RubricOutcome", "RubricProblem", "rubric_outcome"]


@dataclass(frozen=True)
class CriterionOutcome:
    """One rubric criterion: the level reached, the level required, and whether the first meets the second.

    ``ordering`` says how levels were ranked: ``"points"`` or ``"position"`` (see ``rubric_outcome``).
    """

    result_description_id: str
    name: str
    achieved_level: str
    required_level: str
    met: bool
    ordering: Literal["points", "position"]


@dataclass(frozen=True)
class RubricProblem:
    """A rubric result the verifier could not evaluate (dangling id, missing level...), in words."""

    result_description_id: str | None
    message: str


@dataclass(frozen=True)
class RubricOutcome:
    """The rubric results of a credential. ``met`` is True only when at least one criterion was evaluated,
    every evaluated criterion is met and nothing could not be evaluated (``problems`` is empty)."""

    criteria: tuple[CriterionOutcome, ...] = ()
    problems: tuple[RubricProblem, ...] = ()
    met: bool = field(init=False)

    def __post_init__(self) -> None:
        met = bool(self.criteria) and not self.problems and all(c.met for c in self.criteria)
        object.__setattr__(self, "met", met)




def _as_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return None


def _points(level: Mapping[str, Any]) -> Decimal | None:
    raw = level.get("points")
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _rank(levels: list[Mapping[str, Any]]) -> tuple[dict[str, Decimal | int], Literal["points", "position"]]:
    """How high each level id ranks.

    By ``points`` when every level has distinct numeric points (rubrics are often printed highest-first, and
    points are unambiguous); otherwise by position in the list, lowest first — the order OB 3.0 prescribes
    for ``allowedValue`` and the order mcbadge emits. ``level`` is free text ("Mastered") and never used.
    """
    ids = [_as_str(level.get("id")) or "" for level in levels]
    points = [_points(level) for level in levels]
    if points and all(p is not None for p in points) and len(set(points)) == len(points):
        return {i: p for i, p in zip(ids, points, strict=True) if p is not None}, "points"
    return {i: pos for pos, i in enumerate(ids)}, "position"


def _subjects(credential: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for subject in as_list(credential.get("credentialSubject")):
        if isinstance(subject, Mapping):
            yield subject


def rubric_outcome(credential: Mapping[str, Any]) -> RubricOutcome:
    """Evaluate every rubric result of a credential (JSON) against its required level.

    A result is a rubric result when its ``resultDescription`` names a ResultDescription of the subject's
    achievement whose ``resultType`` is ``RubricCriterionLevel``; results pointing to other descriptions, or
    to none, are ignored. Level ranking: see ``_rank`` (points if all distinct and numeric, else list order
    lowest → highest). Anything that cannot be evaluated — an unknown description or level id, a missing
    ``requiredLevel``, a rubric criterion without any result — becomes a ``RubricProblem``; this function
    never raises on malformed input, because the verifier reports instead of crashing.
    """
    criteria: list[CriterionOutcome] = []
    problems: list[RubricProblem] = []
    for subject in _subjects(credential):
        achievement = subject.get("achievement")
        descriptions: dict[str, Mapping[str, Any]] = {}
        if isinstance(achievement, Mapping):
            for rd in as_list(achievement.get("resultDescription")):
                rd_id = _as_str(rd.get("id")) if isinstance(rd, Mapping) else None
                if rd_id is not None:
                    descriptions[rd_id] = rd
        rubric_ids = {i for i, rd in descriptions.items() if rd.get("resultType") == "RubricCriterionLevel"}
        evaluated: set[str] = set()
        for index, result in enumerate(as_list(subject.get("result"))):
            if not isinstance(result, Mapping):
                continue
            rd_id = _as_str(result.get("resultDescription"))
            if rd_id is None:
                continue
            rd = descriptions.get(rd_id)
            if rd is None:
                problems.append(RubricProblem(rd_id, f"result[{index}] points to an unknown resultDescription"))
                continue
            if rd_id not in rubric_ids:
                continue
            evaluated.add(rd_id)
            outcome = _evaluate(rd_id, rd, result, index)
            if isinstance(outcome, RubricProblem):
                problems.append(outcome)
            else:
                criteria.append(outcome)
        for rd_id in sorted(rubric_ids - evaluated):
            name = _as_str(descriptions[rd_id].get("name")) or rd_id
            problems.append(RubricProblem(rd_id, f"rubric criterion {name!r} has no result"))
    return RubricOutcome(criteria=tuple(criteria), problems=tuple(problems))


def _evaluate(
    rd_id: str, rd: Mapping[str, Any], result: Mapping[str, Any], index: int
) -> CriterionOutcome | RubricProblem:
    levels = [lvl for lvl in as_list(rd.get("rubricCriterionLevel")) if isinstance(lvl, Mapping)]
    by_id = {i: lvl for lvl in levels if (i := _as_str(lvl.get("id"))) is not None}
    achieved_id = _as_str(result.get("achievedLevel"))
    required_id = _as_str(rd.get("requiredLevel"))
    if achieved_id is None:
        return RubricProblem(rd_id, f"result[{index}] has no achievedLevel")
    if achieved_id not in by_id:
        return RubricProblem(rd_id, f"result[{index}] achievedLevel {achieved_id!r} is not a level of {rd_id!r}")
    if required_id is None:
        return RubricProblem(rd_id, f"resultDescription {rd_id!r} has no requiredLevel")
    if required_id not in by_id:
        return RubricProblem(rd_id, f"requiredLevel {required_id!r} is not a level of {rd_id!r}")
    ranks, ordering = _rank(levels)
    return CriterionOutcome(
        result_description_id=rd_id,
        name=_as_str(rd.get("name")) or rd_id,
        achieved_level=_as_str(by_id[achieved_id].get("name")) or achieved_id,
        required_level=_as_str(by_id[required_id].get("name")) or required_id,
        met=ranks[achieved_id] >= ranks[required_id],
        ordering=ordering,
    )
