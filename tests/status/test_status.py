"""Publish status over real HTTP: random unique indexes, revocation and suspension visible at the next fetch,
ETag/304, lists that fill up, and no re-signing when nothing changed. Suspension is an issuer's opt-in (one
status entry by default): the suspension tests turn it on first, and a suspension asked of an issuer without
it gets a problem saying how to turn it on."""

from __future__ import annotations

import ssl
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from mcbadge.api.app import create_app
from mcbadge.credentials import service as credentials
from mcbadge.db.models import AuditEvent, Credential, Role, StatusList, StatusPurpose
from mcbadge.vc.status_list import BitstringStatusList
from mcbadge.vc.verify import Outcome
from tests.assertions import assert_all_passed, verify_live
from tests.factories.tenants import Tenant, make_tenant, passing_submissions, turn_suspension
from tests.live_server import LiveServer


def _award(client: httpx.Client, tenant: Tenant, submission_id: uuid.UUID) -> dict:
    response = client.post(f"/api/v1/submissions/{submission_id}/award", headers=tenant.headers())
    assert response.status_code == 201, response.text
    return response.json()


def _bit(client: httpx.Client, url: str, index: int) -> bool:
    listed = client.get(url).json()
    encoded = listed["credentialSubject"]["encodedList"]
    return BitstringStatusList.decode(encoded).get(index)


AWARDS = 100
IN_FLIGHT = 32
"""Awards in flight at once: each allocates its status indexes in its own transaction, as many at a time as the
server's thread pool runs (40). The test had 200 awards through the same 32 at a time, twice the time for no more
contention; 100 random draws still spread over the list as the assertions below require (the chance that 100
uniform draws over 131 072 entries span less than 100 000 is below 1e-9)."""


def test_concurrent_awards_get_distinct_random_indexes(server: LiveServer, client: httpx.Client,
                                                                tenant: Tenant, _tls_context: ssl.SSLContext) -> None:
    turn_suspension(client, tenant, True)  # both sequences of indexes
    ids = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, AWARDS)

    def award(submission_id: uuid.UUID) -> httpx.Response:
        # Each award on its own client and connection; they share one TLS context (unused on loopback http):
        # a new client would load the CA bundle again, ~15 ms of CPU each, a fifth of this test's time.
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=120, verify=_tls_context) as http:
            return http.post(f"/api/v1/submissions/{submission_id}/award", headers=tenant.headers())

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        responses = list(pool.map(award, ids))
    elapsed = time.perf_counter() - started
    print(f"\n{AWARDS} awards over HTTP in {elapsed:.2f} s: {AWARDS / elapsed:.0f} awards/s")
    assert [r.status_code for r in responses] == [201] * AWARDS

    revocation = [r.json()["revocation"]["index"] for r in responses]
    suspension = [r.json()["suspension"]["index"] for r in responses]
    for indexes in (revocation, suspension):
        assert len(set(indexes)) == AWARDS
        # Random, not sequential: spread over the 131,072 entries, and consecutive awards far apart.
        assert max(indexes) - min(indexes) > 100_000
        assert statistics.median(abs(a - b) for a, b in zip(indexes, indexes[1:], strict=False)) > 1_000
    with server.app.state.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == AWARDS
        lists = session.scalars(select(StatusList)).all()
        assert sorted((lst.purpose.value, lst.seq, lst.allocated) for lst in lists) == [
            ("revocation", 1, AWARDS), ("suspension", 1, AWARDS)]


def test_revocation_is_visible_at_the_next_fetch(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    [submission_id] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    body = _award(client, tenant, submission_id)
    document, list_url, index = body["credential"], body["revocation"]["list"], body["revocation"]["index"]
    assert_all_passed(verify_live(server, document))
    assert _bit(client, list_url, index) is False

    response = client.post(f"/api/v1/credentials/{body['id']}/revoke", json={"reason": "Evidence was plagiarised"},
                           headers=tenant.headers())
    assert response.status_code == 200
    assert response.json()["revoked"] is True and response.json()["revocation_reason"] == "Evidence was plagiarised"
    assert _bit(client, list_url, index) is True
    report = verify_live(server, document)
    status = report.check("status")
    assert status.outcome is Outcome.FAILED and "revoked" in status.message
    assert not report.verified

    # Permanent: not again, not suspended, not reinstated; the reason is in the audit log.
    assert client.post(f"/api/v1/credentials/{body['id']}/revoke", json={"reason": "again"},
                       headers=tenant.headers()).json()["type"] == "urn:mcbadge:problem:already-revoked"
    for action in ("suspend", "reinstate"):
        refused = client.post(f"/api/v1/credentials/{body['id']}/{action}", headers=tenant.headers())
        assert refused.status_code == 409
        assert refused.json()["type"] == "urn:mcbadge:problem:credential-revoked"
    with server.app.state.services.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "credential.revoked")).one()
        assert event.detail == {"reason": "Evidence was plagiarised"} and event.actor_id == tenant.admin.id


def test_the_service_verifier_sees_a_revocation_another_process_made(
    server: LiveServer, client: httpx.Client, tenant: Tenant
) -> None:
    # The verifier keeps its own signed lists in memory and re-reads one only when its revision moves; a
    # revocation committed by another worker (here: a second app on the same database and keys) must show
    # at this worker's very next verification, not after a cache expires.
    [submission_id] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    body = _award(client, tenant, submission_id)

    def verify_here() -> dict:
        response = client.post("/verify", json=body["credential"])
        assert response.status_code == 200, response.text
        return {c["code"]: c for c in response.json()["checks"]}

    assert verify_here()["status"]["outcome"] == "passed"
    assert verify_here()["status"]["outcome"] == "passed"  # now served from the worker's memory
    other_worker = create_app(server.settings)
    try:
        services = other_worker.state.services
        with services.sessions() as session:
            credentials.revoke(session, services, issuer_id=tenant.issuer.id, actor_id=tenant.admin.id,
                               credential_id=uuid.UUID(body["id"]), reason="withdrawn by the district")
    finally:
        other_worker.state.engine.dispose()
    status = verify_here()["status"]
    assert status["outcome"] == "failed" and "revoked" in status["message"]


def test_suspend_and_reinstate_round_trip(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    turn_suspension(client, tenant, True)
    [submission_id] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    body = _award(client, tenant, submission_id)
    cid, list_url, index = body["id"], body["suspension"]["list"], body["suspension"]["index"]
    assert list_url.endswith(f"/issuers/{tenant.issuer.slug}/status/suspension/1")

    def revision() -> int:
        with server.app.state.services.sessions() as session:
            return session.scalars(select(StatusList.revision).where(StatusList.purpose == StatusPurpose.SUSPENSION)).one()

    start = revision()
    suspended = client.post(f"/api/v1/credentials/{cid}/suspend", json={"reason": "Under review"},
                            headers=tenant.headers())
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True
    assert _bit(client, list_url, index) is True and revision() == start + 1
    # Suspending twice changes nothing.
    assert client.post(f"/api/v1/credentials/{cid}/suspend", headers=tenant.headers()).status_code == 200
    assert revision() == start + 1
    assert client.post(f"/api/v1/credentials/{cid}/reinstate", headers=tenant.headers(Role.EDUCATOR)).status_code == 403
    reinstated = client.post(f"/api/v1/credentials/{cid}/reinstate", headers=tenant.headers())
    assert reinstated.status_code == 200 and reinstated.json()["suspended"] is False
    assert _bit(client, list_url, index) is False and revision() == start + 2
    assert_all_passed(verify_live(server, body["credential"]))
    with server.app.state.services.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["issuer.updated", "credential.awarded", "credential.suspended", "credential.reinstated"]


def test_verifiers_see_a_suspension(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    """With suspension on, both entries are in ``credentialStatus`` (a VC 2.0 array; each entry is a valid OB
    CredentialStatus)."""
    turn_suspension(client, tenant, True)
    [submission_id] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    services = server.app.state.services
    with services.sessions() as session:
        credential = credentials.award(session, services, submission_id, approved_by=None).credential
    document = credential.document
    assert [e["statusPurpose"] for e in document["credentialStatus"]] == ["revocation", "suspension"]
    assert verify_live(server, document).verified
    client.post(f"/api/v1/credentials/{credential.id}/suspend", headers=tenant.headers()).raise_for_status()
    status = verify_live(server, document).check("status")
    assert status.outcome is Outcome.FAILED and "suspended" in status.message


def test_etag_and_not_modified(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    [submission_id] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    body = _award(client, tenant, submission_id)
    url = body["revocation"]["list"]
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/ld+json"
    assert first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    for tag in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = client.get(url, headers={"If-None-Match": tag})
        assert cached.status_code == 304 and cached.content == b"" and cached.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200

    client.post(f"/api/v1/credentials/{body['id']}/revoke", json={"reason": "r"}, headers=tenant.headers())
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag

    base = f"/issuers/{tenant.issuer.slug}/status"
    for missing in (f"{base}/revocation/2", f"{base}/other/1", "/issuers/nobody/status/revocation/1"):
        response = client.get(missing)
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{base}/revocation/0").status_code == 422


def test_list_is_signed_once_until_it_changes(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    ids = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 2)
    first, second = (_award(client, tenant, sid) for sid in ids)
    url = first["revocation"]["list"]
    one, two = client.get(url), client.get(url)
    assert one.content == two.content  # the same signed bytes: not re-signed per request
    assert one.json()["proof"]["created"] == two.json()["proof"]["created"]
    assert one.json()["credentialSubject"]["ttl"] == 300_000
    # Another award allocates an index but changes no bit: still the same list credential.
    assert client.get(url).content == one.content
    with server.app.state.services.sessions() as session:
        status_list = session.scalars(select(StatusList).where(StatusList.purpose == StatusPurpose.REVOCATION)).one()
        assert status_list.signed_revision == status_list.revision == 1

    time.sleep(1.05)  # proof timestamps have one-second resolution
    client.post(f"/api/v1/credentials/{second['id']}/revoke", json={"reason": "r"}, headers=tenant.headers())
    three = client.get(url)
    assert three.content != one.content
    assert three.json()["proof"]["created"] > one.json()["proof"]["created"]
    assert client.get(url).content == three.content


def test_a_full_list_opens_the_next_one(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    services = server.app.state.services
    turn_suspension(client, tenant, True)  # both kinds of list fill up
    ids = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 10)
    awarded = []
    with services.sessions() as session:
        for sid in ids:
            awarded.append(credentials.award(session, services, sid, approved_by=tenant.admin.id,
                                             list_length=8).credential)
    with services.sessions() as session:
        rows = session.execute(
            select(StatusList.purpose, StatusList.seq, StatusList.length, StatusList.allocated).order_by(
                StatusList.purpose, StatusList.seq)).all()
    assert [tuple(r) for r in rows] == [
        (StatusPurpose.REVOCATION, 1, 8, 8), (StatusPurpose.REVOCATION, 2, 8, 2),
        (StatusPurpose.SUSPENSION, 1, 8, 8), (StatusPurpose.SUSPENSION, 2, 8, 2),
    ]
    first_list = {c.revocation_index for c in awarded[:8]}
    assert first_list == set(range(8))
    last, _suspension = awarded[-1].document["credentialStatus"]
    assert last["statusListCredential"].endswith(f"/issuers/{tenant.issuer.slug}/status/revocation/2")
    # A short list is still served signed (verifiers insist on 131,072 entries; this length is for tests).
    listed = client.get(last["statusListCredential"])
    assert listed.status_code == 200
    assert BitstringStatusList.decode(listed.json()["credentialSubject"]["encodedList"], min_length=8).length == 8


def test_another_tenant_lists_are_separate(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    other = make_tenant(server.app.state.services.sessions, "other-district")
    [mine] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    [theirs] = passing_submissions(server.app.state.services.sessions, other, server.settings.blob_dir, 1)
    a, b = _award(client, tenant, mine), _award(client, other, theirs)
    assert a["revocation"]["list"].endswith(f"/issuers/{tenant.issuer.slug}/status/revocation/1")
    assert b["revocation"]["list"].endswith("/issuers/other-district/status/revocation/1")
    assert_all_passed(verify_live(server, b["credential"]))
    assert client.post(f"/api/v1/credentials/{a['id']}/suspend", headers=other.headers()).status_code == 404


def test_suspension_is_the_issuers_opt_in(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    """By default a credential carries one status entry and cannot be suspended: the problem says suspension is
    off, what turning it on costs and how. Turned on, credentials issued from then on carry both entries and
    can be suspended; one issued before cannot (no verifier could see it). Turned off again, no new
    suspension, while a suspension made meanwhile can still be lifted."""
    ids = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 2)
    before = _award(client, tenant, ids[0])
    assert before["credential"]["credentialStatus"]["statusPurpose"] == "revocation"
    assert before["suspension"] is None
    for action in ("suspend", "reinstate"):
        refused = client.post(f"/api/v1/credentials/{before['id']}/{action}", headers=tenant.headers())
        assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["type"] == "urn:mcbadge:problem:suspension-off", problem
        assert "suspension is off" in problem["detail"] and '"suspension_status": true' in problem["detail"]
        assert "1EdTech" in problem["detail"]  # the cost of turning it on
    with server.app.state.services.sessions() as session:
        assert session.scalars(select(StatusList).where(StatusList.purpose == StatusPurpose.SUSPENSION)).all() == []

    turn_suspension(client, tenant, True)
    after = _award(client, tenant, ids[1])
    assert [e["statusPurpose"] for e in after["credential"]["credentialStatus"]] == ["revocation", "suspension"]
    older = client.post(f"/api/v1/credentials/{before['id']}/suspend", headers=tenant.headers())
    assert older.status_code == 409 and older.json()["type"] == "urn:mcbadge:problem:not-suspendable"
    suspended = client.post(f"/api/v1/credentials/{after['id']}/suspend", headers=tenant.headers())
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True
    assert _bit(client, after["suspension"]["list"], after["suspension"]["index"]) is True

    turn_suspension(client, tenant, False)
    again = client.post(f"/api/v1/credentials/{after['id']}/suspend", headers=tenant.headers())
    assert again.status_code == 409 and again.json()["type"] == "urn:mcbadge:problem:suspension-off"
    lifted = client.post(f"/api/v1/credentials/{after['id']}/reinstate", headers=tenant.headers())
    assert lifted.status_code == 200 and lifted.json()["suspended"] is False
    assert _bit(client, after["suspension"]["list"], after["suspension"]["index"]) is False
    assert_all_passed(verify_live(server, after["credential"]))
