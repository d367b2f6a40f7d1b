"""Logs carry no personal data, tokens or secret hashes, even on database errors (issue 16, finding 5).

``mcbadge serve`` runs as in production (its own process, its logging set-up, uvicorn's loggers too), on SQLite and
on PostgreSQL. The test makes the database refuse two writes (a trigger raises on inserting a person and an OAuth
client; on PostgreSQL the database's own message quotes the new row's e-mail and secret hash), drives requests
that hit them (500s, logged with their tracebacks) and others that succeed, then reads every line the service
wrote. Before, SQLAlchemy printed the bound parameters of the failed statement: the e-mail and name of the person,
the client's ``client_id`` and ``secret_hash``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from mcbadge.db import make_engine, make_sessionmaker
from mcbadge.oauth.scopes import VC_VERIFY
from tests.factories.oauth import registration
from tests.factories.tenants import make_tenant
from tests.live_server import TEST_PASSPHRASE

SLUG = "log-district"
NAME = "Zelda Quixote-Marchbanks"
EMAIL = "zelda.quixote@logs.example.org"
SECRETS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # any e-mail address
    re.compile(r"\b[0-9a-f]{40,}\b"),  # a SHA-256 in hex (secret hashes)
    re.compile(r"mcb(?:at|rt)?_[A-Za-z0-9_-]{16,}"),  # API keys, access and refresh tokens
    re.compile(re.escape(NAME)),
]
# SQLite's RAISE() is a constraint failure, which the service answers (409); a missing table is not.
FAIL_SQLITE = ["CREATE TRIGGER forced_people BEFORE INSERT ON people BEGIN INSERT INTO forced_failure VALUES (1); END",
               "CREATE TRIGGER forced_clients BEFORE INSERT ON oauth_clients BEGIN "
               "INSERT INTO forced_failure VALUES (1); END"]
# On PostgreSQL the failures quote the row as the database's own constraint errors do (its DETAIL line).
FAIL_POSTGRES = [
    "CREATE FUNCTION forced_people() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'forced failure' "
    "USING DETAIL = format('Failing row contains (%s, %s).', NEW.name, NEW.email); END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER forced_people BEFORE INSERT ON people FOR EACH ROW EXECUTE FUNCTION forced_people()",
    "CREATE FUNCTION forced_clients() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'forced failure' "
    "USING DETAIL = format('Key (client_id, secret_hash)=(%s, %s) already exists.', NEW.client_id, NEW.secret_hash);"
    " END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER forced_clients BEFORE INSERT ON oauth_clients FOR EACH ROW EXECUTE FUNCTION forced_clients()",
]
# The PostgreSQL database is the test process's, reused by the next test (emptied, not re-created): undone after.
UNDO_POSTGRES = ["DROP TRIGGER IF EXISTS forced_people ON people", "DROP FUNCTION IF EXISTS forced_people()",
                 "DROP TRIGGER IF EXISTS forced_clients ON oauth_clients", "DROP FUNCTION IF EXISTS forced_clients()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_personal_data_or_secrets_in_any_log_line(tmp_path: Path, database_url: str) -> None:
    port = _free_port()
    env = {**os.environ, "MCBADGE_DATABASE_URL": database_url, "MCBADGE_PORT": str(port),
           "MCBADGE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "MCBADGE_KEYS_DIR": str(tmp_path / "keys"),
           "MCBADGE_BLOB_DIR": str(tmp_path / "blobs"), "MCBADGE_KEY_PASSPHRASE": TEST_PASSPHRASE,
           "MCBADGE_ISSUER_SLUG": SLUG}
    log_file = tmp_path / "service.log"
    with open(log_file, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "mcbadge.cli", "serve"], env=env, stdout=log, stderr=log)
    engine = make_engine(database_url)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log_file.read_text()[-3000:]
            time.sleep(0.1)
        tenant = make_tenant(make_sessionmaker(engine), SLUG)
        with engine.begin() as connection:
            for statement in FAIL_SQLITE if engine.dialect.name == "sqlite" else FAIL_POSTGRES:
                connection.execute(text(statement))

        with httpx.Client(base_url=base, timeout=30, trust_env=False) as http:
            admin = tenant.headers()
            assert http.get("/api/v1/people", headers=admin).status_code == 200
            added = http.post("/api/v1/people", json={"name": NAME, "email": EMAIL, "role": "educator"}, headers=admin)
            assert added.status_code == 500, added.text
            registered = http.post("/oauth/register", json=registration(client_name=NAME))
            assert registered.status_code >= 500, registered.text
            created = http.post("/api/v1/oauth-clients", json={"client_name": NAME, "scope": [VC_VERIFY],
                                                                "person_id": str(tenant.integrator.id)}, headers=admin)
            assert created.status_code >= 500, created.text
            assert http.get("/api/v1/people", params={"role": "educator"}, headers=admin).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
        if engine.dialect.name != "sqlite":
            with engine.begin() as connection:
                for statement in UNDO_POSTGRES:
                    connection.execute(text(statement))
        engine.dispose()
    lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    # The failures were logged (so the lines below were looked at), with what the database said...
    assert any("forced failure" in line or "forced_failure" in line for line in lines), "\n".join(lines[-40:])
    assert sum("unhandled error on POST /api/v1/people" in line for line in lines) == 1
    # ...and not a line carries an e-mail address, a name given in a request, a secret hash or a key.
    leaks = [(pattern.pattern, line) for line in lines for pattern in SECRETS if pattern.search(line)]
    assert not leaks, leaks[:5]
