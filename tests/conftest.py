"""Fixtures shared by the whole suite: settings on temporary paths, the app served over real HTTP on loopback
(``server``, ``client``), a database on SQLite and on PostgreSQL for every service test (``database_url``),
and the session's throw-away PostgreSQL cluster. The plumbing is in tests/live_server.py and tests/postgres.py.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mcbadge.api import create_app
from mcbadge.config import Settings
from mcbadge.keystore import Keystore, keystore_from_settings
from tests.live_server import LiveServer, free_socket, make_settings, serve


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a temporary keys dir and SQLite file; public_base_url is a fixed loopback URL."""
    return make_settings(tmp_path)


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
    sock = free_socket()
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
