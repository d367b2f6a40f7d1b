"""Guarded outbound HTTP: the one client every fetch of this service goes through.

did:web documents, status lists, credential URLs and evidence URLs all come from addresses that a
stranger chose (they are written in the credential being verified). Without a guard, "verify this
credential" becomes "make the server fetch http://169.254.169.254/… or http://10.0.0.5/admin for me"
(SSRF). :class:`OutboundClient` enforces one :class:`FetchPolicy` on every request and every redirect hop:

* **URL.** ``https`` only (``http`` when the policy allows it, for tests); no userinfo
  (``https://good.example@127.0.0.1/``), no zone ids, no backslashes, spaces or control characters.
  ``file:``, ``gopher:``, ``ftp:``, ``data:`` … are refused. Any port is allowed: the address decides.
* **Host.** A canonical IP literal (``203.0.113.7``, ``[2001:db8::1]``) is used as is. A host that looks
  numeric but is not a canonical dotted quad (``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``)
  is refused outright: the C resolver reads all of them as 127.0.0.1, other parsers read them
  differently, and no legitimate issuer needs them. Any other name is resolved here, once, with
  ``socket.getaddrinfo`` (bounded by the deadline).
* **Every resolved address** must be public: loopback, private (RFC 1918, fc00::/7), link-local
  (169.254/16 with the 169.254.169.254 metadata service, fe80::/10), CGNAT 100.64/10, multicast,
  unspecified, broadcast, reserved, benchmarking and documentation ranges are refused, and so are
  IPv4-mapped/compatible IPv6 (``::ffff:127.0.0.1``) and Teredo. NAT64 (64:ff9b::/96, 64:ff9b:1::/48)
  and 6to4 (2002::/16) addresses are judged by the IPv4 address they embed. If *any* address of a name
  is forbidden the whole name is refused: a name that mixes public and private answers is an attack or
  a misconfiguration. ``allow_loopback`` (tests only) lets 127.0.0.0/8 and ::1 through, optionally only
  on ``loopback_ports``.

Pinning: why a DNS rebinding cannot slip through
------------------------------------------------
The check and the connection must use the same address, or a name with a zero TTL answers "public" to
the check and "127.0.0.1" to the connect. So the request is sent to the checked IP itself: the URL's host
is replaced by the IP, the ``Host`` header carries the real host, and for https the real host goes in
the TLS SNI and is what the certificate is checked against (httpx's public ``sni_hostname`` request
extension; Python's ``ssl`` verifies the certificate against ``server_hostname``). No second DNS lookup
ever happens. As a belt-and-braces check, the ``trace`` extension sees the socket the moment it connects
and refuses unless its peer is the pinned address. Connections are never reused (no keep-alive pool), so
every request really connects, and environment proxies are ignored (``trust_env=False``): a proxy would
connect on our behalf to wherever it likes.

Redirects are followed by hand (at most ``max_redirects``) and each hop goes through every check above
before anything is sent to it: a redirect to a forbidden target is refused, never contacted.

Limits
------
``connect_timeout`` and ``read_timeout`` bound each socket operation; ``total_timeout`` bounds the whole
fetch, redirects included: a watchdog shuts the socket down at the deadline, so a server dripping a
byte a second (in the body or in the headers) is cut off. ``max_bytes`` caps the bytes read off the wire
(checked against ``Content-Length`` first, then counted while streaming; nothing beyond the cap is
read). The body is decoded here (gzip, deflate; nothing else is accepted) in bounded steps, and the
decoded size is capped by ``max_decompressed_bytes`` (default: the same as ``max_bytes``), so a gzip
bomb is cut off after at most one small step past the cap, without a memory spike.

POST
----
``post`` sends a webhook delivery under the same rules (the receiver's URL, every address, pinning, the deadline)
and returns the status; it follows no redirect, so a signed body never goes anywhere but the subscribed URL.

Errors
------
::

    OutboundError          base class; str() is one line, safe to show to the person verifying
     ├── FetchRefused      the policy forbids the URL or an address it resolves to; nothing was sent
     └── FetchFailed       the fetch was tried and did not succeed: unreachable, timeout, too large,
                           an HTTP error status, an undecodable body, not JSON
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import certifi
import httpx

from .vc.json_values import DuplicateMember, strict_loads

__all__ = [
    "FetchFailed",
    "FetchPolicy",
    "FetchRefused",
    "FetchResult",
    "OutboundClient",
    "OutboundError",
    "Target",
    "address_problem",
    "check_json_content_type",
]

MIB = 1024 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_JSON_TYPES = re.compile(r"^application/(?:[a-z0-9.+-]+\+)?json$")
# A host whose last label is all digits, or any label is hex (0x…), is an IPv4 address in the eyes of
# inet_aton / WHATWG URL parsers; only the canonical dotted quad is accepted.
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_DECODE_STEP = 64 * 1024


class OutboundError(Exception):
    """An outbound fetch did not happen or did not succeed. The message is one line, free of internals."""


class FetchRefused(OutboundError):
    """The policy forbids this URL or an address it resolves to; nothing was sent to it."""


class FetchFailed(OutboundError):
    """The fetch was attempted and failed: unreachable, too slow, too large, an HTTP error, not JSON.

    ``status`` is the HTTP status when the server answered with an error (410 Gone means something to an Open
    Badges 2.0 verifier: the issuer revoked the assertion), else None."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class FetchPolicy:
    """What outbound fetches may do. The defaults are the production rules."""

    allow_http: bool = False
    """Allow plain ``http`` URLs (tests with a local server; never in production)."""
    allow_loopback: bool = False
    """Allow 127.0.0.0/8 and ::1 (tests with a local server; never in production)."""
    loopback_ports: frozenset[int] | None = None
    """With ``allow_loopback``: only these loopback ports (None: any). Lets a test allow one local server."""
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    total_timeout: float = 10.0
    """Deadline for the whole fetch, DNS and redirects included."""
    max_bytes: int = MIB
    """Largest body read off the wire (overridable per call)."""
    max_decompressed_bytes: int | None = None
    """Largest decoded body; None: the call's ``max_bytes``."""
    max_redirects: int = 3
    ca_file: str | None = None
    """Trust anchors for https (a PEM file); None: the Mozilla bundle from certifi."""
    user_agent: str = "mcbadge-verifier/0.1 (+https://github.com/mcbadge)"

    @classmethod
    def for_tests(cls, **overrides: Any) -> FetchPolicy:
        """A policy that also allows http and loopback: for tests with servers on 127.0.0.1 only."""
        return cls(**{"allow_http": True, "allow_loopback": True, **overrides})


@dataclass(frozen=True)
class Target:
    """A URL that passed the checks, pinned to the one address the request will be sent to."""

    url: httpx.URL
    host: str
    """The host as it goes into ``Host`` and the TLS SNI (lower case, IDNA, no trailing dot)."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int
    addresses: tuple[str, ...]
    """Every address the host resolved to (all checked)."""


@dataclass(frozen=True)
class FetchResult:
    """A completed fetch: the final URL after redirects, the status (2xx or 304), headers and decoded body."""

    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes
    redirects: tuple[str, ...] = field(default=())

    def json(self) -> Any:
        return _parse_json(self.content, self.url)


# --------------------------------------------------------------------------------------------------
# Address rules
# --------------------------------------------------------------------------------------------------

_V4_FORBIDDEN = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network", includes the unspecified address
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT shared address space
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, includes 169.254.169.254 (cloud metadata)
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes 255.255.255.255 broadcast
    )
)
_V6_FORBIDDEN = tuple(
    ipaddress.ip_network(n)
    for n in (
        "::/128",
        "::1/128",
        "::ffff:0:0/96",  # IPv4-mapped
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, includes Teredo 2001::/32
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def address_problem(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool = False
) -> str | None:
    """Why ``ip`` must not be contacted (a short phrase), or None when it is a public address."""
    if allow_loopback and any(ip in net for net in _LOOPBACK):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "an IPv6 address with a zone id"
        for net in _NAT64:
            if ip in net:
                embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
                inner = address_problem(embedded)
                return f"a NAT64 address of {embedded} ({inner})" if inner else None
        if ip in _SIX_TO_FOUR:
            embedded = ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
            inner = address_problem(embedded)
            if inner:
                return f"a 6to4 address of {embedded} ({inner})"
        if ip.ipv4_mapped is not None:
            return f"an IPv4-mapped IPv6 address ({ip.ipv4_mapped})"
        for net in _V6_FORBIDDEN:
            if ip in net:
                return _describe(ip, net)
    else:
        for net in _V4_FORBIDDEN:
            if ip in net:
                return _describe(ip, net)
    # Whatever the tables above miss, the standard library's registry view catches.
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "not a public address"
    return None


def _describe(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, net: Any) -> str:
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if str(ip) == "255.255.255.255":
        return "the broadcast address"
    if ip.is_link_local:
        return "a link-local address" + (" (cloud metadata service)" if str(ip) == "169.254.169.254" else "")
    if ip.is_multicast:
        return "a multicast address"
    if str(net) == "100.64.0.0/10":
        return "a shared (CGNAT) address (100.64.0.0/10)"
    if str(net) in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"):
        return f"a private address ({net})"
    return f"a reserved or special-purpose address ({net})"


# --------------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------------

_DNS_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mcbadge-dns")

AddrInfo = Callable[..., list[tuple[Any, ...]]]


class _Watchdog:
    """Per request: checks the connected socket's peer, and shuts the socket down at the deadline."""

    def __init__(self, pinned: ipaddress.IPv4Address | ipaddress.IPv6Address, deadline: float) -> None:
        self.pinned = pinned
        self.sock: socket.socket | None = None
        self.expired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        if name != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        try:
            peer = ipaddress.ip_address(sock.getpeername()[0])
        except (OSError, ValueError):
            peer = None
        if peer != self.pinned:
            sock.close()
            raise FetchRefused("the connection did not reach the checked address")
        with self._lock:
            self.sock = sock
            if self.expired:
                self._shutdown()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self.sock is not None:
            try:
                # The plain-socket method, also for an SSLSocket: it wakes a blocked read in the other thread
                # without tearing down the SSL object under it.
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


@lru_cache(maxsize=16)
def _tls_context(ca_file: str) -> ssl.SSLContext:
    """The TLS context trusting ``ca_file``, made once per process: reading a CA bundle costs ~40 ms, at every app
    built. A context is safe to share between clients and threads; nothing here changes it after it is made (a CA
    file replaced on disk is read at the next start)."""
    return ssl.create_default_context(cafile=ca_file)


class OutboundClient:
    """The guarded HTTP client (sync, thread-safe). See the module docstring for the rules.

    ``getaddrinfo`` can be replaced (tests use it to play a DNS server that changes its answers). ``observe`` is
    told the result of every fetch: ``ok``, ``not_modified``, ``refused`` or ``failed`` (the service counts them).
    """

    def __init__(self, policy: FetchPolicy | None = None, *, getaddrinfo: AddrInfo | None = None,
                 observe: Callable[[str], None] | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._observe = observe or (lambda result: None)
        self._getaddrinfo = getaddrinfo or socket.getaddrinfo
        self._client = httpx.Client(
            verify=_tls_context(str(self.policy.ca_file or certifi.where())),
            trust_env=False,  # no proxies, no netrc, no SSL_CERT_FILE from the environment
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=self.policy.connect_timeout,
                read=self.policy.read_timeout,
                write=self.policy.read_timeout,
                pool=self.policy.connect_timeout,
            ),
            limits=httpx.Limits(max_keepalive_connections=0),  # every request connects: pinned, watched
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OutboundClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- checks -------------------------------------------------------------------------------------

    def check_url(self, url: str | httpx.URL, *, deadline: float | None = None) -> Target:
        """Parse, check and resolve ``url``; the pinned :class:`Target`, or FetchRefused. Sends nothing."""
        policy = self.policy
        if isinstance(url, str):
            if any(ch in url for ch in "\\\t\r\n ") or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
                raise FetchRefused("the URL contains characters that are not allowed")
            try:
                parsed = httpx.URL(url)
            except (httpx.InvalidURL, ValueError, TypeError):
                raise FetchRefused("not a valid URL") from None
        else:
            parsed = url
        scheme = parsed.scheme
        if scheme not in ("https", "http"):
            raise FetchRefused(f"the URL scheme {scheme or '(none)'!r} is not allowed; only https")
        if scheme == "http" and not policy.allow_http:
            raise FetchRefused("plain http is not allowed; only https")
        if parsed.userinfo:
            raise FetchRefused("URLs with a user name or password are not allowed")
        host = parsed.raw_host.decode("ascii", "replace").lower()
        host = host[:-1] if host.endswith(".") else host  # "example.org." is "example.org"
        if not host:
            raise FetchRefused("the URL has no host")
        port = parsed.port or (443 if scheme == "https" else 80)
        if not 0 < port < 65536:
            raise FetchRefused("not a valid port")
        literal = _ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            if not _HOSTNAME.match(host):
                raise FetchRefused("not a valid host name")
            if _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]) or any(
                label.startswith("0x") and _NUMERIC_LABEL.match(label) for label in host.split(".")
            ):
                raise FetchRefused("a numeric host that is not a canonical IP address is not allowed")
            addresses = self._resolve(host, port, deadline)
        problems = []
        for ip in addresses:
            problem = address_problem(ip, allow_loopback=policy.allow_loopback)
            if problem is None and ip.is_loopback and policy.loopback_ports is not None and port not in policy.loopback_ports:
                problem = "a loopback address (this port is not allowed)"
            if problem:
                problems.append(problem)
        if problems:
            shown = host if literal is None else str(literal)
            raise FetchRefused(f"{shown} is {problems[0]}; outbound fetches only go to public addresses")
        return Target(parsed, host, addresses[0], port, tuple(str(a) for a in addresses))

    def _resolve(
        self, host: str, port: int, deadline: float | None
    ) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        remaining = self.policy.total_timeout if deadline is None else deadline - time.monotonic()
        if remaining <= 0:
            raise FetchFailed("the fetch took too long")
        future = _DNS_POOL.submit(self._getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        try:
            infos = future.result(timeout=remaining)
        except FutureTimeout:
            raise FetchFailed(f"resolving {host} took too long") from None
        except (OSError, UnicodeError):
            raise FetchFailed(f"{host} could not be resolved") from None
        addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
        for info in infos:
            if info[0] not in (socket.AF_INET, socket.AF_INET6):
                continue
            try:
                ip = ipaddress.ip_address(str(info[4][0]))
            except ValueError:
                raise FetchRefused(f"{host} resolved to an address that cannot be read") from None
            if ip not in addresses:
                addresses.append(ip)
        if not addresses:
            raise FetchFailed(f"{host} has no address")
        return addresses

    # -- fetching -----------------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "*/*",
    ) -> FetchResult:
        """GET ``url`` under the policy. Returns 2xx and 304 responses; raises FetchRefused / FetchFailed."""
        try:
            result = self._get(url, max_bytes, headers, accept)
        except FetchRefused:
            self._observe("refused")
            raise
        except FetchFailed:
            self._observe("failed")
            raise
        self._observe("not_modified" if result.status_code == 304 else "ok")
        return result

    def _get(self, url: str, max_bytes: int | None, headers: Mapping[str, str] | None, accept: str) -> FetchResult:
        policy = self.policy
        cap = max_bytes if max_bytes is not None else policy.max_bytes
        decoded_cap = policy.max_decompressed_bytes if policy.max_decompressed_bytes is not None else cap
        deadline = time.monotonic() + policy.total_timeout
        current: str | httpx.URL = url
        hops: list[str] = []
        for _ in range(policy.max_redirects + 1):
            target = self.check_url(current, deadline=deadline)
            status, response_headers, body = self._send(target, headers, accept, deadline, cap, decoded_cap)
            if status in _REDIRECTS:
                location = response_headers.get("location")
                if not location:
                    raise FetchFailed(f"HTTP {status} without a Location")
                try:
                    current = target.url.join(location)
                except (httpx.InvalidURL, ValueError):
                    raise FetchRefused("the redirect goes to an invalid URL") from None
                hops.append(str(target.url))
                continue
            if status == 304 or 200 <= status < 300:
                return FetchResult(str(target.url), status, response_headers, body, tuple(hops))
            raise FetchFailed(f"HTTP {status} from {target.host}", status=status)
        raise FetchRefused(f"more than {policy.max_redirects} redirects")

    def fetch_json(self, url: str, *, max_bytes: int | None = None) -> Any:
        """GET ``url`` and parse JSON. Content types: ``application/json`` and ``application/*+json``
        (``ld+json``, ``did+json``, ``vc+ld+json`` …), or none at all; anything else (an HTML error page,
        ``text/plain``) is refused as FetchFailed, as is a body that is not UTF-8 JSON."""
        result = self.get(url, max_bytes=max_bytes,
                          accept="application/did+json, application/ld+json, application/json;q=0.9")
        if result.status_code == 304:
            raise FetchFailed("HTTP 304 to an unconditional request")
        check_json_content_type(result.headers)
        return result.json()

    def post(self, url: str, content: bytes, *, headers: Mapping[str, str]) -> int:
        """POST ``content`` to ``url`` under the policy (a webhook delivery); the response's status, whatever it
        is (the caller decides what counts as delivered). Redirects are not followed: a receiver that moved
        answers 3xx, a failed delivery, rather than have a signed body sent somewhere else. The response body
        is not read (the connection is closed). Raises FetchRefused / FetchFailed when nothing was answered."""
        deadline = time.monotonic() + self.policy.total_timeout
        target = self.check_url(url, deadline=deadline)
        status, _, _ = self._send(target, headers, "*/*", deadline, 0, 0, method="POST", content=content,
                                  read="never")
        return status

    def post_and_read(
        self,
        url: str,
        *,
        content: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
        max_bytes: int | None = None,
    ) -> FetchResult:
        """POST ``content`` to ``url`` under the policy and read the answer, whatever its status (an API call to
        another service: an OAuth token or registration endpoint, the OB 3.0 API, whose refusals say why in
        their body, capped like a GET's). Redirects are not followed (a POST is never replayed elsewhere).
        Raises FetchRefused / FetchFailed when nothing was answered."""
        policy = self.policy
        cap = max_bytes if max_bytes is not None else policy.max_bytes
        decoded_cap = policy.max_decompressed_bytes if policy.max_decompressed_bytes is not None else cap
        deadline = time.monotonic() + policy.total_timeout
        try:
            target = self.check_url(url, deadline=deadline)
            status, response_headers, body = self._send(
                target, {**(headers or {}), "Content-Type": content_type}, accept, deadline, cap, decoded_cap,
                method="POST", content=content, read="always")
        except FetchRefused:
            self._observe("refused")
            raise
        except FetchFailed:
            self._observe("failed")
            raise
        self._observe("ok")
        return FetchResult(str(target.url), status, response_headers, body)

    def _send(
        self,
        target: Target,
        headers: Mapping[str, str] | None,
        accept: str,
        deadline: float,
        cap: int,
        decoded_cap: int,
        *,
        method: str = "GET",
        content: bytes | None = None,
        read: str = "success",
    ) -> tuple[int, httpx.Headers, bytes]:
        url = target.url
        default_port = 443 if url.scheme == "https" else 80
        host_header = (f"[{target.host}]" if ":" in target.host else target.host) + (
            "" if target.port == default_port else f":{target.port}"
        )
        request_headers = {
            "Accept": accept,
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": self.policy.user_agent,
            **(headers or {}),
            "Host": host_header,
        }
        watchdog = _Watchdog(target.ip, deadline)
        extensions: dict[str, Any] = {"trace": watchdog}
        if url.scheme == "https":
            extensions["sni_hostname"] = target.host
        request = self._client.build_request(
            method, url.copy_with(host=str(target.ip)), headers=request_headers, extensions=extensions,
            content=content,
        )
        try:
            response = self._client.send(request, stream=True)
            try:
                if response.status_code in _REDIRECTS or response.status_code == 304:
                    return response.status_code, response.headers, b""
                # read: "success" reads a 2xx body only (a fetch), "never" no body (a webhook delivery),
                # "always" whatever the status (an API call, whose refusal says why).
                if read == "never" or (read == "success" and not 200 <= response.status_code < 300):
                    return response.status_code, response.headers, b""
                body = _read_body(response, cap, decoded_cap, deadline)
                return response.status_code, response.headers, body
            finally:
                response.close()
        except OutboundError:
            raise
        except httpx.ConnectTimeout:
            raise FetchFailed(f"connecting to {target.host} timed out") from None
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
            if watchdog.expired:
                raise FetchFailed(f"the fetch took longer than {self.policy.total_timeout:g} s") from None
            raise FetchFailed(f"{target.host} stopped answering") from None
        except httpx.ConnectError as exc:
            if _caused_by(exc, ssl.SSLCertVerificationError):
                raise FetchFailed(f"the TLS certificate of {target.host} is not valid for it") from None
            if _caused_by(exc, ssl.SSLError):
                raise FetchFailed(f"the TLS handshake with {target.host} failed") from None
            raise FetchFailed(f"cannot connect to {target.host}") from None
        except (httpx.HTTPError, OSError, ssl.SSLError, zlib.error):
            if watchdog.expired:
                raise FetchFailed(f"the fetch took longer than {self.policy.total_timeout:g} s") from None
            raise FetchFailed(f"the connection to {target.host} failed") from None
        finally:
            watchdog.cancel()


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if ":" in host:
        if "%" in host:
            raise FetchRefused("IPv6 zone ids are not allowed")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise FetchRefused("not a valid IPv6 address") from None
    try:
        return ipaddress.IPv4Address(host)  # canonical dotted quads only (no octal, hex, short forms)
    except ValueError:
        return None


def _content_encoding(response: httpx.Response) -> str:
    values = [v.strip().lower() for v in response.headers.get("content-encoding", "").split(",") if v.strip()]
    values = [v for v in values if v != "identity"]
    if len(values) > 1:
        raise FetchFailed("stacked content encodings are not accepted")
    return values[0] if values else ""


def _read_body(response: httpx.Response, cap: int, decoded_cap: int, deadline: float) -> bytes:
    encoding = _content_encoding(response)
    decoder: _BoundedDecoder | None
    if encoding in ("gzip", "x-gzip"):
        decoder = _BoundedDecoder(16 + zlib.MAX_WBITS, decoded_cap)
    elif encoding == "deflate":
        decoder = _BoundedDecoder(zlib.MAX_WBITS, decoded_cap, raw_fallback=True)
    elif encoding:
        raise FetchFailed(f"content encoding {encoding!r} is not accepted")
    else:
        decoder = None
    length = response.headers.get("content-length")
    if length is not None:
        try:
            declared = int(length)
        except ValueError:
            raise FetchFailed("the Content-Length is not a number") from None
        if declared > cap:
            raise FetchFailed(f"the response is larger than {cap} bytes")
    received = 0
    out = bytearray()
    for chunk in _raw_chunks(response):
        received += len(chunk)
        if received > cap:
            raise FetchFailed(f"the response is larger than {cap} bytes")
        if time.monotonic() > deadline:
            raise FetchFailed("the fetch took too long")
        if decoder is None:
            out += chunk
        else:
            decoder.feed(chunk, out)
    if decoder is not None:
        decoder.finish(out)
    return bytes(out)


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    # iter_raw: the bytes as sent (no decoding by httpx; we decode in bounded steps ourselves).
    yield from response.iter_raw()


class _BoundedDecoder:
    """zlib decoding that never produces more than ``limit`` bytes, in steps of at most 64 KiB."""

    def __init__(self, wbits: int, limit: int, *, raw_fallback: bool = False) -> None:
        self._wbits = wbits
        self._limit = limit
        self._raw_fallback = raw_fallback
        self._obj = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes, out: bytearray) -> None:
        while data or (self._obj.eof and self._obj.unused_data):
            if self._obj.eof:
                # Another gzip member follows; after a zlib or raw deflate stream, anything more is junk.
                if self._wbits != 16 + zlib.MAX_WBITS:
                    raise FetchFailed("data after the end of the compressed body")
                data = self._obj.unused_data + data
                self._obj = zlib.decompressobj(self._wbits)
            room = self._limit - len(out)
            try:
                chunk = self._obj.decompress(data, min(_DECODE_STEP, room + 1))
            except zlib.error:
                if self._raw_fallback and not self._started:
                    # "deflate" is often sent as a raw deflate stream without the zlib wrapper.
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._raw_fallback = False
                    continue
                raise FetchFailed("the compressed body is corrupt") from None
            self._started = True
            out += chunk
            if len(out) > self._limit:
                raise FetchFailed(f"the decompressed response is larger than {self._limit} bytes")
            data = self._obj.unconsumed_tail
            if not chunk and not data:
                break

    def finish(self, out: bytearray) -> None:
        self.feed(b"", out)
        room = self._limit - len(out)
        try:
            tail = self._obj.flush(max(1, min(_DECODE_STEP, room + 1)))
        except zlib.error:
            raise FetchFailed("the compressed body is corrupt") from None
        out += tail
        if len(out) > self._limit:
            raise FetchFailed(f"the decompressed response is larger than {self._limit} bytes")
        if not self._obj.eof:
            raise FetchFailed("the compressed body is truncated")


def check_json_content_type(headers: httpx.Headers) -> None:
    """FetchFailed unless the Content-Type is JSON (``application/json``, ``application/*+json``) or absent."""
    content_type = headers.get("content-type")
    if content_type is None:
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if not _JSON_TYPES.match(media):
        raise FetchFailed(f"expected JSON, got {media or 'an empty content type'}")


def _parse_json(content: bytes, url: str) -> Any:
    # Strictly, as requests' bodies are read: a member named twice (Python keeps the last, other parsers the first)
    # would make a fetched DID document or status list mean one thing here and another elsewhere.
    try:
        return strict_loads(content.decode("utf-8"))
    except DuplicateMember as exc:
        raise FetchFailed(f"the response is not JSON a verifier can read: {exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FetchFailed("the response is not valid JSON") from None
