"""``mcbadge serve --workers 2`` on PostgreSQL, run as in production (issue 13, parts 4 and 6): the two worker
processes share awards and revocations (a revocation through one shows at the other's next verification, its
caches warm), ``/metrics`` at either adds up both workers' counts, every request's log lines (JSON) carry its
request id, and no line of the whole workload carries key material or an API key's plaintext.

Which worker answers a request is the kernel's choice, so the test opens connections until it holds one to each
worker, telling them apart by which process owns the server's end of the connection (Linux ``/proc``)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives import serialization
from prometheus_client.parser import text_string_to_metric_families

from mcbadge.db import make_engine, make_sessionmaker
from mcbadge.identity import issuer_did
from mcbadge.keystore import Keystore
from tests.factories.tenants import make_tenant, passing_submissions
from tests.live_server import TEST_PASSPHRASE
from tests.postgres import ReusableDatabase

pytestmark = pytest.mark.postgres

SLUG = "workers-district"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    return {int(c) for t in Path(f"/proc/{pid}/task").iterdir()
            for c in (t / "children").read_text().split()}


def _owner(local_port: int, server_port: int, pids: set[int]) -> int | None:
    """The process among ``pids`` holding the server's end of our connection from ``local_port``."""
    wanted = f"0100007F:{server_port:04X} 0100007F:{local_port:04X}"
    inode = next((line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                  if " ".join(line.split()[1:3]) == wanted), None)
    for pid in pids:
        try:
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in Path(f"/proc/{pid}/fd").iterdir()):
                return pid
        except OSError:
            continue
    return None


def _connect(port: int, parent: int) -> tuple[http.client.HTTPConnection, int] | None:
    """A new keep-alive connection that has been answered, and the worker process serving it; None while no
    worker answers yet."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/health")
        connection.getresponse().read()
    except OSError:
        connection.close()
        return None
    pid = _owner(connection.sock.getsockname()[1], port, _children(parent))
    if pid is None:
        connection.close()
        return None
    return connection, pid


class Worker:
    """Requests to one worker process, over a keep-alive connection it serves (a new one when it closed an idle
    one: opened until the kernel hands one to this worker again)."""

    def __init__(self, port: int, parent: int, connection: http.client.HTTPConnection, pid: int) -> None:
        self.port, self.parent, self.connection, self.pid = port, parent, connection, pid

    def _reconnect(self) -> None:
        self.connection.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = _connect(self.port, self.parent)
            if found is not None and found[1] == self.pid:
                self.connection = found[0]
                return
            if found is not None:
                found[0].close()
        raise AssertionError(f"no new connection reached worker {self.pid}")

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
             ) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=None if body is None else json.dumps(body),
                                        headers={"content-type": "application/json", **(headers or {})})
                response = self.connection.getresponse()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                if attempt == 2:
                    raise
                self._reconnect()  # the worker closed the idle connection (keep-alive timeout) before the request
        raise AssertionError("unreachable")


def _one_of_each(port: int, parent: int, deadline: float) -> tuple[Worker, Worker]:
    found: dict[int, Worker] = {}
    while len(found) < 2:
        assert time.monotonic() < deadline, f"reached only {len(found)} worker(s)"
        connected = _connect(port, parent)
        if connected is None:
            time.sleep(0.05)  # the workers are still starting
        elif connected[1] in found:
            connected[0].close()
        else:
            found[connected[1]] = Worker(port, parent, *connected)
    first, second = found.values()
    return first, second


def _verified(worker: Worker, credential: dict[str, Any]) -> bool:
    status, _, body = worker.call("POST", "/verify", credential)
    assert status == 200, body
    return json.loads(body)["verified"]


def test_two_workers_share_awards_revocations_metrics_and_log_request_ids(
        tmp_path: Path, postgres_database: ReusableDatabase) -> None:
    database_url = postgres_database.reset()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCBADGE_", "PROMETHEUS_"))}
    env.update(MCBADGE_DATABASE_URL=database_url, MCBADGE_PORT=str(port),
               MCBADGE_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", MCBADGE_KEYS_DIR=str(tmp_path / "keys"),
               MCBADGE_BLOB_DIR=str(tmp_path / "blobs"), MCBADGE_KEY_PASSPHRASE=TEST_PASSPHRASE,
               MCBADGE_ISSUER_SLUG=SLUG, MCBADGE_LOG_FORMAT="json")
    log_file = tmp_path / "service.log"
    with open(log_file, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "mcbadge.cli", "serve", "--workers", "2"], env=env,
                                  stdout=log, stderr=log)
    engine = make_engine(database_url)
    try:
        # The workers start as new interpreters: seconds on an idle machine, a minute or more on a saturated one.
        deadline = time.monotonic() + 240
        while (answered := _connect(port, server.pid)) is None:  # then the database is migrated
            assert time.monotonic() < deadline and server.poll() is None, log_file.read_text()[-2000:]
            time.sleep(0.1)
        answered[0].close()
        sessions = make_sessionmaker(engine)
        tenant = make_tenant(sessions, SLUG)
        first, second = passing_submissions(sessions, tenant, tmp_path / "blobs", 2)
        one, two = _one_of_each(port, server.pid, deadline)

        status, headers, body = one.call("POST", f"/api/v1/submissions/{first}/award", {},
                                         {**tenant.headers(), "X-Request-Id": "award-through-one"})
        assert status == 201, body
        assert headers["x-request-id"] == "award-through-one"
        awarded = json.loads(body)
        assert _verified(two, awarded["credential"])  # an award made by one worker verifies at the other
        status, _, body = one.call("POST", f"/api/v1/credentials/{awarded['id']}/revoke",
                                   {"reason": "awarded in error"}, tenant.headers())
        assert status == 200, body
        assert not _verified(two, awarded["credential"])  # its next verification sees the revocation

        status, headers, body = two.call("POST", f"/api/v1/submissions/{second}/award", {}, tenant.headers())
        assert status == 201, body
        assert len(headers["x-request-id"]) == 36  # made up when the client sends none
        assert _verified(one, json.loads(body)["credential"])

        status, _, body = one.call("GET", "/metrics")
        assert status == 200
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(body.decode()) for s in family.samples}
        # Both workers' counts, whichever answers the scrape: one verification at one, two at the other.
        assert samples[("mcbadge_verifications_total", (("outcome", "verified"),))] == 2.0
        assert samples[("mcbadge_verifications_total", (("outcome", "not_verified"),))] == 1.0
        assert samples[("mcbadge_awards_total", (("format", "ldp"),))] == 2.0
        assert samples[("mcbadge_status_list_signs_total", (("purpose", "revocation"),))] >= 1.0
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        engine.dispose()

    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "request_id", "message"} <= set(entry) for entry in lines)
    award_lines = [entry for entry in lines if entry["request_id"] == "award-through-one"]
    assert any(entry["logger"] == "uvicorn.access" and "/award" in entry["message"] for entry in award_lines)
    text = log_file.read_text()
    for secret in _secrets(tmp_path / "keys", tenant.keys.values()):
        assert secret not in text


def _secrets(keys_dir: Path, api_keys: Any) -> list[str]:
    """The private key in every spelling it could be logged in, the passphrase, and the API keys' plaintexts."""
    key = Keystore(keys_dir, TEST_PASSPHRASE).load_or_create(SLUG, issuer_did("http://x", SLUG))
    raw = key.private_key_object().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    return [raw.hex(), base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("="),
            base58.b58encode(b"\x80\x26" + raw).decode(), key.export_private_multibase(), "PRIVATE KEY",
            TEST_PASSPHRASE, *api_keys]
