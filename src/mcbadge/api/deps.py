"""What routes depend on: the services built once by the app factory (``mcbadge.services``), a database
session per request, and the page of a list the caller asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from ..features import MAX_LIMIT, MAX_OFFSET, PageParams
from ..services import Services

__all__ = ["PageDep", "ServicesDep", "SessionDep"]


async def get_services(request: Request) -> Services:
    # async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a hop per request
    # (about as costly as the rest of the framework's work) for one attribute read.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A database session for one request. Service functions open their own transactions
    (``db.transaction``), so what they commit is committed before the response is built."""
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many items to return (at most 200).")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page_params)]
