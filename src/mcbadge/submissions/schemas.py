"""Request and response bodies of submissions and their evidence."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..catalog.schemas import Key
from ..db.models import SubmissionStatus


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmissionCreate(_Strict):
    """Start an attempt at a micro-credential: the id of its newest published version."""

    microcredential_id: uuid.UUID
    carry_forward: bool = Field(
        default=False,
        description="Start from the evidence of the previous attempt, which ended 'not yet': its files by digest "
                    "(no re-upload), links and reflections as they were, each marked carried_from. Replace only "
                    "what the feedback asked for (delete an item, add its replacement). Items whose requirement "
                    "this version no longer has, or whose reflection no longer fits its word limits, stay behind.")
    renewal_of: uuid.UUID | None = Field(
        default=None, description="Renew this credential of yours (one that expires, of the same micro-credential "
                                  "key, not revoked, not renewed yet): the attempt is the re-assessment its issuer "
                                  "requires, and its award is linked to it. Allowed while that credential's attempt "
                                  "is awarded.")


class EvidenceCreate(_Strict):
    """A URL or a written reflection for one requirement (files are uploaded to ``.../evidence/files``)."""

    requirement: Key = Field(description="The key of the requirement this evidence answers.")
    kind: Literal["url", "reflection"]
    url: Annotated[str, Field(min_length=1, max_length=2000)] | None = Field(
        default=None, description="For kind 'url': an http(s) URL.")
    text: Annotated[str, Field(min_length=1, max_length=100_000)] | None = Field(
        default=None, description="For kind 'reflection': the text (its words are counted).")

    @model_validator(mode="after")
    def _one_value(self) -> EvidenceCreate:
        if self.kind == "url" and (self.url is None or self.text is not None):
            raise ValueError("kind 'url' takes a url and no text")
        if self.kind == "reflection" and (self.text is None or self.url is not None):
            raise ValueError("kind 'reflection' takes a text and no url")
        return self


class EvidenceRead(_Strict):
    id: uuid.UUID
    requirement: str
    kind: Literal["file", "url", "reflection"]
    filename: str | None = None
    media_type: str | None = None
    size: int | None = None
    sha256: str | None = Field(default=None, description="SHA-256 (hex) of the file's bytes.")
    content_url: str | None = Field(default=None, description="Where the file's bytes can be read.")
    url: str | None = None
    text: str | None = None
    carried_from: uuid.UUID | None = Field(default=None, description="The evidence item of the previous attempt "
                                                                     "this one was carried forward from.")
    created_at: datetime


class AssessmentView(_Strict):
    """An assessment of the attempt. Educators see scores and feedback, not who assessed."""

    id: uuid.UUID
    assessor_id: uuid.UUID | None
    scores: dict[str, Any]
    feedback: dict[str, Any]
    passed: bool
    lead_decision: bool
    created_at: datetime


class SubmissionSummary(_Strict):
    id: uuid.UUID
    microcredential_id: uuid.UUID
    microcredential_key: str
    microcredential_version: int
    educator_id: uuid.UUID
    attempt: int = Field(description="1 for the first attempt at this micro-credential key, then 2, 3, ...")
    status: SubmissionStatus
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    renewal_of: uuid.UUID | None = Field(default=None, description="The credential this attempt renews.")


class SubmissionRead(SubmissionSummary):
    """An attempt with its evidence, and the assessments the caller may see."""

    evidence: list[EvidenceRead]
    assessments: list[AssessmentView]


class EvidenceChange(_Strict):
    """One evidence item compared across two attempts, by requirement, kind and digest."""

    requirement: str
    kind: Literal["file", "url", "reflection"]
    sha256: str = Field(description="SHA-256 (hex) of a file's bytes, of a reflection's UTF-8 text, or of a link's "
                                    "URL as written (the service does not fetch links).")
    evidence_id: uuid.UUID | None = Field(description="The item in this attempt (added and kept).")
    previous_evidence_id: uuid.UUID | None = Field(description="The item in the previous attempt (kept and removed).")
    filename: str | None = None
    carried_forward: bool = Field(description="Kept by carrying the previous item forward (not uploaded again).")


class PreviousAttempt(_Strict):
    submission_id: uuid.UUID
    attempt: int
    status: SubmissionStatus
    decided_at: datetime | None
    feedback: dict[str, list[str]] = Field(description="{criterion: the feedback texts}: what the previous "
                                                       "assessment asked for.")


class EvidenceChanges(_Strict):
    """What changed in an attempt's evidence since the educator's previous attempt at the micro-credential."""

    submission_id: uuid.UUID
    attempt: int
    previous: PreviousAttempt | None = Field(description="None for a first attempt (everything is added).")
    added: list[EvidenceChange]
    kept: list[EvidenceChange]
    removed: list[EvidenceChange]
