"""Request and response bodies of assignments and assessments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

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
