"""Fixtures shared by the whole suite: settings on temporary paths, the app served over real HTTP on loopback
(``server``, ``client``), a database on SQLite and on PostgreSQL for every service test whose outcome the
database can change (``database_url``; ``SQLITE_ONLY`` in tests/live_server.py for the others), a server shared
by a module's refusal cases (``refusing_server``), and the session's throw-away PostgreSQL cluster. The plumbing is in tests/live_server.py and tests/postgres.py.

What is expensive is made once per test process (under pytest-xdist, once per worker): the migrated
databases, the PostgreSQL cluster, the uvicorn serving the apps, the Node reference, the browser. What a test
can change is its own: each service test builds a new app on a database that holds nothing from another test
(a copy of the migrated SQLite file; the PostgreSQL one emptied), with its own keys, blob store and caches, so nothing one test leaves behind (a cached status list, a DID document, a row) can
make another pass or fail.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import ssl
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from mcbadge.api.app import create_app
from mcbadge.config import Settings
from mcbadge.db import make_engine, upgrade_to_head
from mcbadge.db.models import Base
from mcbadge.keystore import Keystore, keystore_from_settings
from tests.factories.tenants import Tenant, make_tenant
from tests.live_server import (
    AppSwitch,
    LiveServer,
    RefusingServer,
    free_socket,
    make_settings,
    serve,
)
from tests.postgres import ReusableDatabase

# The headless browser and its pages (tests/browser.py): fixtures of the whole session, so one Chromium serves
# every page test of a test process.
pytest_plugins = ["tests.browser"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a temporary keys dir and SQLite file; public_base_url is a fixed loopback URL."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test process (``upgrade_to_head``, as the app does); each test's
    database is a copy of it. Left in rollback-journal mode, so the file alone is the whole database (the
    app's engine switches each copy to WAL at its first connection, as with a new file)."""
    path = tmp_path_factory.mktemp("template") / "mcbadge.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture(scope="session")
def postgres_database(postgres_cluster) -> Iterator[ReusableDatabase]:  # noqa: ANN001 - tests.postgres.Cluster
    """A PostgreSQL database migrated to head once per test process and emptied before each test that uses
    it (tests/postgres.py: ReusableDatabase), so each test starts from a new database's contents."""
    database = postgres_cluster.reusable_database(f"test_{os.getpid()}")
    try:
        yield database
    finally:
        database.close()


SLOW_TESTS = Path(__file__).parent / "hardening"
"""Where the tests marked slow live: ``make test`` runs them alone from there (collecting the whole suite to
select two tests cost seconds)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    strays = [item.nodeid for item in items
              if item.get_closest_marker("slow") and SLOW_TESTS not in Path(item.path).parents]
    if strays:
        raise pytest.UsageError(f"tests marked slow belong in {SLOW_TESTS} (make test runs them from there): "
                                f"{', '.join(strays)}")


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``sqlite_only`` that uses ``database_url`` gets SQLite alone: a parametrize mark added before
    pytest's own hooks read them (a mark on a module whose other tests take no database changes nothing there)."""
    if metafunc.definition.get_closest_marker("sqlite_only") and "database_url" in metafunc.fixturenames:
        metafunc.definition.add_marker(pytest.mark.parametrize("database_url", ["sqlite"], indirect=True))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that uses the service runs twice (unless marked ``SQLITE_ONLY``, tests/live_server.py): on
    SQLite (the default) and on PostgreSQL, each time on
    a database at the newest migration that holds nothing from another test: on SQLite a copy of the
    session's migrated file, on PostgreSQL the process's database, emptied."""
    if request.param == "sqlite":
        path = tmp_path / "mcbadge.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_database").reset()


@pytest.fixture(scope="session")
def http_switch() -> Iterator[AppSwitch]:
    """One uvicorn on one loopback port for the whole test process, serving whichever app the running test
    put behind it (see tests/live_server.py)."""
    switch = AppSwitch()
    sock = free_socket()
    with serve(switch, sock) as base_url:
        switch.base_url, switch.port = base_url, sock.getsockname()[1]
        yield switch


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path, database_url: str,
           http_switch: AppSwitch) -> Iterator[LiveServer]:
    """A new app (its own settings, keys, database and caches) served over loopback HTTP; ``public_base_url``
    is the address it is served on, so the DIDs and status-list URLs name this server. A test marked
    ``@pytest.mark.settings(field=value, ...)`` gets those settings (a shorter lease or interval, say)."""
    marker = request.node.get_closest_marker("settings")
    live_settings = make_settings(tmp_path, public_base_url=http_switch.base_url, port=http_switch.port,
                                  database_url=database_url, **(marker.kwargs if marker else {}))
    app = create_app(live_settings)
    try:
        with http_switch.serving(app):
            yield LiveServer(app, live_settings, http_switch.base_url)
    finally:
        app.state.engine.dispose()


def _row_counts(server: LiveServer) -> dict[str, int]:
    with server.app.state.services.sessions() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables}


@pytest.fixture(scope="module")
def refusing_server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[RefusingServer]:
    """One app (SQLite) for all the cases of a module's refusal matrices: each case sends a request that must be
    refused before anything is stored, so building a new app and tenant per case (a quarter of a second, most of
    such a case's time) buys nothing; and at the end the fixture checks what the cases share: no table gained or
    lost a row, so no refused request stored anything."""
    tmp_path = tmp_path_factory.mktemp("refusals")
    sock = free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    database = tmp_path / "mcbadge.db"
    shutil.copyfile(sqlite_template, database)
    settings = make_settings(tmp_path, public_base_url=base_url, port=sock.getsockname()[1],
                             database_url=f"sqlite:///{database}")
    app = create_app(settings)
    try:
        with serve(app, sock), httpx.Client(base_url=base_url, trust_env=False, timeout=30) as client:
            live = LiveServer(app, settings, base_url)
            shared = RefusingServer(live, make_tenant(app.state.services.sessions, settings.issuer_slug), client)
            before = _row_counts(live)
            yield shared
            assert _row_counts(live) == before, "a refused request stored something"
    finally:
        app.state.engine.dispose()


@pytest.fixture(scope="session")
def _tls_context() -> ssl.SSLContext:
    # httpx.Client() loads the CA bundle into a new SSL context each time (~15 ms); ``client`` speaks plain
    # HTTP to loopback and never uses it, so its clients share this one.
    return ssl.create_default_context()


@pytest.fixture
def client(server: LiveServer, _tls_context: ssl.SSLContext) -> Iterator[httpx.Client]:
    """An HTTP client for ``server``; ignores proxy settings from the environment (loopback only)."""
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=30, verify=_tls_context) as http:
        yield http


@pytest.fixture
def tenant(server: LiveServer) -> Tenant:
    """The server's configured issuer, with one person and API key per role (tests/factories/tenants.py)."""
    return make_tenant(server.app.state.services.sessions, server.settings.issuer_slug)


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
