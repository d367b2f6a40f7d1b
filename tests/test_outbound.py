"""The guarded outbound client: the SSRF matrix, redirects, limits, pinning, TLS; remote did:web through the API.

Every forbidden target is refused *and never contacted*: local servers count the connections they accept,
and an audit hook records every ``socket.connect`` the process attempts (``record_connects``), so "refused"
cannot hide a connection that was made and then thrown away. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import socket
import time
import tracemalloc
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcbadge.services import Services, build_services
from mcbadge.outbound import FetchFailed, FetchPolicy, FetchRefused, OutboundClient, address_problem
from mcbadge.resolution import service_resolver
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_web_document, did_web_to_url
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.status_list import BitstringStatusList, status_list_credential

from tests.live_server import LiveServer
from tests.factories.credentials import rich_credential
from tests.local_servers import LocalServer, TestCA, record_connects, redirect_to, send

JSON_OK = json.dumps({"ok": True}).encode()


def ok(handler: BaseHTTPRequestHandler) -> None:
    send(handler, 200, JSON_OK)


@pytest.fixture
def target() -> Any:
    """A local server that must never be reached by the refused requests (its counters stay 0)."""
    with LocalServer({"/": ok, "/x": ok}) as server:
        yield server


# --------------------------------------------------------------------------------------------------
# The address table
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.255.254", "::1", "0.0.0.0", "::", "10.0.0.1", "172.16.0.1", "172.31.255.255",
    "192.168.1.1", "169.254.169.254", "169.254.0.1", "fe80::1", "fc00::1", "fd12:3456::1", "100.64.0.1",
    "100.127.255.254", "224.0.0.1", "239.255.255.250", "ff02::1", "255.255.255.255", "240.0.0.1",
    "192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1", "192.0.0.1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:8.8.8.8", "::127.0.0.1", "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1", "2002:7f00:1::1", "2002:a9fe:a9fe::1", "2001:0:4136:e378::1",
    "::ffff:0:7f00:1", "fec0::1",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "64:ff9b::808:808",
                                     "2002:808:808::1"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


def test_loopback_is_allowed_only_when_the_policy_says_so() -> None:
    assert address_problem(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert address_problem(ipaddress.ip_address("::1"), allow_loopback=True) is None
    # "Loopback allowed" is 127/8 and ::1 only: never their IPv4-mapped spelling, nor anything private.
    assert address_problem(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True) is not None
    assert address_problem(ipaddress.ip_address("10.0.0.1"), allow_loopback=True) is not None


# --------------------------------------------------------------------------------------------------
# The SSRF matrix: refused before anything is sent
# --------------------------------------------------------------------------------------------------

# (url template, what the refusal says). ``{port}`` is the local server's port: if the guard failed, the
# request would reach that server and its counters would show it.
REFUSED = [
    ("http://localhost:{port}/", "loopback"),
    ("http://LOCALHOST.:{port}/", "loopback"),
    ("http://127.0.0.1:{port}/", "loopback"),
    ("http://127.1:{port}/", "numeric host"),
    ("http://127.0.1:{port}/", "numeric host"),
    ("http://2130706433:{port}/", "numeric host"),
    ("http://0x7f000001:{port}/", "numeric host"),
    ("http://0x7f.0.0.1:{port}/", "numeric host"),
    ("http://0177.0.0.1:{port}/", "not a valid URL"),
    ("http://017700000001:{port}/", "numeric host"),
    ("http://[::1]:{port}/", "loopback"),
    ("http://[::ffff:127.0.0.1]:{port}/", "IPv4-mapped"),
    ("http://[::ffff:7f00:1]:{port}/", "IPv4-mapped"),
    ("http://[64:ff9b::7f00:1]:{port}/", "NAT64"),
    ("http://[2002:7f00:1::]:{port}/", "6to4"),
    ("http://0.0.0.0:{port}/", "unspecified"),
    ("http://0:{port}/", "numeric host"),
    ("http://[::]:{port}/", "unspecified"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fe80::1%25eth0]/", "zone"),
    ("http://10.0.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://[fd00::1]/", "private"),
    ("http://100.64.0.1/", "CGNAT"),
    ("http://224.0.0.1/", "multicast"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://198.18.0.1/", "reserved"),
    ("http://example.org@127.0.0.1:{port}/", "user name"),
    ("http://example.org:pw@127.0.0.1:{port}/", "user name"),
    ("http://127.0.0.1:{port}#@example.org/", "loopback"),
    ("http://127.0.0.1:{port}\\@example.org/", "characters"),
    ("http://example.org%40127.0.0.1:{port}/", "host name"),
    ("file:///etc/passwd", "scheme 'file'"),
    ("gopher://127.0.0.1:{port}/_GET%20/", "scheme 'gopher'"),
    ("ftp://127.0.0.1:{port}/", "scheme 'ftp'"),
    ("data:application/json,{{}}", "scheme"),
    ("dict://127.0.0.1:{port}/", "scheme 'dict'"),
    ("//127.0.0.1:{port}/", "scheme"),
]


@pytest.mark.parametrize(("template", "reason"), REFUSED, ids=[t for t, _ in REFUSED])
def test_forbidden_targets_are_refused_and_never_contacted(target: LocalServer, template: str, reason: str) -> None:
    # http allowed, loopback not: the address rules alone must stop these.
    client = OutboundClient(FetchPolicy(allow_http=True))
    url = template.format(port=target.port)
    started = time.monotonic()
    with record_connects() as connects, pytest.raises(FetchRefused) as refused:
        client.get(url)
    assert reason.lower() in str(refused.value).lower(), str(refused.value)
    assert "\n" not in str(refused.value)
    assert connects == [], f"a connection was attempted: {connects}"
    assert target.connections == 0 and target.total_hits == 0
    assert time.monotonic() - started < 0.5  # refused on the spot: no connect, no timeout


def test_plain_http_is_refused_unless_allowed(target: LocalServer) -> None:
    with record_connects() as connects, pytest.raises(FetchRefused, match="only https"):
        OutboundClient(FetchPolicy(allow_loopback=True)).get(target.url("/"))
    assert connects == [] and target.connections == 0
    # The same server with the test policy: reached, which shows the refusals above are not accidents.
    assert OutboundClient(FetchPolicy.for_tests()).fetch_json(target.url("/")) == {"ok": True}
    assert target.total_hits == 1


def test_loopback_ports_limit_which_local_server_is_allowed(target: LocalServer) -> None:
    with LocalServer({"/": ok}) as other:
        client = OutboundClient(FetchPolicy.for_tests(loopback_ports=frozenset({other.port})))
        assert client.fetch_json(other.url("/")) == {"ok": True}
        with record_connects() as connects, pytest.raises(FetchRefused, match="port is not allowed"):
            client.get(target.url("/"))
        assert connects == [] and target.connections == 0


def test_a_name_with_any_private_address_is_refused() -> None:
    calls: list[str] = []

    def dns(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port))]

    with record_connects() as connects, pytest.raises(FetchRefused, match="private"):
        OutboundClient(getaddrinfo=dns).get("https://mixed.example/")
    assert calls == ["mixed.example"] and connects == []


def test_the_checked_address_is_the_one_connected_to(target: LocalServer) -> None:
    """DNS rebinding: the first answer is checked and pinned; a later, different answer is never asked for."""
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])
    calls: list[str] = []

    def rebinding_dns(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    client = OutboundClient(FetchPolicy.for_tests(), getaddrinfo=rebinding_dns)
    with record_connects() as connects:
        assert client.fetch_json(f"http://rebind.example:{target.port}/x") == {"ok": True}
    assert calls == ["rebind.example"]  # resolved once, by the guard; httpx only saw the IP
    assert connects == [("127.0.0.1", target.port)]
    # The server saw the real host name in Host, not the pinned IP.
    assert target.requests[-1]["host"] == f"rebind.example:{target.port}"


# --------------------------------------------------------------------------------------------------
# Redirects: each hop is checked like the first; a forbidden hop is never contacted
# --------------------------------------------------------------------------------------------------

REDIRECT_TARGETS = [
    ("http://127.0.0.1:{other}/", "port is not allowed"),
    ("http://localhost:{other}/", "port is not allowed"),
    ("http://[::ffff:127.0.0.1]:{other}/", "IPv4-mapped"),
    ("http://2130706433:{other}/", "numeric host"),
    ("http://0x7f000001:{other}/", "numeric host"),
    ("http://0.0.0.0:{other}/", "unspecified"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://10.0.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[fd00::1]/", "private"),
    ("http://user@127.0.0.1:{first}/ok", "user name"),
    ("file:///etc/passwd", "scheme 'file'"),
    ("gopher://127.0.0.1:{other}/", "scheme 'gopher'"),
]


@pytest.mark.parametrize(("template", "reason"), REDIRECT_TARGETS, ids=[t for t, _ in REDIRECT_TARGETS])
@pytest.mark.parametrize("status", [302, 307])
def test_redirects_to_forbidden_targets_are_refused(template: str, reason: str, status: int) -> None:
    with LocalServer() as first, LocalServer({"/": ok}) as other:
        location = template.format(other=other.port, first=first.port)
        first.routes["/go"] = redirect_to(location, status)
        first.routes["/ok"] = ok
        # Loopback allowed, but only the first server's port: the redirect target is what gets refused.
        client = OutboundClient(FetchPolicy.for_tests(loopback_ports=frozenset({first.port})))
        with record_connects() as connects, pytest.raises(FetchRefused) as refused:
            client.get(first.url("/go"))
        assert reason.lower() in str(refused.value).lower(), str(refused.value)
        assert first.hits["/go"] == 1 and first.hits["/ok"] == 0
        assert other.connections == 0 and other.total_hits == 0
        assert connects == [("127.0.0.1", first.port)]


def test_allowed_redirects_are_followed_up_to_the_limit() -> None:
    with LocalServer({"/ok": ok}) as server:
        for i in range(5):
            server.routes[f"/r{i}"] = redirect_to(f"/r{i + 1}" if i < 4 else "/ok", 301)
        client = OutboundClient(FetchPolicy.for_tests(max_redirects=3))
        result = client.get(server.url("/r2"))  # r2 -> r3 -> r4 -> ok: three redirects
        assert result.status_code == 200 and result.url.endswith("/ok") and len(result.redirects) == 3
        with pytest.raises(FetchRefused, match="more than 3 redirects"):
            client.get(server.url("/r0"))
        assert server.hits["/r0"] == 1 and server.hits["/ok"] == 1  # the 4th hop was never requested


# --------------------------------------------------------------------------------------------------
# Time and size limits
# --------------------------------------------------------------------------------------------------


def drip_body(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    for _ in range(100):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.5)


def drip_headers(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(200):
        handler.wfile.write(b"X: y\r\n")
        handler.wfile.flush()
        time.sleep(0.25)


@pytest.mark.parametrize("route", ["/body", "/headers"])
def test_a_slow_drip_is_cut_off_at_the_deadline(route: str) -> None:
    with LocalServer({"/body": drip_body, "/headers": drip_headers}) as server:
        # Every single read is fast (well under read_timeout); only the overall deadline can stop this.
        client = OutboundClient(FetchPolicy.for_tests(read_timeout=5, total_timeout=1.5))
        started = time.monotonic()
        with pytest.raises(FetchFailed, match="too long|took longer"):
            client.get(server.url(route))
        assert 1.4 < time.monotonic() - started < 3.0


def test_an_unresponsive_server_times_out() -> None:
    def silent(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(3)

    with LocalServer({"/": silent}) as server:
        client = OutboundClient(FetchPolicy.for_tests(read_timeout=0.5, total_timeout=5))
        started = time.monotonic()
        with pytest.raises(FetchFailed, match="stopped answering"):
            client.get(server.url("/"))
        assert time.monotonic() - started < 2


def test_nothing_listening_is_a_one_line_failure() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(FetchFailed) as failed:
        OutboundClient(FetchPolicy.for_tests()).get(f"http://127.0.0.1:{port}/")
    assert str(failed.value) == "cannot connect to 127.0.0.1"


HUNDRED_MB = 100 * 1024 * 1024


class Streamed:
    """A lazily streamed 100 MB body (chunked, no length), counting what it managed to send."""

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"a" * 65536
        while self.sent < HUNDRED_MB:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.sent += len(chunk)
        handler.wfile.write(b"0\r\n\r\n")


def declared_100mb(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", str(HUNDRED_MB))
    handler.end_headers()
    handler.wfile.write(b"a" * 65536)


def test_a_100mb_body_is_cut_at_max_bytes() -> None:
    streamed = Streamed()
    with LocalServer({"/stream": streamed, "/declared": declared_100mb}) as server:
        client = OutboundClient(FetchPolicy.for_tests())
        started = time.monotonic()
        with pytest.raises(FetchFailed, match="larger than 1048576 bytes"):
            client.get(server.url("/declared"))  # Content-Length says too big: refused before reading
        with pytest.raises(FetchFailed, match="larger than 1048576 bytes"):
            client.get(server.url("/stream"))
        with pytest.raises(FetchFailed, match="larger than 200000 bytes"):
            client.get(server.url("/stream"), max_bytes=200_000)  # per-call cap
        assert time.monotonic() - started < 3
    # The server got a few socket buffers' worth out, never the 100 MB.
    assert streamed.sent < 32 * 1024 * 1024


class GzipBomb:
    """1 GiB of zeros, gzip-compressed lazily (about 1 MB on the wire in total), sent in ~64 KiB chunks."""

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        zeros = bytes(1024 * 1024)
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        for _ in range(16):  # 16 × 64 MiB = 1 GiB decompressed
            piece = b"".join(compressor.compress(zeros) for _ in range(64)) + compressor.flush(zlib.Z_SYNC_FLUSH)
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.sent += len(piece)
        tail = compressor.flush()
        handler.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(tail), tail))


def test_a_gzip_bomb_is_cut_off_without_a_memory_spike() -> None:
    bomb = GzipBomb()
    with LocalServer({"/bomb": bomb}) as server:
        client = OutboundClient(FetchPolicy.for_tests())
        tracemalloc.start()
        try:
            with pytest.raises(FetchFailed, match="decompressed response is larger than 1048576 bytes"):
                client.get(server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # One 64 MiB-in-one-go inflate would show up here; bounded steps keep the peak to a few MiB
    # (the server thread's own 1 MiB buffer of zeros included).
    assert peak < 8 * 1024 * 1024, peak
    assert bomb.sent < 1024 * 1024  # it never got to send even its ~1 MB


def test_gzip_and_deflate_bodies_are_decoded() -> None:
    document = {"hello": "wörld", "pad": "x" * 5000}
    raw = json.dumps(document).encode()

    def gzip_route(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, zlib.compress(raw, wbits=31), {"Content-Encoding": "gzip"})

    def deflate_route(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, zlib.compress(raw), {"Content-Encoding": "deflate"})

    def raw_deflate_route(handler: BaseHTTPRequestHandler) -> None:
        compressor = zlib.compressobj(wbits=-15)
        send(handler, 200, compressor.compress(raw) + compressor.flush(), {"Content-Encoding": "deflate"})

    def brotli_route(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, b"\x00", {"Content-Encoding": "br"})

    routes = {"/gz": gzip_route, "/zlib": deflate_route, "/raw": raw_deflate_route, "/br": brotli_route}
    with LocalServer(routes) as server:
        client = OutboundClient(FetchPolicy.for_tests())
        for path in ("/gz", "/zlib", "/raw"):
            assert client.fetch_json(server.url(path)) == document
        with pytest.raises(FetchFailed, match="content encoding 'br' is not accepted"):
            client.get(server.url("/br"))
        assert server.requests[0]["accept-encoding"] == "gzip, deflate"


def test_fetch_json_refuses_what_is_not_json() -> None:
    def html(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, b"<html>captive portal</html>", content_type="text/html")

    def broken(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, b"{not json", content_type="application/json")

    def did_json(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, b'{"id": "did:web:x"}', content_type="application/did+json; charset=utf-8")

    def missing(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 404, b"{}")

    def twice(handler: BaseHTTPRequestHandler) -> None:  # one reader takes the first key, another the last
        send(handler, 200, b'{"id": "did:web:x", "id": "did:web:y"}', content_type="application/did+json")

    def nan(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, b'{"ttl": NaN}', content_type="application/json")

    with LocalServer({"/html": html, "/broken": broken, "/did": did_json, "/404": missing, "/twice": twice,
                      "/nan": nan}) as server:
        client = OutboundClient(FetchPolicy.for_tests())
        with pytest.raises(FetchFailed, match="expected JSON, got text/html"):
            client.fetch_json(server.url("/html"))
        with pytest.raises(FetchFailed, match="not valid JSON"):
            client.fetch_json(server.url("/broken"))
        with pytest.raises(FetchFailed, match="HTTP 404 from 127.0.0.1"):
            client.fetch_json(server.url("/404"))
        assert client.fetch_json(server.url("/did")) == {"id": "did:web:x"}
        with pytest.raises(FetchFailed, match="'id'"):
            client.fetch_json(server.url("/twice"))
        with pytest.raises(FetchFailed, match="not valid JSON"):
            client.fetch_json(server.url("/nan"))


# --------------------------------------------------------------------------------------------------
# TLS: pinning keeps certificate checking on the real host name
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


def test_https_with_a_trusted_certificate(test_ca: TestCA) -> None:
    with LocalServer({"/": ok}, tls=test_ca.server_tls) as server:
        client = OutboundClient(FetchPolicy(allow_loopback=True, ca_file=str(test_ca.ca_file)))
        assert client.fetch_json(server.url("/")) == {"ok": True}
        # The certificate names 127.0.0.1 only. "localhost" is pinned to 127.0.0.1 too, but the certificate
        # is checked against the name in the URL, so it fails: pinning did not turn verification off.
        with pytest.raises(FetchFailed, match="certificate of localhost is not valid"):
            client.get(f"https://localhost:{server.port}/")
        # Without the test CA (the Mozilla bundle only), the throw-away certificate is not trusted.
        with pytest.raises(FetchFailed, match="certificate of 127.0.0.1 is not valid"):
            OutboundClient(FetchPolicy(allow_loopback=True)).get(server.url("/"))


# --------------------------------------------------------------------------------------------------
# Remote did:web through the live API
# --------------------------------------------------------------------------------------------------


class RemoteIssuer:
    """Another organisation's issuer: did:web on a local HTTPS server, with its own status list."""

    def __init__(self, server: LocalServer) -> None:
        authority = f"127.0.0.1%3A{server.port}"
        self.did = f"did:web:{authority}"
        self.base = f"https://127.0.0.1:{server.port}"
        self.key = Ed25519KeyPair.generate().bound(self.did)
        self.status = BitstringStatusList()
        self.server = server
        document = did_web_document(self.did, [self.key.public_key])
        assert did_web_to_url(self.did) == self.base + "/.well-known/did.json"
        server.routes["/.well-known/did.json"] = lambda h: send(h, 200, json.dumps(document).encode(),
                                                                content_type="application/did+json")
        server.routes["/status/1"] = self._serve_status
        self.publish()

    def publish(self) -> None:
        unsigned = status_list_credential(id=f"{self.base}/status/1", issuer=self.did,
                                          status_purpose="revocation", encoded_list=self.status.encode())
        self._status_body = json.dumps(sign_credential(unsigned, self.key)).encode()

    def _serve_status(self, handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, self._status_body, {"Cache-Control": "max-age=60"}, content_type="application/vc+ld+json")

    def credential(self) -> dict[str, Any]:
        return sign_credential(rich_credential(issuer_id=self.did, base_url=self.base), self.key)


def _with_test_ca(live: LiveServer, ca: TestCA) -> None:
    """Rebuild the app's guarded stack with a client that trusts the test CA (MCBADGE_OUTBOUND_CA_FILE)."""
    services: Services = live.app.state.services
    settings = services.settings.model_copy(update={"outbound_ca_file": ca.ca_file})
    live.app.state.services = build_services(settings, services.keystore, services.sessions)


def test_the_api_verifies_a_did_web_issuer_served_elsewhere(server: LiveServer, client: httpx.Client,
                                                            test_ca: TestCA) -> None:
    _with_test_ca(server, test_ca)
    with LocalServer(tls=test_ca.server_tls) as remote_server:
        issuer = RemoteIssuer(remote_server)
        credential = issuer.credential()
        response = client.post("/credentials/verify", json={"verifiableCredential": credential})
        assert response.status_code == 200, response.text
        checks = {c["code"]: c for c in response.json()["checks"]}
        assert checks["issuer_key"]["outcome"] == "passed"
        assert checks["proof"]["outcome"] == "passed"
        assert checks["status"]["outcome"] == "passed"
        assert "status checked" in checks["status"]["message"]
        assert checks["status"]["details"]["age_seconds"] < 5
        assert remote_server.hits["/.well-known/did.json"] == 1

        # Again: the DID document and the status list come from the caches.
        response = client.post("/credentials/verify", json={"verifiableCredential": credential})
        assert response.status_code == 200
        assert remote_server.hits["/.well-known/did.json"] == 1 and remote_server.hits["/status/1"] == 1

        # A tampered copy fails, even though the remote issuer's key was resolved.
        tampered = copy.deepcopy(credential)
        tampered["name"] = "Something else"
        response = client.post("/credentials/verify", json={"verifiableCredential": tampered})
        assert response.status_code == 422
        assert {c["code"]: c["outcome"] for c in response.json()["checks"]}["proof"] == "failed"


def test_remote_did_web_on_a_forbidden_address_is_not_resolved(tmp_path: Path) -> None:
    """The service resolver under the production policy: a did:web naming a private host is refused."""
    resolver = service_resolver(OutboundClient(FetchPolicy()))
    with record_connects() as connects:
        for did in ("did:web:10.0.0.1", "did:web:169.254.169.254", "did:web:localhost%3A8080"):
            with pytest.raises(Exception, match="public addresses"):
                resolver.resolve(did)
    assert connects == []


def test_a_post_is_held_to_the_same_rules_before_anything_is_sent() -> None:
    """POST (an API call to another service: OAuth, the OB 3.0 API) checks the URL as GET does: no plain http,
    no loopback or private address under the production policy, and nothing is connected to."""
    client = OutboundClient(FetchPolicy())
    with record_connects() as connects:
        for url, reason in (("http://example.org/oauth/token", "plain http"),
                            ("https://127.0.0.1:8443/oauth/token", "loopback"),
                            ("https://10.0.0.7/ims/ob/v3p0/credentials", "private")):
            with pytest.raises(FetchRefused, match=reason):
                client.post_and_read(url, content=b"{}", content_type="application/json")
    assert connects == []
