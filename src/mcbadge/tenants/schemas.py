"""Bodies of the operator's tenant routes (and of the command line, which calls the same service)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..db.models import IssuerKind, Role
from ..people.schemas import Email

Slug = Annotated[str, Field(min_length=2, max_length=63, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
                            description="Lower-case letters, digits and inner hyphens: it becomes part of the "
                                        "organisation's DID (did:web:<host>:issuers:<slug>) and cannot change.")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdminIn(_Strict):
    name: Name
    email: Email


class TenantCreate(_Strict):
    """A new organisation with its first admin (whose API key is returned once)."""

    slug: Slug
    name: Name
    kind: IssuerKind = IssuerKind.DISTRICT
    url: Annotated[str, Field(max_length=500, pattern=r"^https?://")] | None = None
    email: Email | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    admin: AdminIn


class TenantRead(_Strict):
    id: uuid.UUID
    slug: str
    did: str
    name: str
    kind: IssuerKind
    disabled: bool
    disabled_at: datetime | None
    created_at: datetime
    people: int = Field(description="People with a role at the organisation.")
    credentials: int = Field(description="Credentials it has issued (they keep verifying if it is disabled).")


class TenantCreated(_Strict):
    tenant: TenantRead
    admin_id: uuid.UUID
    admin_key: str = Field(description="The first admin's API key: shown this once, only its hash is kept.")


class KeyCreate(_Strict):
    """A new API key for a person of the organisation, found by e-mail; with ``name``, the person is created
    with ``role`` if they do not exist yet (how access is recovered when an admin's key is lost)."""

    email: Email
    role: Role
    name: Name | None = None


class KeyIssued(_Strict):
    person_id: uuid.UUID
    created_person: bool
    key: str = Field(description="Shown this once; only its hash is kept.")


class PersonRow(_Strict):
    """One row of a people import: who and their role at the organisation."""

    email: Email
    name: Name
    role: Role


class ImportProblem(_Strict):
    row: int = Field(description="The row's number in the file (the header is row 1).")
    reason: str


class PeopleImported(_Strict):
    created: int
    unchanged: int = Field(description="Rows naming someone already there with the same role (nothing to do).")
    problems: list[ImportProblem]
