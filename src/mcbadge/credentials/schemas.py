"""Request and response bodies of the credentials API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..db.models import Credential, StatusPurpose
from ..status.service import list_url
from .build import credential_url

__all__ = ["AwardRequest", "CredentialRead", "RevokeRequest", "SuspendRequest", "VisibilityUpdate"]


class AwardRequest(BaseModel):
    """Approve a passing submission. ``format``: Data Integrity (``ldp``, eddsa-rdfc-2022) or ``jwt`` (VC-JWT)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["ldp", "jwt"] = "ldp"


class RenewRequest(BaseModel):
    """Renew a credential by awarding the attempt that re-assessed it (started by the educator with
    ``renewal_of``, assessed and passed)."""

    model_config = ConfigDict(extra="forbid")

    submission_id: uuid.UUID


class RevokeRequest(BaseModel):
    """Revoke for good; the reason is kept in the audit log (not published)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class SuspendRequest(BaseModel):
    """Suspend or reinstate; an optional reason for the audit log."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, min_length=1, max_length=2000)


class VisibilityUpdate(BaseModel):
    """What the earner lets the public see. Omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    public: bool | None = None
    show_evidence: bool | None = None


class StatusPosition(BaseModel):
    """Where a credential's bit sits: the list credential's URL and the index in it."""

    list: str
    index: int


class CredentialRead(BaseModel):
    """A credential as the API shows it: the row's state and the credential as issued."""

    id: uuid.UUID
    url: str = Field(description="The credential's id: its stable public URL.")
    submission_id: uuid.UUID | None = Field(description="The awarded submission (None for a designation).")
    microcredential_id: uuid.UUID | None = Field(description="The micro-credential version (None for a designation).")
    stack_id: uuid.UUID | None = Field(default=None, description="The stack version of a designation.")
    educator_id: uuid.UUID
    approved_by: uuid.UUID | None
    format: Literal["ldp", "jwt"]
    issued_at: datetime
    valid_until: datetime | None
    revoked: bool
    revoked_at: datetime | None
    revocation_reason: str | None
    suspended: bool
    public: bool
    show_evidence: bool
    revocation: StatusPosition
    suspension: StatusPosition | None = Field(
        description="The credential's suspension entry; None when it was issued without one (its issuer had not "
                    "turned suspension on), and then it cannot be suspended.")
    credential: dict[str, Any] | None = Field(
        description="The signed credential (ldp), or the credential inside the VC-JWT (jwt)."
    )
    jwt: str | None = Field(default=None, description="The compact VC-JWT, for format jwt.")
    renewal_of: uuid.UUID | None = Field(default=None, description="The credential this one renews.")
    renewed_by: uuid.UUID | None = Field(default=None, description="The credential that renews this one.")

    @classmethod
    def of(cls, credential: Credential, *, public_base_url: str, slug: str,
           revocation_seq: int, suspension_seq: int | None, renewed_by: uuid.UUID | None = None) -> CredentialRead:
        return cls(
            id=credential.id,
            url=credential_url(public_base_url, credential.id),
            submission_id=credential.submission_id,
            microcredential_id=credential.microcredential_id,
            stack_id=credential.stack_id,
            educator_id=credential.educator_id,
            approved_by=credential.approved_by,
            format=credential.format,  # type: ignore[arg-type]  # a str column; pydantic checks it is ldp or jwt
            issued_at=credential.issued_at,
            valid_until=credential.valid_until,
            revoked=credential.revoked_at is not None,
            revoked_at=credential.revoked_at,
            revocation_reason=credential.revocation_reason,
            suspended=credential.suspended,
            public=credential.public,
            show_evidence=credential.show_evidence,
            revocation=StatusPosition(
                list=list_url(public_base_url, slug, StatusPurpose.REVOCATION, revocation_seq),
                index=credential.revocation_index,
            ),
            suspension=StatusPosition(
                list=list_url(public_base_url, slug, StatusPurpose.SUSPENSION, suspension_seq),
                index=credential.suspension_index,
            ) if suspension_seq is not None and credential.suspension_index is not None else None,
            credential=credential.document,
            jwt=credential.jwt,
            renewal_of=credential.renewal_of,
            renewed_by=renewed_by,
        )
