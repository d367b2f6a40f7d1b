"""Shared fixtures: settings on temporary paths, and the app served over real HTTP on loopback.

``server`` runs uvicorn in a thread on a free 127.0.0.1 port; ``client`` is an ``httpx.Client`` bound to
it. Requests go through a real socket, HTTP parsing and the ASGI stack, as in production.
"""

from __future__ import annotations

import os
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from mcbadge.api import create_app
from mcbadge.config import Settings
from mcbadge.keystore import Keystore, keystore_from_settings

from tests.factories.credentials import rich_credential

TEST_PASSPHRASE = "test-passphrase-not-secret"


def unsigned_credential(issuer_id: str) -> dict[str, Any]:
    """An unsigned, schema-valid OB 3.0 credential from ``issuer_id`` (the shared rich test credential)."""
    return rich_credential(issuer_id=issuer_id)


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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a temporary keys dir and SQLite file; public_base_url is a fixed loopback URL."""
    return make_settings(tmp_path)


@dataclass
class LiveServer:
    """An app served by uvicorn on loopback."""

    app: FastAPI
    settings: Settings
    base_url: str

    @property
    def keystore(self) -> Keystore:
        return self.app.state.services.keystore


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(app: FastAPI, sock: socket.socket) -> Iterator[str]:
    """Serve ``app`` with uvicorn on the bound loopback ``sock`` in a thread; yields the base URL.

    On exit the server stops, the socket closes and the app's database engine is disposed."""
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.engine.dispose()


_DATABASE_NAMES = itertools.count(1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that uses the service runs twice: on SQLite (the default) and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mcbadge.db'}"
    cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"test_{os.getpid()}_{next(_DATABASE_NAMES)}")


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    """The app on a free 127.0.0.1 port; ``public_base_url`` is that address, so the DIDs name this server."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    live_settings = make_settings(tmp_path, public_base_url=f"http://127.0.0.1:{port}", port=port,
                                  database_url=database_url)
    app = create_app(live_settings)
    with serve(app, sock) as base_url:
        yield LiveServer(app, live_settings, base_url)


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client for ``server``; ignores proxy settings from the environment (loopback only)."""
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=30) as http:
        yield http


@pytest.fixture
def keystore(settings: Settings) -> Keystore:
    """The keystore of ``settings`` (temporary directory, test passphrase)."""
    return keystore_from_settings(settings)


@pytest.fixture(scope="session")
def postgres_cluster():  # -> tests.postgres.Cluster
    """A throw-away PostgreSQL cluster for the session (see tests/postgres.py).

    Without PostgreSQL binaries the tests that use it skip, saying why; under ``CI=true`` they fail instead,
    so CI cannot go green without having run them.
    """
    from tests.postgres import PostgresUnavailable, start_cluster

    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()
