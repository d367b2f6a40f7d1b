"""Request and response shapes of the quality report and quality statements.

The figures themselves are ``figures``' frozen dataclasses, used as they are (pydantic reads and documents
dataclasses): one definition of each figure, not a copy per layer.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .figures import MicroCredentialFigures

Key = Annotated[str, Field(min_length=1, max_length=100)]


class MicroCredentialQuality(BaseModel):
    """One micro-credential (every version of its key): its title and figures."""

    model_config = ConfigDict(extra="forbid")

    key: str
    title: str
    figures: MicroCredentialFigures


class QualityReport(BaseModel):
    """The issuer's reliability and turnaround figures over a period (both days included). Figures of a cell
    with fewer than ``min_cell`` submissions are null, with ``suppressed`` true."""

    model_config = ConfigDict(extra="forbid")

    period_start: date
    period_end: date
    sla_days: int = Field(description="The issuer's turnaround service level (days from submission to decision).")
    min_cell: int = Field(description="Cells with fewer submissions than this are suppressed.")
    generated_at: datetime
    assessors: dict[str, str] = Field(description="Assessor id -> name, for the per-assessor rows (admins only).")
    microcredentials: list[MicroCredentialQuality]


class StatementPublish(BaseModel):
    """Publish a quality statement of one micro-credential. Without a period: the last full calendar quarter."""

    model_config = ConfigDict(extra="forbid")

    microcredential_key: Key
    period_start: date | None = None
    period_end: date | None = Field(default=None, description="The last day covered (included); it must be over.")


class StatementRead(BaseModel):
    """A published quality statement: the signed credential and where it is served."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    url: str
    microcredential_key: str
    period_start: date
    period_end: date
    issued_at: datetime
    withdrawn_at: datetime | None = Field(description="When the issuer withdrew it (it then no longer verifies), "
                                                      "or null.")
    document: dict[str, Any]
