"""What routes depend on: the services built once by the app factory, reached through the request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..keystore import Keystore
from ..outbound import FetchPolicy, OutboundClient
from ..resolution import StatusListFetcher, service_resolver
from ..vc.dids import DidResolver

__all__ = ["Services", "ServicesDep", "SessionDep", "fetch_policy"]

_OWN_STATUS_PATH = re.compile(r"^/issuers/([a-z0-9-]{1,64})/status/([a-z]{1,32})/([0-9]{1,10})$")


def fetch_policy(settings: Settings) -> FetchPolicy:
    """The outbound policy: production rules, or loopback and http allowed when ``allow_loopback_fetch`` (tests)."""
    return FetchPolicy.for_tests() if settings.allow_loopback_fetch else FetchPolicy()


@dataclass(frozen=True)
class Services:
    """The application's collaborators, made by ``create_app`` and kept on ``app.state.services``.

    Built without ``outbound``, it makes the guarded stack from the settings: the guarded HTTP client
    (:func:`fetch_policy`), a ``resolver`` that answers this service's own issuers from the keystore and
    every other did:web through that client (with a cache) — replacing any local-only resolver passed in —
    and a ``status_fetcher`` with an HTTP cache that reads this service's own status lists from the
    database. A caller passing ``outbound`` (tests with their own trust anchors) keeps the ``resolver`` it
    passes; a missing ``status_fetcher`` is still made from that client.
    """

    settings: Settings
    keystore: Keystore
    resolver: DidResolver
    sessions: sessionmaker[Session]
    blob_dir: Path
    outbound: OutboundClient | None = None
    status_fetcher: StatusListFetcher | None = None

    def __post_init__(self) -> None:
        # frozen: the defaults are filled in once, here, through object.__setattr__.
        if self.outbound is None:
            outbound = OutboundClient(fetch_policy(self.settings))
            object.__setattr__(self, "outbound", outbound)
            object.__setattr__(self, "resolver", self.guarded_resolver(outbound))
        if self.status_fetcher is None:
            assert self.outbound is not None
            object.__setattr__(self, "status_fetcher", StatusListFetcher(
                self.outbound, local=self._own_status_list, own_base_url=self.settings.public_base_url))

    def guarded_resolver(self, outbound: OutboundClient) -> DidResolver:
        """did:key offline, own did:web issuers from the keystore, other did:web through ``outbound`` (cached)."""
        from .issuers import LocalIssuerDocuments  # issuers imports this module

        return service_resolver(outbound, local=LocalIssuerDocuments(self.keystore, self.settings.public_base_url),
                                own_base_url=self.settings.public_base_url)

    def _own_status_list(self, url: str) -> dict[str, Any]:
        """This service's own status list, read from the database (no request to itself)."""
        from ..status import service as status_service  # the status package imports this module

        match = _OWN_STATUS_PATH.match(urlsplit(url).path)
        base = self.settings.public_base_url.rstrip("/")
        if match is None or not url.startswith(base + "/"):
            raise LookupError("no such status list on this service")
        slug, purpose, seq = match.group(1), match.group(2), int(match.group(3))
        with self.sessions() as session:
            return status_service.signed_list(session, slug=slug, purpose=purpose, seq=seq,
                                              keystore=self.keystore, public_base_url=base)


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A database session for one request. Service functions open their own transactions
    (``with session.begin():``), so what they commit is committed before the response is built."""
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
