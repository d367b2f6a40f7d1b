"""What the issuer-workflow feature packages (catalog, people, submissions, assessments) share.

- :class:`Page` and :data:`PageDep`: every list is ``{"items": [...], "total": N, "limit": L, "offset": O}``,
  driven by ``?limit=&offset=``.
- :func:`transaction`: the transaction a service function runs in.
- :func:`audit`: an :class:`AuditEvent` row, written in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from .db.models import AuditEvent
from .errors import DomainError, Unauthenticated

__all__ = ["MAX_LIMIT", "Page", "PageDep", "PageParams", "audit", "paginate", "responses", "transaction"]

T = TypeVar("T")
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageParams:
    """Which slice of a list the caller asked for."""

    limit: int = 50
    offset: int = 0


def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many items to return (at most 200).")] = 50,
    offset: Annotated[int, Query(ge=0, description="How many items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page_params)]


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


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """The one transaction of a service function: commits at the end of the block, rolls back on an error.

    The API-key lookup (``api.auth``) runs on the request's session first and SQLAlchemy autobegins a
    transaction for it; that read is finished here so the service's own ``session.begin()`` can start.
    """
    if session.in_transaction():
        session.commit()
    with session.begin():
        yield session


def audit(session: Session, *, issuer_id: uuid.UUID, actor_id: uuid.UUID | None, action: str, target: str,
          **detail: Any) -> None:
    """Record who did what to which object (in the current transaction)."""
    session.add(AuditEvent(issuer_id=issuer_id, actor_id=actor_id, action=action, target=target, detail=detail))


def responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route: the domain errors it may raise (always also 401), as problem details."""
    from .api.problems import PROBLEM_JSON, domain_status

    out: dict[int | str, dict[str, Any]] = {}
    for error in (Unauthenticated, *errors):
        entry = out.setdefault(domain_status(error("")), {"description": "", "content": {PROBLEM_JSON: {}}})
        summary = (error.__doc__ or "").strip().splitlines()[0] if error.__doc__ else ""
        entry["description"] = f"{entry['description']}\n\n`{error.code}`: {summary}".strip()
    return out
