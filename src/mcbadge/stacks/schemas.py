"""Request and response bodies of stacks, external components and designations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..catalog.schemas import Key, Name, Text, Url
from ..db.models import DesignationStatus, StackStatus
from ..limits import MAX_COLUMN_INTEGER

# OB 3.0 AchievementType values that fit a designation reached through a stack (the spec's enumeration;
# extensions are written "ext:...").
AchievementType = Literal["Certification", "Certificate", "License", "Award", "Badge", "Achievement"]
Uri = Annotated[str, Field(min_length=3, max_length=1000, pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$",
                            description="A URI (a DID, an https URL, a urn:uuid).")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocalComponent(_Strict):
    """One of this issuer's micro-credentials, in the versions the stack accepts."""

    kind: Literal["local"]
    key: Key
    versions: list[Annotated[int, Field(ge=1, le=MAX_COLUMN_INTEGER)]] = Field(min_length=1, max_length=50)
    required: bool = False


class ExternalComponent(_Strict):
    """Another issuer's achievement: its issuer's DID and the achievement's id."""

    kind: Literal["external"]
    issuer_did: Annotated[str, Field(min_length=8, max_length=500, pattern=r"^did:[a-z0-9]+:\S+$")]
    achievement_id: Uri
    required: bool = False


Component = Annotated[LocalComponent | ExternalComponent, Field(discriminator="kind")]


class _Content(_Strict):
    name: Name
    description: Text
    criteria: Text = Field(description="The criteria narrative of the designation.")
    achievement_type: AchievementType = "Certification"
    role: Name = Field(description="The role the designation qualifies for, e.g. Instructional Coach.")
    rule: Literal["all", "n_of_m"] = "all"
    required_count: int | None = Field(default=None, ge=1, le=100, description="N, for an n_of_m rule.")
    components: list[Component] = Field(min_length=1, max_length=100)
    image_url: Url | None = None

    @model_validator(mode="after")
    def _rule(self) -> _Content:
        if self.rule == "n_of_m":
            if self.required_count is None:
                raise ValueError("an n_of_m rule needs required_count")
            if self.required_count > len(self.components):
                raise ValueError("required_count is larger than the number of components")
            if sum(c.required for c in self.components) > self.required_count:
                raise ValueError("more required components than required_count")
        elif self.required_count is not None:
            raise ValueError("required_count applies to an n_of_m rule only")
        return self


class StackCreate(_Content):
    """A new stack: saved as draft version 1 of ``key``."""

    key: Key


class StackChanges(_Content):
    """A draft's (or the next version's) whole content: stacks are small, so changes replace it."""


class StackRead(_Content):
    id: uuid.UUID
    key: str
    version: int
    status: StackStatus
    achievement_id: str = Field(description="The designation's OB Achievement id (this version).")
    created_at: datetime
    published_at: datetime | None


class ExternalCredentialAdd(_Strict):
    """Another issuer's credential for the caller's record: a JSON credential or a compact VC-JWT."""

    credential: dict[str, Any] | Annotated[str, Field(min_length=10, max_length=200_000)]


class ExternalCredentialRead(BaseModel):
    credential_id: str
    created: bool
    designations: list[DesignationRead] = Field(description="Designations this addition decided.")


class ComponentUsed(BaseModel):
    credential_id: str
    issuer: str
    achievement_id: str
    digest: str
    local_credential_id: uuid.UUID | None = None


class DesignationRead(BaseModel):
    id: uuid.UUID
    stack_id: uuid.UUID
    educator_id: uuid.UUID
    status: DesignationStatus
    credential_id: uuid.UUID | None
    suspended: bool = Field(default=False, description="The designation credential is suspended (an issuer that "
                            "turned suspension on): a component it needed was revoked, expired or no longer "
                            "verifies; reinstated when the stack holds again. Without suspension the designation "
                            "is 'lapsed' instead: its credential revoked, and a new one awarded when the stack "
                            "completes again.")
    components: list[ComponentUsed]
    created_at: datetime
    decided_at: datetime | None


class Evaluate(_Strict):
    educator_id: uuid.UUID | None = Field(default=None, description="Admins: whose record (educators: their own).")


ExternalCredentialRead.model_rebuild()
