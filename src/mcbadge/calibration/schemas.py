"""Request and response bodies of calibration: anchors, calibration sets, and their agreement."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from ..catalog.schemas import Key
from ..db.models import CalibrationStatus

Title = Annotated[str, Field(min_length=1, max_length=200)]
Level = Annotated[str, Field(min_length=1, max_length=100)]
Scores = Annotated[dict[Key, Level], Field(max_length=50, description="A level key per rubric criterion key.")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnchorEvidence(_Strict):
    """One piece of exemplar evidence for one requirement: a stored file (by its SHA-256, e.g. from a past
    submission shared with consent), a link, or a written reflection."""

    requirement: Key
    kind: Literal["file", "url", "reflection"]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    filename: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    url: HttpUrl | None = None
    text: Annotated[str, Field(min_length=1, max_length=20000)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> AnchorEvidence:
        given = {"file": self.sha256, "url": self.url, "reflection": self.text}
        if given[self.kind] is None:
            raise ValueError(f"a {self.kind} needs its {'sha256' if self.kind == 'file' else 'url' if self.kind == 'url' else 'text'}")
        if any(value is not None for kind, value in given.items() if kind != self.kind):
            raise ValueError(f"a {self.kind} carries only its own content")
        return self


class AnchorCreate(_Strict):
    """An anchor submission: exemplar evidence of a published micro-credential version, the master level for
    every rubric criterion, and why (shown to assessors after their calibration set)."""

    microcredential_id: uuid.UUID = Field(description="The published version whose rubric the master scores follow.")
    title: Title
    evidence: Annotated[list[AnchorEvidence], Field(min_length=1, max_length=20)]
    master_scores: Scores
    rationale: Annotated[dict[Key, Annotated[str, Field(min_length=1, max_length=5000)]], Field(max_length=50)] = Field(
        description="Why the master level, for every criterion.")


class AnchorUpdate(_Strict):
    active: bool = Field(description="False retires the anchor: it is drawn into no new calibration set.")


class AnchorRead(_Strict):
    """An anchor as admins see it, master scores included."""

    id: uuid.UUID
    microcredential_id: uuid.UUID
    microcredential_key: str
    version: int
    title: str
    evidence: list[dict[str, Any]]
    master_scores: dict[str, str]
    rationale: dict[str, str]
    active: bool
    created_at: datetime


class AttemptCreate(_Strict):
    """Start calibrating for a micro-credential key (an assessor trained for it)."""

    microcredential_key: Key


class CalibrationScoreCreate(_Strict):
    """The assessor's level for every rubric criterion of one anchor of their set."""

    anchor_id: uuid.UUID
    scores: Scores


class AttemptAnchor(_Strict):
    """An anchor of a calibration set, as its assessor sees it: the master scores and rationale only once the
    set is complete."""

    id: uuid.UUID
    title: str
    version: int
    rubric: dict[str, Any]
    evidence: list[dict[str, Any]]
    your_scores: dict[str, str] | None
    master_scores: dict[str, str] | None = None
    rationale: dict[str, str] | None = None


class CriterionAgreementRead(_Strict):
    criterion: str
    pairs: int
    exact: int
    adjacent: int
    exact_percent: int
    adjacent_percent: int


class AgreementRead(_Strict):
    """Agreement of the set with the master scores, and the issuer's thresholds it was decided against."""

    pairs: int
    exact: int
    adjacent: int
    exact_percent: int = Field(description="Rounded down.")
    adjacent_percent: int = Field(description="Rounded down.")
    required_exact_percent: int
    required_adjacent_percent: int | None
    qualified: bool
    criteria: list[CriterionAgreementRead]


class AttemptRead(_Strict):
    """A calibration set: its anchors, how far the assessor got, and once complete the agreement and outcome
    (a qualification, or the master rationale and another set to try)."""

    id: uuid.UUID
    assessor_id: uuid.UUID
    microcredential_key: str
    status: CalibrationStatus
    anchors: list[AttemptAnchor]
    scored: int
    agreement: AgreementRead | None
    qualification_id: uuid.UUID | None
    qualification_url: str | None
    created_at: datetime
    completed_at: datetime | None
