"""What the feature services share besides the transaction helper (``db.transaction``); nothing of HTTP.

- :class:`Page` and :class:`PageParams`: every list is ``{"items": [...], "total": N, "limit": L,
  "offset": O}``, driven by ``?limit=&offset=`` (read by ``api.deps.PageDep``).
- :func:`audit`: an :class:`AuditEvent` row, written in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from .db.models import AuditEvent
from .limits import MAX_COLUMN_INTEGER

__all__ = ["MAX_LIMIT", "MAX_OFFSET", "Page", "PageParams", "audit", "paginate"]

T = TypeVar("T")
MAX_LIMIT = 200
MAX_OFFSET = MAX_COLUMN_INTEGER
"""The largest ``offset`` of a list: far beyond any list's length, and an integer every database holds."""


@dataclass(frozen=True)
class PageParams:
    """Which slice of a list the caller asked for."""

    limit: int = 50
    offset: int = 0


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total number of items the list has."""

    model_config = ConfigDict(extra="forbid")

    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(session: Session, query: Select[Any], page: PageParams) -> tuple[Sequence[Any], int]:
    """The rows of ``query`` in ``page`` (the query must be ordered), and how many rows it has in all."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.limit(page.limit).offset(page.offset)).all()
    return rows, total


def audit(session: Session, *, issuer_id: uuid.UUID, actor_id: uuid.UUID | None, action: str, target: str,
          **detail: Any) -> None:
    """Record who did what to which object (in the current transaction)."""
    session.add(AuditEvent(issuer_id=issuer_id, actor_id=actor_id, action=action, target=target, detail=detail))
