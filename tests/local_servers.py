"""Local test servers for the outbound tests: HTTP(S) on 127.0.0.1 that count every connection and request.

``LocalServer(routes)`` serves ``{path: handler(request_handler)}`` in a thread; ``connections`` counts TCP
connections accepted, ``hits`` requests per path. ``TestCA`` makes a throw-away CA and a server certificate
for 127.0.0.1 with ``cryptography`` (P-256 keys: milliseconds), so https is tested with real TLS.
``record_connects()`` records every outgoing ``socket.connect`` of this process through an audit hook (no
patching), to prove that a refused target was never even attempted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Handler = Callable[[BaseHTTPRequestHandler], None]

# --------------------------------------------------------------------------------------------------
# Connection recorder (audit hook: installed once per process, records only while a recording is open)
# --------------------------------------------------------------------------------------------------

_recordings: list[list[Any]] = []
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _recordings:
        for recording in _recordings:
            recording.append(args[1])


@contextmanager
def record_connects() -> Iterator[list[Any]]:
    """Every address this process tries to ``connect`` to while the block runs."""
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True
    recording: list[Any] = []
    _recordings.append(recording)
    try:
        yield recording
    finally:
        _recordings.remove(recording)


# --------------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up or refusing the certificate are what these tests provoke

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.owner.lock:
            self.owner.connections += 1
        return True


class LocalServer:
    """A threaded HTTP (or HTTPS, with ``tls=(cert, key)``) server on 127.0.0.1 serving ``routes``."""

    def __init__(self, routes: dict[str, Handler] | None = None, *, tls: tuple[Path, Path] | None = None) -> None:
        self.routes: dict[str, Handler] = dict(routes or {})
        self.connections = 0
        self.hits: Counter[str] = Counter()
        self.requests: list[dict[str, str]] = []
        self.lock = threading.Lock()
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                with owner.lock:
                    owner.hits[path] += 1
                    owner.requests.append({k.lower(): v for k, v in self.headers.items()} | {":path": path})
                handler = owner.routes.get(path)
                if handler is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    handler(self)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                    pass  # the client hung up: that is what the limits are for

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            # Handshake in the request thread, so a client that never finishes it cannot stall the accept loop.
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                      do_handshake_on_connect=False)
        self.port: int = self._server.server_address[1]
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
         content_type: str | None = "application/json") -> None:
    """Write a complete response with a Content-Length."""
    handler.send_response(status)
    if content_type and body:
        handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect_to(location: str, status: int = 302) -> Handler:
    def handle(handler: BaseHTTPRequestHandler) -> None:
        send(handler, status, headers={"Location": location}, content_type=None)

    return handle


# --------------------------------------------------------------------------------------------------
# A throw-away certificate authority
# --------------------------------------------------------------------------------------------------


class TestCA:
    """A CA and one server certificate for 127.0.0.1 (and the DNS names given), written under ``directory``."""

    __test__ = False  # not a test class

    def __init__(self, directory: Path, *, dns_names: tuple[str, ...] = ()) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mcbadge throw-away test CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        names += [x509.DNSName(name) for name in dns_names]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_file = directory / "ca.pem"
        self.cert_file = directory / "server.pem"
        self.key_file = directory / "server.key"
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))

    @property
    def server_tls(self) -> tuple[Path, Path]:
        return self.cert_file, self.key_file
