"""Who is calling, over HTTP: the API key read from the request, and the role checks routes depend on.

The principal and the keys themselves are ``mcbadge.principal`` (no HTTP there).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from ..db.models import Role
from ..db.session import read
from ..errors import Forbidden
from ..principal import Operator, Principal, authenticate, authenticate_operator
from .deps import SessionDep

__all__ = ["CurrentOperator", "CurrentPrincipal", "presented_key", "require"]


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key")


def current_principal(request: Request, session: SessionDep) -> Principal:
    # The lookup's read ends here, in this thread. On SQLite every transaction starts with BEGIN IMMEDIATE
    # (see db/session.py), so an open read would hold the write lock while FastAPI hands the request to
    # another worker thread; with every worker waiting for that lock, requests deadlock.
    with read(session):
        return authenticate(session, presented_key(request))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def current_operator(request: Request, session: SessionDep) -> Operator:
    with read(session):  # ended here, as for a principal (see above)
        return authenticate_operator(session, presented_key(request))


CurrentOperator = Annotated[Operator, Depends(current_operator)]


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only ``roles`` through (403 for other roles of the same issuer)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:  # async: no thread-pool hop for a check
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this needs one of the roles: {allowed} (you are {principal.role.value})")
        return principal

    return dependency
