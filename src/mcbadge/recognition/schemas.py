"""Request and response bodies of the recognition registry routes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..limits import MAX_COLUMN_INTEGER

Text = Annotated[str, Field(min_length=1, max_length=500)]


class MicroCredentialRef(BaseModel):
    """A micro-credential version of an issuer on this service: the service computes its definition digest."""

    model_config = ConfigDict(extra="forbid")

    issuer: Annotated[str, Field(min_length=1, max_length=64, description="The issuer's slug on this service.")]
    key: Annotated[str, Field(min_length=1, max_length=100)]
    version: Annotated[int, Field(ge=1, le=MAX_COLUMN_INTEGER)]


class Credit(BaseModel):
    """What the entry counts toward renewal: ``count`` of ``required`` micro-credentials, or ``hours``."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["count", "hours"]
    count: Annotated[int, Field(ge=1, le=MAX_COLUMN_INTEGER)] | None = None
    required: Annotated[int, Field(ge=1, le=MAX_COLUMN_INTEGER)] | None = None
    hours: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _complete(self) -> Credit:
        if self.kind == "count" and (self.count is None or self.required is None or self.hours is not None):
            raise ValueError("a count credit gives count and required (and no hours)")
        if self.kind == "hours" and (self.hours is None or self.count is not None or self.required is not None):
            raise ValueError("an hours credit gives hours (and no count or required)")
        return self


class EntryIn(BaseModel):
    """One recognised achievement version: by issuer DID + achievement id + definition digest, or by a
    micro-credential of this service."""

    model_config = ConfigDict(extra="forbid")

    achievement_issuer: Text | None = None
    achievement_id: Text | None = None
    definition_digest: Text | None = None
    microcredential: MicroCredentialRef | None = None
    endorsement_areas: Annotated[list[Text], Field(min_length=1, max_length=50)]
    credit: Credit
    effective_from: date
    effective_until: date | None = None
    minimum_scoring_kappa: Annotated[float, Field(ge=-1, le=1)] | None = Field(default=None, description=(
        "Count the achievement only while its issuer's newest quality statement of it (a signed "
        "ScoringQualityStatement) verifies and shows a weighted kappa at least this high."))

    @model_validator(mode="after")
    def _one_way(self) -> EntryIn:
        explicit = (self.achievement_issuer, self.achievement_id, self.definition_digest)
        if self.microcredential is not None and any(v is not None for v in explicit):
            raise ValueError("name the achievement either by microcredential or by issuer, id and digest, not both")
        if self.microcredential is None and not all(v is not None for v in explicit):
            raise ValueError("name the achievement by microcredential, or give achievement_issuer, "
                             "achievement_id and definition_digest")
        return self


class ReciprocityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency: Annotated[str, Field(min_length=1, max_length=500, description="The other state agency's DID.")]
    allow_chaining: bool = Field(default=False, description="Also accept the registries that agency accepts.")


class RegistryPublish(BaseModel):
    """A new registry: it replaces the agency's current one at its public URL."""

    model_config = ConfigDict(extra="forbid")

    entries: Annotated[list[EntryIn], Field(max_length=1000)]
    accepts: Annotated[list[ReciprocityIn], Field(max_length=100)] = Field(default_factory=list)
    valid_from: datetime | None = Field(default=None, description="Default: now.")
    valid_until: datetime | None = None


class RegistryRead(BaseModel):
    id: uuid.UUID
    url: str = Field(description="The registry credential's id (where this very registry is served).")
    current_url: str = Field(description="Where the agency's current registry is served.")
    published_at: datetime
    withdrawn_at: datetime | None
    document: dict[str, Any] = Field(description="The signed registry credential.")
