"""An ``Idempotency-Key`` whose request's process died (``kill -9``) is free again within seconds (its lease
runs out), and the retry gets what the dead process committed: one credential, never two (issue 16, 4).

The crash is real: a second server process on the same database and keys, whose award commits and then
SIGKILLs its own process before the response is stored (fault injection in that harness process only). Its lease
is shortened (``idempotency_lease_seconds``: 3 s instead of 6) so the test waits less for it to run out, and kept
long enough that the first retry, sent as soon as the process is dead, finds the key still leased: at the kill at
least two thirds of the lease are left, less the time the award's transaction held renewals off (on SQLite, its
write lock)."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
from sqlalchemy import func, select

from mcbadge.db.models import Credential
from tests.factories.tenants import Tenant, passing_submissions
from tests.live_server import LiveServer, cli_env, free_socket, wait_until_healthy

CRASHING_LEASE_SECONDS = 3.0

CRASHING_SERVER = """
import os, signal, sys
import uvicorn
from mcbadge.api.app import create_app
from mcbadge.config import Settings
from mcbadge.stacks import service as stacks

real_award = stacks.award_component

def award_then_die(*args, **kwargs):
    real_award(*args, **kwargs)              # the award commits ...
    os.kill(os.getpid(), signal.SIGKILL)     # ... and the process dies before its response is stored

stacks.award_component = award_then_die
uvicorn.run(create_app(Settings()), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def test_a_crashed_requests_key_is_released_within_seconds_and_the_retry_gets_the_committed_credential(
        server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    [submission] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    path = f"/api/v1/submissions/{submission}/award"
    headers = {**tenant.headers(), "Idempotency-Key": "award-before-the-crash"}
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**cli_env(server), "MCBADGE_IDEMPOTENCY_LEASE_SECONDS": str(CRASHING_LEASE_SECONDS)}
    crashing = subprocess.Popen([sys.executable, "-c", CRASHING_SERVER, str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=60) as doomed:
            wait_until_healthy(doomed, crashing)
            try:
                doomed.post(path, json={"format": "ldp"}, headers=headers)
                raise AssertionError("the harness process answered instead of dying")
            except httpx.TransportError:
                pass  # the process died in the middle of the request
        assert crashing.wait(timeout=30) == -9
    finally:
        if crashing.poll() is None:
            crashing.kill()

    # At once the key is still leased to the dead request: in flight, not run a second time.
    died_at = time.monotonic()
    first_retry = client.post(path, json={"format": "ldp"}, headers=headers)
    assert first_retry.status_code == 409, first_retry.text
    # Within the lease it is free: the retry runs again and gets the credential the dead process committed.
    while True:
        retry = client.post(path, json={"format": "ldp"}, headers=headers)
        if retry.status_code != 409:
            break
        assert time.monotonic() - died_at < CRASHING_LEASE_SECONDS + 5, "the key stayed in flight after its lease"
        time.sleep(0.05)
    assert retry.status_code == 200, retry.text           # 200: already awarded (by the process that died)
    with server.app.state.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)
                              .where(Credential.submission_id == submission)) == 1
    assert client.post(path, json={"format": "ldp"}, headers=headers).json()["id"] == retry.json()["id"]
