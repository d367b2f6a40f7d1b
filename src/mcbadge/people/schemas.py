"""Request and response bodies for people, API keys and assessor trainings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..catalog.schemas import Key
from ..db.models import Role

Email = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonCreate(_Strict):
    """A person with one role at the caller's issuer. E-mail addresses are unique per issuer."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Email
    role: Role
    license_number: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="A state teaching license number (educators); never put in a credential.")


class PersonRead(_Strict):
    id: uuid.UUID
    name: str
    email: str
    role: Role
    license_number: str | None
    created_at: datetime


class ApiKeyCreate(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="What the key is for (e.g. 'LMS sync').")


class ApiKeyIssued(_Strict):
    """A new API key. ``key`` is shown this once: only its hash is stored."""

    id: uuid.UUID
    person_id: uuid.UUID
    name: str | None
    key: str = Field(description="Send as 'Authorization: Bearer <key>'. Shown once; it cannot be recovered.")
    created_at: datetime


class TrainingCreate(_Strict):
    """Mark an assessor trained for a micro-credential key (all its versions), optionally as a lead assessor."""

    microcredential_key: Key
    lead: bool = False


class TrainingRead(_Strict):
    id: uuid.UUID
    assessor_id: uuid.UUID
    microcredential_key: str
    lead: bool
    trained_at: datetime
