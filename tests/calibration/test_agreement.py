"""Exact and adjacent agreement with the master scores, against figures computed by hand."""

from __future__ import annotations

from fractions import Fraction

from mcbadge.calibration.agreement import ScoredAnchor, agreement, percent

LEVELS = ["beginning", "developing", "proficient", "exemplary"]
CRITERIA = ["c1", "c2", "c3"]


def _anchor(master: dict[str, str], scored: dict[str, str], criteria: list[str] = CRITERIA,
            levels: list[str] = LEVELS) -> ScoredAnchor:
    return ScoredAnchor(levels=levels, criteria=criteria, master=master, scored=scored)


# Three anchors, three criteria. By hand (E exact, A adjacent only, X two or more levels apart):
#            c1   c2   c3
#   anchor A  E    A    E
#   anchor B  A    E    E
#   anchor C  E    X    E
# c1: exact 2/3, adjacent 3/3; c2: exact 1/3, adjacent 2/3; c3: exact 3/3, adjacent 3/3.
# Overall: exact 6/9 = 66.7 %, adjacent 8/9 = 88.9 %.
SET = [
    _anchor({"c1": "proficient", "c2": "developing", "c3": "exemplary"},
            {"c1": "proficient", "c2": "proficient", "c3": "exemplary"}),
    _anchor({"c1": "developing", "c2": "developing", "c3": "proficient"},
            {"c1": "beginning", "c2": "developing", "c3": "proficient"}),
    _anchor({"c1": "exemplary", "c2": "beginning", "c3": "proficient"},
            {"c1": "exemplary", "c2": "proficient", "c3": "proficient"}),
]


def test_per_criterion_and_overall_agreement_equal_the_hand_computed_figures():
    result = agreement(SET)
    assert [(c.criterion, c.pairs, c.exact, c.adjacent) for c in result.criteria] == [
        ("c1", 3, 2, 3), ("c2", 3, 1, 2), ("c3", 3, 3, 3)]
    assert (result.pairs, result.exact, result.adjacent) == (9, 6, 8)
    assert result.exact_share == Fraction(2, 3) and result.adjacent_share == Fraction(8, 9)
    assert (percent(result.exact_share), percent(result.adjacent_share)) == (66, 88)
    assert [percent(c.exact_share) for c in result.criteria] == [66, 33, 100]


def test_the_threshold_is_compared_exactly():
    result = agreement(SET)
    assert not result.qualifies(80, None)  # the issuer's default: 66.7 % exact is not enough
    assert result.qualifies(66, None) and not result.qualifies(67, None)
    assert result.qualifies(60, 88) and not result.qualifies(60, 89)  # 88.9 % within one level
    # 4 of 5 exact is 80 % exactly, and 80 % qualifies: no floating-point shortfall at the boundary.
    five = ["a", "b", "c", "d", "e"]
    master = dict.fromkeys(five, "proficient")
    boundary = agreement([_anchor(master, {**master, "e": "developing"}, criteria=five)])
    assert (boundary.exact, boundary.pairs) == (4, 5)
    assert boundary.qualifies(80, 100) and not boundary.qualifies(81, None)


def test_a_missing_or_unknown_level_is_a_disagreement_and_an_empty_set_never_qualifies():
    result = agreement([_anchor({"c1": "proficient", "c2": "proficient", "c3": "proficient"},
                                {"c1": "proficient", "c2": "superb"})])
    assert [(c.exact, c.adjacent) for c in result.criteria] == [(1, 1), (0, 0), (0, 0)]
    assert not agreement([]).qualifies(1, None)


def test_anchors_of_different_versions_are_compared_on_their_own_rubrics():
    # Version 2 added a criterion and a level: each anchor is placed on its own scale.
    v2_levels = ["beginning", "emerging", "developing", "proficient", "exemplary"]
    result = agreement([
        _anchor({"c1": "developing", "c2": "developing", "c3": "developing"},
                {"c1": "proficient", "c2": "developing", "c3": "beginning"}),
        _anchor({"c1": "developing", "c2": "proficient", "c3": "emerging", "c4": "exemplary"},
                {"c1": "emerging", "c2": "proficient", "c3": "beginning", "c4": "developing"},
                criteria=["c1", "c2", "c3", "c4"], levels=v2_levels),
    ])
    # c1: v1 adjacent, v2 adjacent; c2: exact, exact; c3: v1 one apart, v2 one apart; c4: v2 two apart.
    assert [(c.criterion, c.pairs, c.exact, c.adjacent) for c in result.criteria] == [
        ("c1", 2, 0, 2), ("c2", 2, 2, 2), ("c3", 2, 0, 2), ("c4", 1, 0, 0)]
