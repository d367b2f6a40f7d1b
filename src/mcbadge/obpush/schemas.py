"""What the OB 3.0 push API takes and returns."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from .service import MAX_PUSH, Connecting, PushResult

__all__ = ["ConnectRequest", "ConnectionStarted", "PushRequest", "PushResultRead"]


class ConnectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=8, max_length=500, description="The other host's base URL (https)")


class ConnectionStarted(BaseModel):
    """Open ``authorization_url`` in a browser to approve this service at the other host."""

    id: uuid.UUID
    authorization_url: str

    @classmethod
    def of(cls, started: Connecting) -> ConnectionStarted:
        return cls(id=started.connection_id, authorization_url=started.authorization_url)


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_PUSH)


class PushResultRead(BaseModel):
    credential_id: uuid.UUID
    outcome: str = Field(description="created, replaced (stored by the other host) or refused")
    status: int = Field(description="The other host's HTTP status")
    reason: str | None = Field(default=None, description="Why the other host refused it, in its own words")

    @classmethod
    def of(cls, result: PushResult) -> PushResultRead:
        return cls(credential_id=result.credential_id, outcome=result.outcome, status=result.status,
                   reason=result.reason)
