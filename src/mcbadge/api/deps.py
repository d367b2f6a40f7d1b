"""What routes depend on: the services built once by the app factory, reached through the request."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from cachetools import LRUCache
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..keystore import Keystore
from ..outbound import FetchPolicy, OutboundClient
from ..resolution import StatusListFetcher, service_resolver
from ..vc.dids import DidResolver

if TYPE_CHECKING:
    from ..status.own_lists import OwnStatusLists

__all__ = ["Services", "ServicesDep", "SessionDep", "build_services", "fetch_policy"]


def fetch_policy(settings: Settings) -> FetchPolicy:
    """The outbound policy: production rules, or loopback and http allowed when ``allow_loopback_fetch`` (tests)."""
    ca_file = str(settings.outbound_ca_file) if settings.outbound_ca_file else None
    return FetchPolicy.for_tests(ca_file=ca_file) if settings.allow_loopback_fetch else FetchPolicy(ca_file=ca_file)


@dataclass(frozen=True)
class Services:
    """The application's collaborators, made once by :func:`build_services` and kept on ``app.state.services``."""

    settings: Settings
    keystore: Keystore
    sessions: sessionmaker[Session]
    blob_dir: Path
    outbound: OutboundClient
    """The one guarded HTTP client for every outbound fetch (mcbadge.outbound)."""
    resolver: DidResolver
    """did:key offline, this service's own did:web issuers from the keystore, other did:web through ``outbound``."""
    status_fetcher: StatusListFetcher
    """Status lists with an HTTP cache; this service's own lists are read from the database."""
    status_list_cache: MutableMapping[bytes, bool]
    """Signatures of status lists already checked (``vc.verify``'s ``status_list_cache``), bounded."""
    own_status_lists: OwnStatusLists
    """This service's own status lists as its verifier reads them (behind ``status_fetcher``)."""


def build_services(settings: Settings, keystore: Keystore, sessions: sessionmaker[Session]) -> Services:
    """Wire the collaborators from the settings: the guarded client, the DID resolver, the status fetcher."""
    from .issuers import LocalIssuerDocuments  # issuers imports this module

    base = settings.public_base_url
    outbound = OutboundClient(fetch_policy(settings))
    resolver = service_resolver(outbound, local=LocalIssuerDocuments(keystore, base), own_base_url=base)

    from ..status.own_lists import OwnStatusLists  # the status package imports this module

    # This service's own lists come from its database: no request to itself.
    own_lists = OwnStatusLists(sessions, sessions.kw["bind"], keystore, base)
    status_fetcher = StatusListFetcher(outbound, local=own_lists, own_base_url=base)
    return Services(settings=settings, keystore=keystore, sessions=sessions, blob_dir=settings.blob_dir,
                    outbound=outbound, resolver=resolver, status_fetcher=status_fetcher,
                    status_list_cache=LRUCache(maxsize=1024), own_status_lists=own_lists)


async def get_services(request: Request) -> Services:
    # async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a hop per request
    # (about as costly as the rest of the framework's work) for one attribute read.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A database session for one request. Service functions open their own transactions
    (``with session.begin():``), so what they commit is committed before the response is built."""
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
