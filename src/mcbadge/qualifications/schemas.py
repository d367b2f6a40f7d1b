"""Request and response bodies of assessor qualifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QualificationRead(_Strict):
    """An assessor's qualification for a micro-credential (every version of its key), and the signed
    credential: ``current`` while valid and not revoked."""

    id: uuid.UUID
    url: str = Field(description="The qualification credential's id, where anyone can fetch it.")
    assessor_id: uuid.UUID
    assessor_name: str
    microcredential_key: str
    pseudonym: str = Field(description="How credentials name the assessor (unless they opted in to their name).")
    valid_from: datetime
    valid_until: datetime
    current: bool
    issued_at: datetime
    revoked_at: datetime | None = Field(description="When the revocation was recorded.")
    revoked_from: datetime | None = Field(description="From when the qualification stands revoked: assessments "
                                                      "made from then on fail a verifier's check.")
    revocation_reason: str | None
    document: dict[str, Any]


class QualificationRevocation(_Strict):
    """Revoke a qualification, from now or from an earlier moment (an issuer that finds an assessor's scoring
    unreliable since a date says so: credentials scored from then on fail the verifier's check, earlier ones
    show the revocation as a warning)."""

    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    effective_from: datetime | None = Field(default=None, description="From when it stands revoked (not in the "
                                                                      "future; default: now).")


class NamePreference(_Strict):
    """Whether qualifications and awards issued from now on name the assessor (besides the pseudonym)."""

    name_public: bool


class NamePreferenceRead(_Strict):
    assessor_id: uuid.UUID
    name_public: bool
