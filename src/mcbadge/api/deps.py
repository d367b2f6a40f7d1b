"""What routes depend on: the services built once by the app factory, reached through the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ..config import Settings
from ..keystore import Keystore
from ..vc.dids import DidResolver

__all__ = ["Services", "ServicesDep"]


@dataclass(frozen=True)
class Services:
    """The application's collaborators, made by ``create_app`` and kept on ``app.state.services``."""

    settings: Settings
    keystore: Keystore
    resolver: DidResolver


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]
