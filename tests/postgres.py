"""A throw-away PostgreSQL cluster for the tests: initdb into a temporary directory, a free loopback port.

Uses the PostgreSQL binaries of the machine (``/usr/lib/postgresql/*/bin`` or PATH). When run as root,
the server runs as the ``postgres`` system user, since PostgreSQL refuses to run as root. Under ``CI=true``
a cluster that cannot be started fails the run; elsewhere the PostgreSQL tests skip, saying why.
"""

from __future__ import annotations

import functools
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PostgresUnavailable(RuntimeError):
    pass


def _bin_dir() -> Path:
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return Path(shutil.which("initdb")).parent  # type: ignore[arg-type]
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    directory: Path
    port: int
    bin_dir: Path
    run_as: str | None
    _admin: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        try:
            self._connected_admin().execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError:  # the server was restarted since (tests/hardening/test_faults.py)
            self._admin = None
            self._connected_admin().execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def _connected_admin(self) -> Any:
        import psycopg

        if self._admin is None or self._admin.closed:  # one connection for the session, kept for the next database
            self._admin = psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                                          autocommit=True)
        return self._admin

    def reusable_database(self, name: str) -> ReusableDatabase:
        """A new database migrated to head, to be emptied (``reset``) before each test that uses it."""
        from mcbadge.db import make_engine, upgrade_to_head

        engine = make_engine(self.create_database(name))
        try:
            upgrade_to_head(engine)
        finally:
            engine.dispose()
        return ReusableDatabase(self, name)

    def _options(self) -> str:
        return (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.directory} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")

    def start_server(self) -> None:
        """Start the server (again), waiting until it accepts connections."""
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-o", self._options(), "-l",
                  str(self.directory / "log"), "-w", "-t", "60", "start")

    def stop_server(self) -> None:
        """Stop the server as a restart does (``-m fast``: every connection is cut, what was committed is kept;
        ``immediate`` could lose it, since this cluster runs with ``synchronous_commit=off``), for
        :meth:`start_server`."""
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster() -> Cluster:
    bin_dir = _bin_dir()
    run_as = None
    directory = Path(tempfile.mkdtemp(prefix="mcbadge-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server") from None
        run_as = "postgres"
        os.chown(directory, user.pw_uid, user.pw_gid)
    cluster = Cluster(directory, _free_port(), bin_dir, run_as)
    data = directory / "data"
    try:
        cluster._run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        cluster.start_server()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        log = (directory / "log").read_text() if (directory / "log").exists() else ""
        detail = getattr(exc, "stderr", "") or ""
        cluster.stop()
        raise PostgresUnavailable(f"could not start PostgreSQL: {exc}; {detail.strip()[-500:]} {log[-500:]}") from None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", cluster.port), timeout=1).close()
            return cluster
        except OSError:
            time.sleep(0.1)
    cluster.stop()
    raise PostgresUnavailable("PostgreSQL did not accept connections within 30 s")


class ReusableDatabase:
    """A migrated database that the service tests of one process share, one test at a time: ``reset()``
    empties every table (the schema and Alembic's version row stay) and restarts every sequence, so each
    test starts from what a new database at the newest migration holds.

    Why not a new database per test: CREATE DATABASE (even from a template) copies some 300 files and DROP
    DATABASE deletes them, a tenth of a second or more each on this machine's disk; deleting a few rows from
    each table takes milliseconds. The tables and sequences are read from the database itself, so a table a
    new migration adds is emptied too.
    """

    def __init__(self, cluster: Cluster, name: str) -> None:
        import psycopg

        self.url = cluster.database_url(name)
        self._connect = functools.partial(psycopg.connect, host="127.0.0.1", port=cluster.port, user="postgres",
                                          dbname=name, autocommit=True)
        self._connection = self._connect()
        tables = [row[0] for row in self._connection.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version' ORDER BY 1")]
        sequences = [row[0] for row in self._connection.execute(
            "SELECT format('%I.%I', sequence_schema, sequence_name) FROM information_schema.sequences"
            " WHERE sequence_schema = 'public' ORDER BY 1")]
        # session_replication_role = replica: foreign-key triggers do not fire, so the order of the DELETEs
        # does not matter (every table is emptied in the same transaction).
        self._reset_sql = "; ".join([
            "SET LOCAL session_replication_role = replica",
            *(f"DELETE FROM {table}" for table in tables),
            *(f"ALTER SEQUENCE {sequence} RESTART" for sequence in sequences),
        ])

    def reset(self) -> str:
        """Empty the database (ending any connection a previous test left open to it); returns its URL."""
        import psycopg

        try:
            self._empty()
        except psycopg.OperationalError:  # the server was restarted since (tests/hardening/test_faults.py)
            self._connection = self._connect()
            self._empty()
        return self.url

    def _empty(self) -> None:
        self._connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                 " WHERE datname = current_database() AND pid <> pg_backend_pid()")
        with self._connection.transaction():
            self._connection.execute(self._reset_sql)

    def close(self) -> None:
        self._connection.close()
