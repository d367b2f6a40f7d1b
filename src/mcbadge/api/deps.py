"""What routes depend on: the services built once by the app factory, reached through the request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..keystore import Keystore
from ..vc.dids import DidResolver

__all__ = ["Services", "ServicesDep", "SessionDep"]


@dataclass(frozen=True)
class Services:
    """The application's collaborators, made by ``create_app`` and kept on ``app.state.services``."""

    settings: Settings
    keystore: Keystore
    resolver: DidResolver
    sessions: sessionmaker[Session]
    blob_dir: Path


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A database session for one request. Service functions open their own transactions
    (``with session.begin():``), so what they commit is committed before the response is built."""
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
