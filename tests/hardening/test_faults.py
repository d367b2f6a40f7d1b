"""Faults lose nothing and say so (issue 16, "Faults"): the database restarted under load, a blob store that
cannot be written, signing keys that went missing, and a process killed (``kill -9``) while it revokes a
credential and re-signs its status list."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from mcbadge.db.models import Blob, EvidenceItem, Role, SubmissionStatus
from mcbadge.vc.verify import Outcome
from tests.assertions import assert_problem, verify_live
from tests.factories.submissions import LESSON_PLAN, make_submission
from tests.factories.tenants import Tenant, awarded_microcredential, passing_submissions
from tests.live_server import LiveServer, cli_env, free_socket, wait_until_healthy


def _award(client: httpx.Client, tenant: Tenant, submission_id: uuid.UUID) -> dict:
    response = client.post(f"/api/v1/submissions/{submission_id}/award", headers=tenant.headers())
    assert response.status_code == 201, response.text
    return response.json()


def _assert_unavailable(response: httpx.Response, code: str = "unavailable") -> None:
    assert_problem(response, 503, code)
    assert int(response.headers["retry-after"]) > 0


# -- PostgreSQL restarted under load ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_restarted_under_load_answers_503_then_recovers_by_itself(
        server: LiveServer, tenant: Tenant, postgres_cluster) -> None:  # noqa: ANN001 - tests.postgres.Cluster
    """While PostgreSQL is down every request gets 503 with Retry-After (never a 500, never a hang); once it is
    back, the same process answers 200 again: the pool drops the dead connections and checks each one it lends."""
    statuses: Counter[int] = Counter()
    bad: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as http:
            while not stop.is_set():
                response = http.get("/api/v1/people", headers=tenant.headers())
                statuses[response.status_code] += 1
                if response.status_code == 503:
                    try:
                        _assert_unavailable(response)
                    except AssertionError as exc:
                        bad.append(str(exc))
                elif response.status_code != 200:
                    bad.append(f"{response.status_code}: {response.text[:300]}")

    def wait_for(status: int, deadline: float) -> None:
        while statuses[status] == 0:
            assert time.monotonic() < deadline, f"no {status} yet: {dict(statuses)} {bad[:3]}"
            time.sleep(0.02)

    workers = [threading.Thread(target=load) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        wait_for(200, time.monotonic() + 10)
        postgres_cluster.stop_server()
        try:
            wait_for(503, time.monotonic() + 10)
            served_while_down = statuses[200]
        finally:
            postgres_cluster.start_server()
        statuses[200] = 0
        wait_for(200, time.monotonic() + 15)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=15)
    assert not bad, bad[:5]
    assert served_while_down >= 1 and statuses[503] >= 1
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as http:
        assert http.get("/ready").status_code == 200


# -- the blob store cannot be written ------------------------------------------------------------------------


def test_an_upload_the_blob_store_cannot_take_is_a_503_problem_and_leaves_nothing_behind(
        server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    """Evidence is written to a temporary file and renamed into place; when either step fails (no space left,
    a read-only or broken volume) the upload is a 503 problem, the temporary file is gone, and no row names
    the bytes. Once the store is writable again the same upload succeeds."""
    sessions = server.app.state.services.sessions
    with sessions() as session, session.begin():
        mc = awarded_microcredential(session, tenant.issuer)
        submission = make_submission(session, tenant.educator, mc, status=SubmissionStatus.DRAFT).id
    blobs = server.settings.blob_dir
    content = LESSON_PLAN + uuid.uuid4().bytes

    def upload() -> httpx.Response:
        return client.post(f"/api/v1/submissions/{submission}/evidence/files", params={"requirement": "lesson-plan"},
                           content=content, headers={**tenant.headers(Role.EDUCATOR),
                                                     "Content-Type": "application/pdf", "X-Filename": "plan.pdf"})

    def nothing_stored() -> None:
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(Blob)) == 0
            assert session.scalar(select(func.count()).select_from(EvidenceItem)) == 0
        leftovers = [p for p in blobs.rglob("*") if p.is_file()]
        assert leftovers == [], leftovers

    # 1. The temporary directory cannot be made (root ignores permissions, so a file stands in its way).
    blobs.mkdir(parents=True, exist_ok=True)
    (blobs / "tmp").write_bytes(b"")
    response = upload()
    _assert_unavailable(response, "store-unwritable")
    assert str(blobs) not in response.text
    (blobs / "tmp").unlink()
    nothing_stored()

    # 2. The bytes are written, but the final place cannot take them: the temporary file is removed.
    digest = hashlib.sha256(content).hexdigest()
    (blobs / digest[:2]).mkdir(parents=True)
    (blobs / digest[:2] / digest[2:4]).write_bytes(b"")
    _assert_unavailable(upload(), "store-unwritable")
    (blobs / digest[:2] / digest[2:4]).unlink()
    nothing_stored()

    stored = upload()
    assert stored.status_code == 201, stored.text
    assert (blobs / digest[:2] / digest[2:4] / digest).read_bytes() == content


# -- the signing keys went missing ---------------------------------------------------------------------------


def test_missing_signing_keys_fail_ready_and_awards_refuse_cleanly(
        server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    """Keys that cannot be read (a key volume that came unmounted): /ready says so, and an award is a 503 problem
    that signs and writes nothing, and makes no new key in their place (a new key-1 would sign credentials no
    published DID document verifies once the volume is back). With the keys back, the same award succeeds."""
    [submission_id] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    keys = server.settings.keys_dir / server.settings.issuer_slug
    moved = keys.with_name("unmounted")
    keys.rename(moved)
    try:
        assert client.get("/ready").status_code == 503
        refused = client.post(f"/api/v1/submissions/{submission_id}/award", headers=tenant.headers())
        _assert_unavailable(refused)
        assert str(server.settings.keys_dir) not in refused.text
        assert not keys.exists()
        listed = client.get("/api/v1/credentials", headers=tenant.headers())
        assert listed.status_code == 200 and listed.json()["items"] == []
    finally:
        moved.rename(keys)
    assert client.get("/ready").status_code == 200
    awarded = _award(client, tenant, submission_id)
    assert verify_live(server, awarded["credential"]).verified


# -- kill -9 while revoking and re-signing the status list ---------------------------------------------------

DYING_SERVER = """
import os, signal, sys
import uvicorn
from mcbadge.api.app import create_app
from mcbadge.config import Settings
from mcbadge.status import service as status

real_sign = status._sign
signed = []

def sign_then_die_the_second_time(*args, **kwargs):
    real_sign(*args, **kwargs)               # the list is re-signed with the new bit, in the transaction ...
    signed.append(1)
    if len(signed) == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # ... and the second time the process dies before it commits

status._sign = sign_then_die_the_second_time
uvicorn.run(create_app(Settings()), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def test_kill_9_while_revoking_leaves_a_list_that_verifies_and_carries_the_committed_bit(
        server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    """A second server process on the same database and keys revokes one credential (committed, answered), then
    dies by SIGKILL in the middle of the next revocation, after re-signing the list and before committing.
    The surviving server (a restart, as far as the data goes) serves a list whose proof verifies, carrying the
    first bit and not the second (nothing half-written); the second revocation, retried, lands."""
    first, second = (_award(client, tenant, s) for s in
                     passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 2))
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    dying = subprocess.Popen([sys.executable, "-c", DYING_SERVER, str(port)], env=cli_env(server),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=60) as doomed:
            wait_until_healthy(doomed, dying)
            revoked = doomed.post(f"/api/v1/credentials/{first['id']}/revoke", json={"reason": "first"},
                                  headers=tenant.headers())
            assert revoked.status_code == 200, revoked.text
            with pytest.raises(httpx.TransportError):
                doomed.post(f"/api/v1/credentials/{second['id']}/revoke", json={"reason": "second"},
                            headers=tenant.headers())
        assert dying.wait(timeout=30) == -9
    finally:
        if dying.poll() is None:
            dying.kill()

    def status_of(awarded: dict) -> tuple[Outcome, str]:
        check = verify_live(server, awarded["credential"]).check("status")
        return check.outcome, check.message

    # "revoked" is said only of a list whose proof verified (else: "the status list is not trustworthy").
    assert status_of(first) == (Outcome.FAILED, "the issuer has revoked this credential")
    assert status_of(second)[0] is Outcome.PASSED
    again = client.post(f"/api/v1/credentials/{second['id']}/revoke", json={"reason": "second"},
                        headers=tenant.headers())
    assert again.status_code == 200, again.text
    assert status_of(second) == (Outcome.FAILED, "the issuer has revoked this credential")
    assert status_of(first)[0] is Outcome.FAILED
