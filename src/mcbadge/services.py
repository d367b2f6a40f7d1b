"""The service container: every collaborator the feature services share, built once per process.

:func:`build_services` wires them from the settings — the guarded outbound client, the DID resolver, the one
status fetcher, the one context policy — and the app factory keeps the result on ``app.state.services``.
Feature services take a :class:`Services` argument; nothing here knows HTTP (routes reach it through
``api.deps.ServicesDep``), and verification is set up here once for the API, the pages and the VC API alike.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .extra_contexts import ContextPolicy, context_policy, parse_names
from .identity import LocalIssuerDocuments, issuer_did
from .keystore import Keystore
from .metrics import Metrics
from .outbound import FetchPolicy, OutboundClient
from .recognition.source import RegistrySource
from .resolution import StatusListFetcher, service_resolver
from .status.own_lists import OwnStatusLists
from .vc.dids import DidResolver
from .vc.verify import DocumentCache

__all__ = ["LockedLRU", "Services", "build_services", "fetch_policy", "readiness"]

log = logging.getLogger(__name__)

DOCUMENT_CACHE_SIZE = 4096
"""Entries ``document_cache`` keeps: up to seven per recurring document (three canonical forms, a signature,
three checks), the largest a few KB: some MB at most."""


def fetch_policy(settings: Settings) -> FetchPolicy:
    """The outbound policy: production rules, or loopback and http allowed when ``allow_loopback_fetch`` (tests)."""
    ca_file = str(settings.outbound_ca_file) if settings.outbound_ca_file else None
    return FetchPolicy.for_tests(ca_file=ca_file) if settings.allow_loopback_fetch else FetchPolicy(ca_file=ca_file)


class LockedLRU(MutableMapping[bytes, Any]):
    """A bounded LRU mapping (cachetools) that the service's worker threads share: every operation takes one
    lock, since ``LRUCache`` reorders itself even on a read and is not safe to use from several threads."""

    def __init__(self, maxsize: int) -> None:
        self._entries: LRUCache[bytes, Any] = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def __getitem__(self, key: bytes) -> Any:
        with self._lock:
            return self._entries[key]

    def get(self, key: bytes, default: Any = None) -> Any:
        with self._lock:
            return self._entries.get(key, default)

    def __setitem__(self, key: bytes, value: Any) -> None:
        with self._lock:
            self._entries[key] = value

    def __delitem__(self, key: bytes) -> None:
        with self._lock:
            del self._entries[key]

    def __iter__(self) -> Iterator[bytes]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


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
    document_cache: DocumentCache
    """What verifying remembers about documents that come back at every verification — this service's own
    credentials met as a designation's components, the states' recognition registries — by their exact bytes
    (``vc.verify``'s ``document_cache``): never their status, validity or key binding. Bounded, shared by the
    worker threads."""
    own_status_lists: OwnStatusLists
    """This service's own status lists as its verifier reads them (behind ``status_fetcher``)."""
    contexts: ContextPolicy
    """Which JSON-LD contexts a document may use: the pinned ones, plus ``MCBADGE_EXTRA_CONTEXTS``."""
    published_documents: StatusListFetcher
    """Documents issuers publish beside their DID documents for verifiers (state agencies' recognition
    registries, quality statements), fetched through ``outbound`` with the status lists' HTTP cache
    (``Cache-Control: max-age``, ``ETag``): verifications do not ask another host again for what they still hold
    fresh (mcbadge serves both with ``max-age=300``; without such a header, every use revalidates)."""
    registries: RegistrySource
    """State agencies' current recognition registries: this service's own from the database, others via
    did:web through ``published_documents`` (``recognition.source``)."""
    metrics: Metrics
    """What ``GET /metrics`` reports: requests, awards, verifications, outbound fetches, imports (``mcbadge.metrics``)."""

    @property
    def public_base_url(self) -> str:
        return self.settings.public_base_url.rstrip("/")


def build_services(settings: Settings, keystore: Keystore, sessions: sessionmaker[Session]) -> Services:
    """Wire the collaborators from the settings: the guarded client, the DID resolver, the status fetcher."""
    base = settings.public_base_url
    metrics = Metrics()
    outbound = OutboundClient(fetch_policy(settings), observe=metrics.fetched)
    resolver = service_resolver(outbound, local=LocalIssuerDocuments(keystore, base), own_base_url=base)
    # This service's own lists come from its database: no request to itself.
    own_lists = OwnStatusLists(sessions, sessions.kw["bind"], keystore, base)
    status_fetcher = StatusListFetcher(outbound, local=own_lists, own_base_url=base)
    published = StatusListFetcher(outbound)
    return Services(settings=settings, keystore=keystore, sessions=sessions, blob_dir=settings.blob_dir,
                    outbound=outbound, resolver=resolver, status_fetcher=status_fetcher,
                    status_list_cache=LRUCache(maxsize=1024), own_status_lists=own_lists,
                    document_cache=LockedLRU(DOCUMENT_CACHE_SIZE),
                    contexts=context_policy(parse_names(settings.extra_contexts)),
                    published_documents=published, registries=RegistrySource(sessions, published, base),
                    metrics=metrics)


def readiness(services: Services) -> dict[str, str]:
    """What stands between this process and its work, by part (empty when ready): the database answers a
    query, and the configured issuer's private key decrypts (a wrong passphrase or an unreadable key
    directory means no award can be signed). Said without the error's details, which may name paths."""
    problems: dict[str, str] = {}
    try:
        with services.sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"; logged with its cause
        log.warning("readiness: the database does not answer", exc_info=True)
        problems["database"] = "the database does not answer"
    slug = services.settings.issuer_slug
    try:
        if services.keystore.key_ids(slug):
            services.keystore.load_or_create(slug, issuer_did(services.public_base_url, slug))
        else:
            problems["keys"] = f"the issuer {slug} has no signing key"
    except Exception:  # noqa: BLE001 - as above
        log.warning("readiness: the signing key of %s cannot be loaded", slug, exc_info=True)
        problems["keys"] = f"the signing key of {slug} cannot be loaded (passphrase or key directory)"
    return problems
