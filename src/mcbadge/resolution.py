"""What the verifier fetches from the network, through the guarded client: DID documents and status lists.

* :func:`service_resolver` — a :class:`~mcbadge.vc.dids.DidResolver` for the service: did:key offline,
  this service's own did:web issuers answered locally (never over the network), every other did:web
  fetched through the :class:`~mcbadge.outbound.OutboundClient` and kept in a :class:`TtlCache`.
* :class:`StatusListFetcher` — a ``status_fetcher`` for :func:`mcbadge.vc.verify.verify` with an HTTP
  cache: it honours ``Cache-Control: max-age`` (and ``no-cache`` / ``no-store``, and an ``Age`` header
  from caches on the way), revalidates with ``If-None-Match`` (a 304 renews the copy it has), and the
  status list credential's own ``ttl`` (milliseconds, Bitstring Status List v1.0): the smaller of the
  two freshness limits wins. Each call returns a :class:`StatusListFetch` with the credential and how
  old the information is, so the report can say "status checked N seconds ago". The same cache serves
  the other credentials issuers publish for verifiers (recognition registries, quality statements:
  ``Services.published_documents``), which have no ``ttl`` of their own.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .outbound import FetchFailed, OutboundClient, check_json_content_type
from .vc.dids import DidResolver, TtlCache
from .vc.errors import DidResolutionError

__all__ = [
    "DID_DOCUMENT_MAX_BYTES",
    "STATUS_LIST_MAX_BYTES",
    "RemoteDidDocuments",
    "StatusListFetch",
    "StatusListFetcher",
    "service_resolver",
]

DID_DOCUMENT_MAX_BYTES = 256 * 1024
"""A DID document with a few keys is a few KiB; anything this big is not one."""

STATUS_LIST_MAX_BYTES = 1024 * 1024
"""A 131,072-entry list is 16 KiB raw, a few KiB compressed; multi-bit lists and proofs stay far below 1 MiB."""


@functools.lru_cache(maxsize=1024)  # asked for the same few URLs on every verification; a pure function
def _origin(url: str) -> tuple[str, int]:
    parsed = httpx.URL(url)
    return parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)


def _same_origin(url: str, own: tuple[str, int] | None) -> bool:
    """Whether ``url`` is on this service's host and port. The scheme is not compared: did:web URLs are
    always https, and a development service on http still owns its host:port."""
    if own is None:
        return False
    try:
        host, port = _origin(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return False
    return (host, port) == own


class RemoteDidDocuments:
    """A ``fetch_json`` for :class:`DidResolver`: own issuers locally, the rest through the guarded client.

    ``local(url)`` answers URLs on this service's origin (``public_base_url``); a ``KeyError`` from it
    means "no such issuer here" and is not retried over the network — the service never fetches from
    itself. Remote documents are cached by URL for ``ttl_s`` seconds (a compromised key that the issuer
    withdraws is believed gone within that time); local ones are not cached (the keystore is the truth).
    """

    def __init__(
        self,
        outbound: OutboundClient,
        *,
        local: Callable[[str], Any] | None = None,
        own_base_url: str | None = None,
        ttl_s: float = 300.0,
        max_entries: int = 1024,
    ) -> None:
        self._outbound = outbound
        self._local = local
        self._own = _origin(own_base_url) if own_base_url else None
        self._cache = TtlCache(ttl_s=ttl_s, max_entries=max_entries)

    def __call__(self, url: str) -> Any:
        if self._local is not None and _same_origin(url, self._own):
            try:
                return self._local(url)
            except KeyError:
                raise DidResolutionError("no such issuer on this service") from None
        cached = self._cache.get(url)
        if cached is not None:
            return copy.deepcopy(cached)
        document = self._outbound.fetch_json(url, max_bytes=DID_DOCUMENT_MAX_BYTES)
        if isinstance(document, dict):
            self._cache.put(url, copy.deepcopy(document))
        return document


def service_resolver(
    outbound: OutboundClient,
    *,
    local: Callable[[str], Any] | None = None,
    own_base_url: str | None = None,
    ttl_s: float = 300.0,
) -> DidResolver:
    """The service's DID resolver: did:key offline; own did:web via ``local``; other did:web guarded and cached."""
    return DidResolver(fetch_json=RemoteDidDocuments(outbound, local=local, own_base_url=own_base_url, ttl_s=ttl_s))


# --------------------------------------------------------------------------------------------------
# Status lists
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusListFetch:
    """A status list credential and how old that information is.

    ``fetched_at`` is the wall-clock time (Unix seconds) at which the origin last confirmed it (a 200, or a
    304 revalidation), less any ``Age`` a cache on the way reported; ``age_seconds`` is how long ago that
    was when this result was returned; ``from_cache`` says no request was made for it.
    """

    credential: Mapping[str, Any]
    fetched_at: float
    age_seconds: float
    from_cache: bool


@dataclass
class _Entry:
    credential: dict[str, Any]
    etag: str | None
    fetched_at: float  # wall clock, already reduced by the Age header
    lifetime: float  # seconds of freshness from fetched_at
    storable: bool


def _cache_control(headers: httpx.Headers) -> dict[str, str | None]:
    directives: dict[str, str | None] = {}
    for header in headers.get_list("cache-control"):
        for part in header.split(","):
            name, _, value = part.strip().partition("=")
            if name:
                directives[name.lower()] = value.strip().strip('"') or None
    return directives


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return float(max(number, 0))


def _ttl_seconds(credential: Mapping[str, Any]) -> float | None:
    subject = credential.get("credentialSubject")
    ttl = subject.get("ttl") if isinstance(subject, Mapping) else None
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl < 0:
        return None
    return ttl / 1000.0


class StatusListFetcher:
    """``status_fetcher`` for :func:`~mcbadge.vc.verify.verify`, with an HTTP cache. Thread-safe.

    Freshness of a stored list = the smaller of ``Cache-Control: max-age`` and the list's ``ttl``; with
    neither, ``default_max_age`` (0: revalidate every time, cheap with an ETag). ``no-store`` keeps
    nothing; ``no-cache`` stores but revalidates every time. An expired copy is never served: when the
    list cannot be fetched, the status "could not be checked".

    Own-origin URLs go to ``local(url)`` when given (the service reading its own lists without a network
    round trip); the result is not cached (``local`` is the truth).
    """

    def __init__(
        self,
        outbound: OutboundClient,
        *,
        default_max_age: float = 0.0,
        max_entries: int = 256,
        clock: Callable[[], float] = time.time,
        local: Callable[[str], Mapping[str, Any]] | None = None,
        own_base_url: str | None = None,
    ) -> None:
        self._outbound = outbound
        self._default_max_age = default_max_age
        self._max_entries = max_entries
        self._clock = clock
        self._local = local
        self._own = _origin(own_base_url) if own_base_url else None
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._last: dict[str, StatusListFetch] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str) -> StatusListFetch:
        return self.fetch(url)

    def last_age(self, url: str) -> float | None:
        """How old the information was when ``url`` was last returned (seconds), or None if never fetched."""
        with self._lock:
            last = self._last.get(url)
        return None if last is None else last.age_seconds

    def fetch(self, url: str) -> StatusListFetch:
        """The status list credential at ``url``: from the cache while fresh, else fetched or revalidated.

        Raises :class:`~mcbadge.outbound.OutboundError` (FetchRefused / FetchFailed) when it cannot be had;
        an expired copy is never served instead (status that cannot be checked is reported as such).
        """
        if self._local is not None and _same_origin(url, self._own):
            now = self._clock()
            result = StatusListFetch(copy.deepcopy(dict(self._local(url))), now, 0.0, False)
            return self._remember(url, result)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                self._entries.move_to_end(url)
        if entry is not None and now - entry.fetched_at < entry.lifetime:
            age = max(0.0, now - entry.fetched_at)
            return self._remember(url, StatusListFetch(copy.deepcopy(entry.credential), entry.fetched_at, age, True))

        headers = {"If-None-Match": entry.etag} if entry is not None and entry.etag else {}
        response = self._outbound.get(
            url,
            max_bytes=STATUS_LIST_MAX_BYTES,
            headers=headers,
            accept="application/vc+ld+json, application/ld+json, application/json;q=0.9",
        )
        now = self._clock()
        directives = _cache_control(response.headers)
        age_header = _seconds(response.headers.get("age")) or 0.0
        fetched_at = now - age_header
        if response.status_code == 304:
            if entry is None:
                raise FetchFailed("HTTP 304 to an unconditional request")
            credential = entry.credential
            etag = response.headers.get("etag") or entry.etag
            # A 304 carries the current caching headers; without them, the stored ones still apply.
            if "max-age" in directives or "no-cache" in directives or "no-store" in directives:
                lifetime = self._lifetime(directives, credential)
            else:
                lifetime = entry.lifetime
        else:
            check_json_content_type(response.headers)
            document = response.json()
            if not isinstance(document, dict):
                raise FetchFailed("the status list is not a JSON object")
            credential = document
            etag = response.headers.get("etag")
            lifetime = self._lifetime(directives, credential)
        storable = "no-store" not in directives
        with self._lock:
            if storable:
                self._entries[url] = _Entry(copy.deepcopy(credential), etag, fetched_at, lifetime, True)
                self._entries.move_to_end(url)
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
            else:
                self._entries.pop(url, None)
        return self._remember(url, StatusListFetch(copy.deepcopy(credential), fetched_at, age_header, False))

    def _lifetime(self, directives: Mapping[str, str | None], credential: Mapping[str, Any]) -> float:
        if "no-cache" in directives or "no-store" in directives:
            return 0.0
        limits = [x for x in (_seconds(directives.get("max-age")), _ttl_seconds(credential)) if x is not None]
        return min(limits) if limits else self._default_max_age

    def _remember(self, url: str, result: StatusListFetch) -> StatusListFetch:
        with self._lock:
            self._last[url] = result
            if len(self._last) > self._max_entries:
                self._last.pop(next(iter(self._last)))
        return result
