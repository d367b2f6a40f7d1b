"""Request and response bodies of vetting: nominations, endorsements, and the "vetted by" label."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ..db.models import NominationStatus
from ..recognition.schemas import MicroCredentialRef

Slug = Annotated[str, Field(min_length=1, max_length=64, description="A state agency's slug on this service.")]
Note = Annotated[str, Field(min_length=1, max_length=5000)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NominationCreate(_Strict):
    """Ask a state agency of this service to vet one micro-credential version."""

    agency: Slug
    microcredential: MicroCredentialRef
    note: Note = Field(description="Why this micro-credential deserves vetting: a word for the state's reviewer.")


class Acceptance(_Strict):
    """The reviewer's acceptance: the endorsement is issued (or the one in force is given back)."""

    comment: Annotated[str, Field(min_length=1, max_length=2000)] | None = Field(
        default=None, description="Added to the endorsement's comment.")


class Declination(_Strict):
    """The reviewer's reasons for declining, each a sentence the nominator will read."""

    reasons: Annotated[list[Reason], Field(min_length=1, max_length=20)]


class VettingRequest(_Strict):
    """Vet a micro-credential version directly, without a nomination."""

    microcredential: MicroCredentialRef
    comment: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    valid_until: datetime | None = Field(default=None, description="When the vetting lapses (none by default).")


class Withdrawal(_Strict):
    reason: Annotated[str, Field(min_length=1, max_length=2000)] | None = None


class VersionRead(BaseModel):
    """The micro-credential version a nomination or an endorsement is about."""

    issuer: str = Field(description="The issuer's slug.")
    issuer_name: str
    key: str
    version: int
    title: str
    achievement_id: str = Field(description="The version's Achievement id, also its public page.")


class VettedBy(BaseModel):
    """A state agency whose vetting of this exact version verifies now (signature, status, digest)."""

    agency: str = Field(description="The agency's DID.")
    agency_name: str
    endorsement: str = Field(description="The endorsement credential's id, where it is served.")
    vetted_at: datetime


class EndorsementRead(BaseModel):
    id: uuid.UUID
    url: str = Field(description="The endorsement credential's id: where it is served, to anyone.")
    agency: str = Field(description="The agency's DID.")
    agency_name: str
    microcredential: VersionRead
    definition_digest: str
    issued_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    document: dict[str, Any] = Field(description="The signed OB 3.0 EndorsementCredential.")


class NominationRead(BaseModel):
    id: uuid.UUID
    agency: str = Field(description="The state agency's slug.")
    agency_name: str
    microcredential: VersionRead
    note: str
    nominated_by: str = Field(description="The nominator's name.")
    nominator_issuer: str = Field(description="The slug of the nominator's issuer.")
    nominated_at: datetime
    status: NominationStatus
    reasons: list[str] = Field(description="Why the agency declined (empty unless declined).")
    decided_at: datetime | None
    endorsement: str | None = Field(description="The endorsement's URL once accepted.")
    endorsement_withdrawn_at: datetime | None = None
