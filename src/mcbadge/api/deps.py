"""What routes depend on: the services built once by the app factory, reached through the request."""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from cachetools import LRUCache
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..keystore import Keystore
from ..outbound import FetchPolicy, OutboundClient
from ..resolution import StatusListFetcher, service_resolver
from ..vc.dids import DidResolver

__all__ = ["Services", "ServicesDep", "SessionDep", "build_services", "fetch_policy"]

_OWN_STATUS_PATH = re.compile(r"^/issuers/([a-z0-9-]{1,64})/status/([a-z]{1,32})/([0-9]{1,10})$")


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


def build_services(settings: Settings, keystore: Keystore, sessions: sessionmaker[Session]) -> Services:
    """Wire the collaborators from the settings: the guarded client, the DID resolver, the status fetcher."""
    from .issuers import LocalIssuerDocuments  # issuers imports this module

    base = settings.public_base_url
    outbound = OutboundClient(fetch_policy(settings))
    resolver = service_resolver(outbound, local=LocalIssuerDocuments(keystore, base), own_base_url=base)

    signed_lists: dict[str, tuple[int, dict[str, Any]]] = {}

    def own_status_list(url: str) -> dict[str, Any]:
        # This service's own lists come from its database: no request to itself. The signed list (~20 KB
        # of JSON) is re-read only when its revision moved, so a revocation shows at once and an unchanged
        # list costs one small query.
        from ..status import service as status_service  # the status package imports this module

        match = _OWN_STATUS_PATH.match(urlsplit(url).path)
        if match is None or not url.startswith(base.rstrip("/") + "/"):
            raise LookupError("no such status list on this service")
        slug, purpose, seq = match.group(1), match.group(2), int(match.group(3))
        with sessions() as session:
            revision = status_service.list_revision(session, slug=slug, purpose=purpose, seq=seq)
            cached = signed_lists.get(url)
            if revision is not None and cached is not None and cached[0] == revision:
                return cached[1]
            signed = status_service.signed_list(session, slug=slug, purpose=purpose, seq=seq,
                                                keystore=keystore, public_base_url=base.rstrip("/"))
            if revision is not None:
                signed_lists[url] = (revision, signed)
            return signed

    status_fetcher = StatusListFetcher(outbound, local=own_status_list, own_base_url=base)
    return Services(settings=settings, keystore=keystore, sessions=sessions, blob_dir=settings.blob_dir,
                    outbound=outbound, resolver=resolver, status_fetcher=status_fetcher,
                    status_list_cache=LRUCache(maxsize=1024))


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A database session for one request. Service functions open their own transactions
    (``with session.begin():``), so what they commit is committed before the response is built."""
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
