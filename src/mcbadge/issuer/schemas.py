"""Request and response shapes of ``/api/v1/issuer``."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl
from pydantic.json_schema import SkipJsonSchema

from ..db.models import IssuerKind

Name = Annotated[str, Field(min_length=1, max_length=200)]

# A field of IssuerUpdate that may be left out but not set to null (the service refuses null for it): None is
# its default, "unchanged", and the document shows only the value's own type.
Unset = SkipJsonSchema[None]

SUSPENSION_STATUS = (
    "New credentials also carry a suspension entry, so an admin can suspend and reinstate them (and a designation "
    "whose component fell away is suspended, not revoked). Off by default, because of its cost: such credentials "
    "carry two credentialStatus entries, and the unmodified 1EdTech Open Badges 3.0 JSON Schema allows one "
    "object there, so 1EdTech-conformant hosts and validators reject them. Credentials issued while it is off "
    "can only be revoked; turning it off again stops new suspensions, while existing ones can still be lifted.")


class IssuerRead(BaseModel):
    """The issuer as credentials show it, its DID, and the rules it awards by."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: uuid.UUID
    slug: str
    did: str
    name: str
    url: str | None
    email: str | None
    image_url: str | None
    description: str | None
    auto_approve: bool = Field(description="Award a passing submission without an admin's approval.")
    second_scoring: bool = Field(description="Every submission is double-scored: two assessors must agree, or a "
                                             "lead assessor decides.")
    second_scoring_percent: int = Field(description="The default share of submissions (0-100) drawn at random, by a "
                                                    "seeded draw, for a second scoring (GET /api/v1/scoring-policies; "
                                                    "a micro-credential's own policy overrides it).")
    second_score_borderline: bool = Field(description="By default, also double-score every borderline submission "
                                                      "(a criterion scored at its required level or one below it).")
    validity_days: int | None = Field(description="Credentials expire this many days after award (none: never).")
    auto_award_designations: bool = Field(description="Award a designation as soon as its stack completes, "
                                                      "without an admin's approval.")
    suspension_status: bool = Field(description=SUSPENSION_STATUS)
    kind: IssuerKind = Field(description="What the organisation is; only the platform operator sets it.")
    state_agency: bool = Field(description="A state education agency (its kind): it may publish a recognition "
                                           "registry and vet micro-credentials.")
    require_qualification: bool = Field(description="Only assessors with a current qualification (earned by "
                                                    "calibration) may be assigned to and score submissions.")
    calibration_exact_percent: int = Field(description="Exact agreement with the master scores, over every anchor "
                                                       "and criterion of a calibration set, that qualifies.")
    calibration_adjacent_percent: int | None = Field(description="Agreement within one level that qualifying also "
                                                                 "needs (none: not required).")
    calibration_set_size: int = Field(description="Anchors in one calibration set.")
    qualification_validity_days: int = Field(description="How long a qualification is valid: qualified assessors "
                                                          "re-calibrate on this schedule.")
    quality_sla_days: int = Field(description="Turnaround service level: a submission should be decided within "
                                              "this many days of submission (the quality report's overdue list).")
    quality_min_cell: int = Field(description="Reliability and turnaround figures from fewer submissions than this "
                                              "are suppressed, so no educator or assessor can be singled out.")


class IssuerUpdate(BaseModel):
    """Changes to the issuer; fields left out stay as they are. New credentials show the new profile."""

    model_config = ConfigDict(extra="forbid")

    name: Name | Unset = None
    url: HttpUrl | None = None
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)] | None = None
    image_url: HttpUrl | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    auto_approve: bool | Unset = None
    second_scoring: bool | Unset = None
    second_scoring_percent: Annotated[int, Field(ge=0, le=100)] | Unset = None
    second_score_borderline: bool | Unset = None
    validity_days: Annotated[int, Field(ge=1, le=36500)] | None = None
    auto_award_designations: bool | Unset = None
    suspension_status: bool | Unset = Field(default=None, description=SUSPENSION_STATUS)
    no_expiry: bool = Field(default=False, description="Set true to remove validity_days (credentials never expire).")
    require_qualification: bool | Unset = None
    calibration_exact_percent: Annotated[int, Field(ge=1, le=100)] | Unset = None
    calibration_adjacent_percent: Annotated[int, Field(ge=1, le=100)] | None = Field(
        default=None, description="null removes the requirement.")
    calibration_set_size: Annotated[int, Field(ge=1, le=50)] | Unset = None
    qualification_validity_days: Annotated[int, Field(ge=1, le=3650)] | Unset = None
    quality_sla_days: Annotated[int, Field(ge=1, le=365)] | Unset = None
    quality_min_cell: Annotated[int, Field(ge=5, le=1000)] | Unset = Field(
        default=None, description="At least 5: smaller cells would let a person be singled out.")
