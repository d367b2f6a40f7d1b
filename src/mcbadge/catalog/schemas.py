"""Request and response bodies of the catalog (micro-credentials)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from ..db.models import MicroCredentialStatus
from ..vetting.schemas import VettedBy

KEY_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$"
Key = Annotated[str, Field(pattern=KEY_PATTERN, description="A slug: lower-case letters, digits and '-'.")]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
# The characters RFC 3987 forbids in an IRI are refused here, at the edge: every award and designation states
# this URL as its image id, which the OB models (vc.models.Iri) and the canonicalizer would refuse at award time.
Url = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^https?://[^\s<>\"{}|\\^`]+$",
                           description="An http(s) URL without the characters an IRI may not hold.")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Resource(_Strict):
    """A resource behind the micro-credential: an article, a video, a guide."""

    title: Name
    url: Url


class Requirement(_Strict):
    """A piece of evidence the educator must (or may) submit."""

    key: Key
    title: Name
    description: str | None = Field(default=None, max_length=5000)
    kind: Literal["file", "url", "reflection"]
    min_words: int | None = Field(default=None, ge=0, le=100_000, description="Reflections only.")
    max_words: int | None = Field(default=None, ge=1, le=100_000, description="Reflections only.")
    required: bool = True

    @model_validator(mode="after")
    def _words(self) -> Requirement:
        if self.kind != "reflection" and (self.min_words is not None or self.max_words is not None):
            raise ValueError("min_words and max_words apply to reflections only")
        if self.min_words is not None and self.max_words is not None and self.min_words > self.max_words:
            raise ValueError("min_words is larger than max_words")
        return self


class Level(_Strict):
    """A rubric level; a rubric lists its levels lowest first."""

    key: Key
    name: Name
    description: str | None = Field(default=None, max_length=5000)


class Criterion(_Strict):
    """A rubric criterion and the level it requires to pass."""

    key: Key
    name: Name
    description: str | None = Field(default=None, max_length=5000)
    required_level: Key


class Rubric(_Strict):
    """Criteria × ordered levels (lowest first). A draft may hold an incomplete rubric; publishing checks it."""

    levels: list[Level] = Field(default_factory=list, max_length=20)
    criteria: list[Criterion] = Field(default_factory=list, max_length=50)


class Alignment(_Strict):
    """A standard or framework item the micro-credential maps to."""

    target_name: Name
    target_url: Url
    target_description: str | None = Field(default=None, max_length=5000)
    target_code: str | None = Field(default=None, max_length=100)
    target_framework: str | None = Field(default=None, max_length=200)


class _Content(_Strict):
    title: Name
    competency: Text
    key_method: Text
    research: str | None = Field(default=None, max_length=20_000)
    resources: list[Resource] = Field(default_factory=list, max_length=50)
    requirements: list[Requirement] = Field(default_factory=list, max_length=50)
    rubric: Rubric = Field(default_factory=Rubric)
    alignments: list[Alignment] = Field(default_factory=list, max_length=50)
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=30)
    image_url: Url | None = None
    pd_hours: float | None = Field(default=None, ge=0, le=1000)
    validity_days: int | None = Field(
        default=None, ge=1, le=36500,
        description="How long an award of this version is valid, in days (its validUntil): a license cycle is "
                    "3-5 years (1095-1826 days). None: the issuer's validity_days (none there: no expiry).")


class MicroCredentialCreate(_Content):
    """A new micro-credential: saved as draft version 1 of ``key``."""

    key: Key


class MicroCredentialChanges(_Strict):
    """Changes to a micro-credential: only the fields present are changed. ``key`` never changes."""

    # SkipJsonSchema[None]: these may be left out (None, "unchanged") but not sent as null (_not_null), and the
    # document says so: it shows only the value's own type.
    title: Name | SkipJsonSchema[None] = None
    competency: Text | SkipJsonSchema[None] = None
    key_method: Text | SkipJsonSchema[None] = None
    research: str | None = Field(default=None, max_length=20_000)
    resources: Annotated[list[Resource], Field(max_length=50)] | SkipJsonSchema[None] = None
    requirements: Annotated[list[Requirement], Field(max_length=50)] | SkipJsonSchema[None] = None
    rubric: Rubric | SkipJsonSchema[None] = None
    alignments: Annotated[list[Alignment], Field(max_length=50)] | SkipJsonSchema[None] = None
    tags: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=30)] | SkipJsonSchema[None] = None
    image_url: Url | None = None
    pd_hours: float | None = Field(default=None, ge=0, le=1000)
    validity_days: int | None = Field(default=None, ge=1, le=36500)

    @field_validator("title", "competency", "key_method", "resources", "requirements", "rubric", "alignments", "tags")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Omit a field to keep it; these cannot be cleared with null (research, image_url, pd_hours and
        # validity_days can).
        if value is None:
            raise ValueError("may be omitted but not null")
        return value

    # field_validator does not run on defaults, so an omitted field stays None and means "unchanged".


class MicroCredentialRead(_Content):
    """A version of a micro-credential. ``latest`` says whether it is the newest published version of its key."""

    id: uuid.UUID
    key: str
    version: int
    status: MicroCredentialStatus
    latest: bool = Field(description="The newest published version of this key: new attempts start on it.")
    created_at: datetime
    published_at: datetime | None
    vetted_by: list[VettedBy] = Field(
        default_factory=list,
        description="State agencies that vet this exact version, listed only while their endorsement verifies "
                    "(signature, not withdrawn, the digest of this version's definition). Another version "
                    "of the key is vetted only if endorsed itself.")
