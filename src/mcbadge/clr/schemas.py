"""What the CLR API takes."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from ..vc.clr import MAX_CLR_CREDENTIALS

__all__ = ["ClrCreate"]


class ClrCreate(BaseModel):
    """A CLR of an educator's chosen credentials, in the order they should appear."""

    model_config = ConfigDict(extra="forbid")

    credential_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_CLR_CREDENTIALS)
    name: str = Field(min_length=1, max_length=200, description="The CLR's name, e.g. \u201cRenewal cycle 2022-2027\u201d")
    description: str | None = Field(default=None, max_length=2000)
    educator_id: uuid.UUID | None = Field(
        default=None, description="Whose credentials (admins name the educator; an educator's own by default)")
