"""The app served over real HTTP on loopback, and settings on temporary paths.

Requests go through a real socket, HTTP parsing and the ASGI stack, as in production.

Starting and stopping uvicorn costs about a quarter of a second (its main loop and its shutdown poll every
0.1 s), more than most service tests take, so each test process serves one :class:`AppSwitch` on one port
for the whole session and each test puts its own freshly built app behind it (``server`` fixture): every
test still has its own app, settings, keys, database and caches, and its requests still cross a real socket.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from mcbadge.api.app import create_app
from mcbadge.config import Settings
from mcbadge.identity import issuer_did
from mcbadge.keystore import Keystore
from tests.factories.tenants import Tenant

TEST_PASSPHRASE = "test-passphrase-not-secret"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings whose keys, database and passphrase are all under ``tmp_path`` (never the developer's)."""
    values: dict[str, object] = {
        "keys_dir": tmp_path / "keys",
        "database_url": f"sqlite:///{tmp_path / 'mcbadge.db'}",
        "blob_dir": tmp_path / "blobs",
        "key_passphrase": TEST_PASSPHRASE,
        "issuer_slug": "test-district",
        "issuer_name": "Test District",
        "allow_loopback_fetch": True,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


# The databases a service test runs on. ``database_url`` gives every test that uses the service both, SQLite and
# PostgreSQL; a test (or a module, as ``pytestmark``) whose outcome is decided above the database runs on SQLite
# only: pages rendered in the browser, input refused before any query, credentials given in the request verified,
# signed documents checked by the Node reference. What the databases do differently (transactions and locks,
# concurrency, crashes, migrations, the types and limits of stored values, the SQL of a service, backups) keeps
# both. docs/DECISIONS.md, "Which tests run on PostgreSQL".
SQLITE_ONLY = pytest.mark.sqlite_only  # tests/conftest.py: pytest_generate_tests


@dataclass
class LiveServer:
    """An app served by uvicorn on loopback."""

    app: FastAPI
    settings: Settings
    base_url: str

    @property
    def keystore(self) -> Keystore:
        return self.app.state.services.keystore


@dataclass
class RefusingServer:
    """A server shared by a module's refusal cases, with its tenant and a client (``refusing_server`` in tests/conftest.py)."""

    server: LiveServer
    tenant: Tenant
    client: httpx.Client

    @property
    def did(self) -> str:
        """The tenant's issuer DID (what a credential it may issue names)."""
        return issuer_did(self.server.base_url, self.tenant.issuer.slug)


def cli_env(server: LiveServer) -> dict[str, str]:
    """The environment of an ``mcbadge`` command run on ``server``'s database, keys and blobs (none of the
    caller's own ``MCBADGE_*`` settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCBADGE_")}
    env.update(MCBADGE_KEYS_DIR=str(server.settings.keys_dir), MCBADGE_KEY_PASSPHRASE=TEST_PASSPHRASE,
               MCBADGE_DATABASE_URL=server.settings.database_url, MCBADGE_PUBLIC_BASE_URL=server.base_url,
               MCBADGE_ISSUER_SLUG=server.settings.issuer_slug, MCBADGE_BLOB_DIR=str(server.settings.blob_dir))
    return env


def wait_until_healthy(client: httpx.Client, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Poll ``GET /health`` through ``client`` until a server started in ``process`` answers 200 (fails if the
    process exits first or ``seconds`` pass)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and process.poll() is None, "the harness server did not start"
        time.sleep(0.05)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(app: ASGIApp, sock: socket.socket, *, tls: tuple[Path, Path] | None = None,
          lifespan: bool = False) -> Iterator[str]:
    """Serve ``app`` with uvicorn on the bound loopback ``sock`` in a thread; yields the base URL.

    ``tls=(certificate, key)`` serves https (a second deployment that others reach through did:web, which
    the guarded client fetches over https only). ``lifespan`` runs the app's startup and shutdown (the outbox
    worker: tests/events). On exit the server stops (without waiting for idle keep-alive connections) and the
    socket closes."""
    certificate, key = tls if tls else (None, None)
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on" if lifespan else "off",
                                       access_log=False, ssl_certfile=certificate, ssl_keyfile=key))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        uv.should_exit = True
        # The test is over: do not wait for clients' idle keep-alive connections (with a lifespan, its shutdown
        # runs to the end: uvicorn skips it on a forced exit).
        uv.force_exit = not lifespan
        thread.join(timeout=10)
        sock.close()


class AppSwitch:
    """An ASGI app that hands every request to the app of the test running now (503 between tests).

    Served once per test process (``http_switch`` fixture); ``serving(app)`` puts a test's app behind it.
    """

    def __init__(self) -> None:
        self.app: ASGIApp | None = None
        self.base_url = ""
        self.port = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app
        if app is None:
            if scope["type"] == "http":
                await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    @contextmanager
    def serving(self, app: ASGIApp) -> Iterator[None]:
        self.app = app
        try:
            yield
        finally:
            self.app = None


@contextmanager
def live_server(settings: Settings) -> Iterator[tuple[FastAPI, str]]:
    """``create_app(settings)`` served by uvicorn on a free loopback port; yields the app and its base URL.

    For tests that need settings the shared ``server`` fixture does not take (small upload limits) or a
    server shared by a whole module (the access matrix).
    """
    app = create_app(settings)
    try:
        with serve(app, free_socket()) as base_url:
            yield app, base_url
    finally:
        app.state.engine.dispose()
