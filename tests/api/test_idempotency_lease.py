"""A request that runs longer than its ``Idempotency-Key`` lease keeps the key: its process renews the lease while
it runs, so a retry meanwhile is told "in flight" (409) and never runs the request a second time (issue 16, 4).

The lease is shortened for the test (``idempotency_lease_seconds``: 0.4 s instead of 6, renewed every third of it),
and the award is made slow (fault injection in this process's service layer): the retry is sent once the first
lease the request got has run out, and the record shows it was renewed since."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import func, select

from mcbadge.db.models import Credential, IdempotencyRecord
from mcbadge.stacks import service as stacks
from tests.assertions import assert_problem
from tests.factories.tenants import Tenant, passing_submissions
from tests.live_server import LiveServer


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite gives naive UTC


@pytest.mark.settings(idempotency_lease_seconds=0.4)
def test_a_request_longer_than_its_lease_keeps_its_key(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real_award = stacks.award_component

    def slow_award(*args, **kwargs):  # noqa: ANN202 - the real one's signature
        release.wait(timeout=10)  # held until the retry has been answered
        return real_award(*args, **kwargs)

    monkeypatch.setattr(stacks, "award_component", slow_award)
    sessions = server.app.state.services.sessions
    [submission] = passing_submissions(sessions, tenant, server.settings.blob_dir, 1)
    path = f"/api/v1/submissions/{submission}/award"
    headers = {**tenant.headers(), "Idempotency-Key": "a-long-award"}
    first: list[httpx.Response] = []

    def send_first() -> None:
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=30) as http:
            first.append(http.post(path, json={"format": "ldp"}, headers=headers))

    sender = threading.Thread(target=send_first)
    sender.start()
    try:
        # The claim's lease runs out 0.4 s after it was taken; wait (polling) until that moment has passed and a
        # renewal has pushed the record's lease beyond it.
        deadline = time.monotonic() + 10
        claimed_until = None
        while True:
            with sessions() as session:
                lease = session.scalar(select(IdempotencyRecord.lease_until)
                                       .where(IdempotencyRecord.key == "a-long-award"))
            now = datetime.now(timezone.utc)
            if lease is not None:
                claimed_until = claimed_until or _as_utc(lease)
                if now > claimed_until and _as_utc(lease) > now:
                    break
            assert time.monotonic() < deadline, f"the lease was not renewed (first {claimed_until}, now {lease})"
            time.sleep(0.02)
        retry = client.post(path, json={"format": "ldp"}, headers=headers)
        assert_problem(retry, 409, "idempotency-in-flight")
    finally:
        release.set()
        sender.join(timeout=30)
    assert first[0].status_code == 201, first[0].text
    replayed = client.post(path, json={"format": "ldp"}, headers=headers)
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["id"] == first[0].json()["id"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)
                              .where(Credential.submission_id == submission)) == 1
