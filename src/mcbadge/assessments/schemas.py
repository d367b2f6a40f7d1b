"""Request and response bodies of assignments and assessments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..catalog.schemas import Key
from ..db.models import SubmissionStatus


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignmentCreate(_Strict):
    """Assign an assessor (trained for the micro-credential, and not the submitter) to a submission."""

    assessor_id: uuid.UUID


class AssignmentRead(_Strict):
    id: uuid.UUID
    submission_id: uuid.UUID
    assessor_id: uuid.UUID
    assigned_at: datetime


class AssessmentCreate(_Strict):
    """A level for every rubric criterion, and feedback per criterion (required below the required level)."""

    scores: dict[Key, Key] = Field(description="{criterion key: level key}, every criterion of the rubric.")
    feedback: dict[Key, Annotated[str, Field(max_length=20_000)]] = Field(
        default_factory=dict, description="{criterion key: text}; required for each criterion below its required level.")


class AssessmentRead(_Strict):
    id: uuid.UUID
    submission_id: uuid.UUID
    assessor_id: uuid.UUID
    scores: dict[str, str]
    feedback: dict[str, str]
    passed: bool = Field(description="This assessment's own outcome: every criterion at or above its required level.")
    lead_decision: bool = Field(description="A lead assessor's assessment that settled a disagreement.")
    created_at: datetime
    submission_status: SubmissionStatus = Field(
        description="The submission after this assessment: still 'submitted' while a second score or a lead "
                    "decision is awaited, else 'not_yet', 'passed' or (auto-approved) 'awarded'.")


ScoringStage = Literal["not_submitted", "first_score", "second_score", "lead_decision", "decided"]


class CriterionScoring(_Strict):
    """One criterion of a submission's scoring: the independent scores, how they compare, what decides."""

    criterion: str
    required_level: str
    first: str | None = Field(description="The first independent score (None: not scored yet).")
    second: str | None = Field(description="The second independent score (double scoring only).")
    agreement: Literal["agreed", "adjacent", "disputed"] | None = Field(
        description="agreed: the same level; adjacent: one level apart on the same side of the required level "
                    "(the lower decides); disputed: anything else (a lead decides). None until both scored.")
    lead: str | None = Field(description="The lead assessor's level, when a lead decided.")
    deciding: str | None = Field(description="The level that decides (what the credential reports), once it stands.")
    source: Literal["single", "agreed", "adjacent", "lead"] | None


class ScoringRead(_Strict):
    """How a submission is being scored: whether and why it is double-scored, and the scores per criterion
    (no assessor is named). The rules: mcbadge.assessments.scoring."""

    submission_id: uuid.UUID
    stage: ScoringStage = Field(description="What the submission waits for.")
    double_scored: bool
    reason: Literal["issuer_rule", "sampled", "borderline"] | None = Field(
        description="Why it is double-scored (known once the first score arrived).")
    sampling_percent: int | None = Field(description="The second-scoring rate in force at the first score.")
    sampling_draw: int | None = Field(
        description="The seeded draw (0-9999): sampled when below sampling_percent x 100.")
    criteria: list[CriterionScoring]


class ScoringPolicyWrite(_Strict):
    """The double-scoring rule of one micro-credential key (every version); overrides the issuer's defaults."""

    second_scoring_percent: Annotated[int, Field(ge=0, le=100)] = Field(
        description="Share of submissions drawn at random (seeded, auditable) for a second scoring.")
    second_score_borderline: bool = Field(
        description="Also double-score every borderline submission: a criterion scored at its required level "
                    "or one level below it.")


class ScoringPolicyRead(ScoringPolicyWrite):
    microcredential_key: str
    updated_at: datetime


class ScoringPolicies(_Strict):
    """The issuer's double-scoring rules: its defaults, the rules per micro-credential, and the draw's seed."""

    every_submission: bool = Field(description="The issuer rule (PATCH /api/v1/issuer second_scoring): every "
                                               "submission is double-scored.")
    default_second_scoring_percent: int
    default_second_score_borderline: bool
    sampling_seed: str = Field(
        description="Hex. A submission's draw is int(HMAC-SHA256(seed, submission UUID's 16 bytes)[:8]) mod "
                    "10000 (big-endian): anyone given the seed can recompute every choice.")
    policies: list[ScoringPolicyRead]
