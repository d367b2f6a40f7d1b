"""Award → sign over real HTTP: the credential verifies with every check passing; idempotency in every form."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from mcbadge.db.models import (
    AuditEvent,
    Credential,
    IdempotencyRecord,
    Role,
    Submission,
    SubmissionStatus,
)
from tests.assertions import assert_all_passed, verify_live
from tests.factories.submissions import LESSON_PLAN, REFLECTION, assessed_submission
from tests.factories.tenants import (
    AWARD_NOT_YET_SCORES,
    AWARD_PASSING_SCORES,
    EDUCATOR_LICENSE,
    Tenant,
    awarded_microcredential,
    make_tenant,
    passing_submissions,
)
from tests.live_server import LiveServer

PROBLEM = "application/problem+json"


def _submission(server: LiveServer, tenant: Tenant, **options: Any) -> uuid.UUID:
    return passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1, **options)[0]


def test_awarded_credential_verifies_with_every_check_passing(server: LiveServer, client: httpx.Client,
                                                               tenant: Tenant) -> None:
    submission_id = _submission(server, tenant)
    response = client.post(f"/api/v1/submissions/{submission_id}/award", headers=tenant.headers())
    assert response.status_code == 201, response.text
    body = response.json()
    document = body["credential"]

    report = verify_live(server, document, evidence_files=[LESSON_PLAN, REFLECTION.encode()])
    assert_all_passed(report)
    assert "each file given is the evidence the assessor scored" in report.check("evidence_digest").message

    # What the credential says.
    base = server.base_url
    assert document["id"] == body["url"] == f"{base}/credentials/{body['id']}"
    assert isinstance(document["proof"], list) and document["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert document["issuer"]["id"] == f"did:web:127.0.0.1%3A{server.settings.port}:issuers:{tenant.issuer.slug}"
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["id"] == f"{base}/issuers/{tenant.issuer.slug}/microcredentials/{achievement['id'].split('/')[-2]}/v1"
    assert achievement["achievementType"] == "MicroCredential"
    assert achievement["creditsAvailable"] == 10.0
    assert [rd["requiredLevel"].rsplit("-", 1)[-1] for rd in achievement["resultDescription"]] == [
        "proficient", "proficient", "developing"]
    assert [lvl["points"] for lvl in achievement["resultDescription"][0]["rubricCriterionLevel"]] == ["0", "1", "2", "3"]
    results = document["credentialSubject"]["result"]
    assert [r["achievedLevel"].split("#")[1] for r in results] == [
        "varied-checks-exemplary", "adjusts-proficient", "reflection-proficient"]
    assert "Evidence required:" in achievement["criteria"]["narrative"]
    valid_from = datetime.fromisoformat(document["validFrom"].replace("Z", "+00:00"))
    assert document["validUntil"] == (valid_from + timedelta(days=1095)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # One status entry, revocation, as the OB 3.0 schema wants it (suspension is the issuer's opt-in).
    revocation = document["credentialStatus"]
    assert isinstance(revocation, dict) and revocation["statusPurpose"] == "revocation"
    assert revocation["statusListCredential"] == body["revocation"]["list"]
    assert body["suspension"] is None
    # Evidence: our URLs for every item (the earner's show_evidence switch governs them), digests of the
    # file and of the reflection, the assessor described without being named.
    evidence = {e.get("genre"): e for e in document["evidence"]}
    assert set(evidence) == {"File", "Link", "Reflection", "Assessment"}
    for genre in ("File", "Link", "Reflection"):
        assert evidence[genre]["id"].startswith(f"{base}/credentials/{body['id']}/evidence/")
    assert {r["id"] for r in document["relatedResource"]} == {evidence["File"]["id"], evidence["Reflection"]["id"]}
    assert "trained assessor of" in evidence["Assessment"]["narrative"]
    text = json.dumps(document)
    for secret in (tenant.educator.email, EDUCATOR_LICENSE, REFLECTION, "video.example.org", tenant.assessor.name):
        assert secret.lower() not in text.lower()

    # The submission is awarded; the award is in the audit log.
    with server.app.state.services.sessions() as session:
        assert session.get(Submission, submission_id).status is SubmissionStatus.AWARDED
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "credential.awarded")).one()
        assert event.actor_id == tenant.admin.id and event.target == f"credential:{body['id']}"

    # The public JSON at the credential's id, until the earner makes it private.
    public = client.get(f"/credentials/{body['id']}")
    assert public.status_code == 200 and public.headers["content-type"] == "application/ld+json"
    assert public.json() == document
    assert_all_passed(verify_live(server, public.json()))
    hide = client.patch(f"/api/v1/credentials/{body['id']}/visibility", json={"public": False},
                        headers=tenant.headers(Role.EDUCATOR))
    assert hide.status_code == 200 and hide.json()["public"] is False
    assert client.get(f"/credentials/{body['id']}").status_code == 404
    assert client.get(f"/credentials/{uuid.uuid4()}").status_code == 404
    assert client.get("/credentials/not-a-uuid").status_code == 404


def test_vc_jwt_format(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    submission_id = _submission(server, tenant)
    response = client.post(f"/api/v1/submissions/{submission_id}/award", json={"format": "jwt"},
                           headers=tenant.headers())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["format"] == "jwt" and body["jwt"].count(".") == 2
    report = verify_live(server, body["jwt"], evidence_files=[LESSON_PLAN])
    assert_all_passed(report)
    assert report.format == "jwt"
    # The public URL serves it enveloped (VC 2.0), which verifies too.
    public = client.get(f"/credentials/{body['id']}").json()
    assert public["type"] == "EnvelopedVerifiableCredential"
    assert_all_passed(verify_live(server, public))


def test_only_a_passed_submission_is_awarded(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    sessions = server.app.state.services.sessions
    with sessions() as session, session.begin():
        mc = awarded_microcredential(session, tenant.issuer)
        not_yet = assessed_submission(session, tenant.educator, tenant.assessor, mc, server.settings.blob_dir,
                                      scores=AWARD_NOT_YET_SCORES, status=SubmissionStatus.NOT_YET).id
        draft = assessed_submission(session, tenant.educator, tenant.assessor, mc, server.settings.blob_dir,
                                    scores=AWARD_PASSING_SCORES, status=SubmissionStatus.SUBMITTED, attempt=2).id
    for submission_id in (not_yet, draft):
        response = client.post(f"/api/v1/submissions/{submission_id}/award", headers=tenant.headers())
        assert response.status_code == 409
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:mcbadge:problem:not-passed"
    assert client.post(f"/api/v1/submissions/{uuid.uuid4()}/award", headers=tenant.headers()).status_code == 404
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 0


def test_roles_and_tenants(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    other = make_tenant(server.app.state.services.sessions, "other-district")
    submission_id = _submission(server, tenant)
    url = f"/api/v1/submissions/{submission_id}/award"
    assert client.post(url).status_code == 401
    for role in (Role.EDUCATOR, Role.ASSESSOR, Role.INTEGRATOR):
        response = client.post(url, headers=tenant.headers(role))
        assert response.status_code == 403 and response.headers["content-type"] == PROBLEM
    assert client.post(url, headers=other.headers()).status_code == 404
    created = client.post(url, headers=tenant.headers()).json()
    cid = created["id"]

    assert client.get(f"/api/v1/credentials/{cid}", headers=other.headers()).status_code == 404
    assert client.post(f"/api/v1/credentials/{cid}/revoke", json={"reason": "x"},
                       headers=other.headers()).status_code == 404
    assert client.post(f"/api/v1/credentials/{cid}/revoke", json={"reason": "x"},
                       headers=tenant.headers(Role.INTEGRATOR)).status_code == 403
    assert client.post(f"/api/v1/credentials/{cid}/revoke", json={}, headers=tenant.headers()).status_code == 422
    assert client.patch(f"/api/v1/credentials/{cid}/visibility", json={"public": False},
                        headers=tenant.headers()).status_code == 403
    assert client.patch(f"/api/v1/credentials/{cid}/visibility", json={"public": False},
                        headers=other.headers(Role.EDUCATOR)).status_code == 404
    assert client.patch(f"/api/v1/credentials/{cid}/visibility", json={"public": "maybe"},
                        headers=tenant.headers(Role.EDUCATOR)).status_code == 422

    # Lists: the issuer's for admins and integrators, their own for an educator, nothing for an assessor.
    passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 3)
    with server.app.state.services.sessions() as session:
        more = session.scalars(select(Submission.id).where(Submission.status == SubmissionStatus.PASSED)).all()
    for sid in more:
        assert client.post(f"/api/v1/submissions/{sid}/award", headers=tenant.headers()).status_code == 201
    page = client.get("/api/v1/credentials", params={"limit": 2}, headers=tenant.headers(Role.INTEGRATOR)).json()
    assert page["total"] == 4 and len(page["items"]) == 2 and page["limit"] == 2 and page["offset"] == 0
    mine = client.get("/api/v1/credentials", headers=tenant.headers(Role.EDUCATOR)).json()
    assert {c["educator_id"] for c in mine["items"]} == {str(tenant.educator.id)} and mine["total"] == 2
    assert client.get("/api/v1/credentials", headers=tenant.headers(Role.ASSESSOR)).status_code == 403
    assert client.get("/api/v1/credentials", headers=other.headers()).json()["total"] == 0
    assert client.get("/api/v1/credentials", params={"limit": 0}, headers=tenant.headers()).status_code == 422


def test_award_is_idempotent_under_50_concurrent_requests(server: LiveServer, tenant: Tenant) -> None:
    submission_id = _submission(server, tenant)

    def award(_: int) -> httpx.Response:
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=60) as http:
            return http.post(f"/api/v1/submissions/{submission_id}/award", headers=tenant.headers())

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(award, range(50)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 49 + [201], codes
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({json.dumps(r.json()["credential"], sort_keys=True) for r in responses}) == 1
    with server.app.state.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 1
        assert session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "credential.awarded")) == 1


def test_idempotency_key(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    first_id, second_id = passing_submissions(server.app.state.services.sessions, tenant,
                                              server.settings.blob_dir, 2)
    headers = {**tenant.headers(), "Idempotency-Key": "award-1"}
    url = f"/api/v1/submissions/{first_id}/award"

    first = client.post(url, json={"format": "ldp"}, headers=headers)
    assert first.status_code == 201
    replay = client.post(url, json={"format": "ldp"}, headers=headers)
    assert replay.status_code == 201  # the stored response, not a fresh 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()

    reused = client.post(url, json={"format": "jwt"}, headers=headers)
    assert reused.status_code == 422 and reused.headers["content-type"] == PROBLEM
    assert reused.json()["type"] == "urn:mcbadge:problem:idempotency-key-reused"
    elsewhere = client.post(f"/api/v1/submissions/{second_id}/award", json={"format": "ldp"}, headers=headers)
    assert elsewhere.status_code == 422

    # A duplicate while the first request is still running: its record has no response yet.
    from mcbadge.api.idempotency import _request_hash

    path = f"/api/v1/submissions/{second_id}/award"
    with server.app.state.services.sessions() as session, session.begin():
        api_key_id = session.scalar(select(IdempotencyRecord.api_key_id))
        session.add(IdempotencyRecord(api_key_id=api_key_id, key="award-2", method="POST", path=path,
                                      request_hash=_request_hash("POST", path, {"format": "ldp"}), status_code=None))
    in_flight = client.post(path, json={"format": "ldp"}, headers={**tenant.headers(), "Idempotency-Key": "award-2"})
    assert in_flight.status_code == 409 and in_flight.headers["content-type"] == PROBLEM
    assert in_flight.json()["type"] == "urn:mcbadge:problem:idempotency-in-flight"

    # Another API key's identical key is another record; a failed request leaves no record behind.
    with server.app.state.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 1
    bad = client.post(f"/api/v1/submissions/{uuid.uuid4()}/award", headers={**tenant.headers(), "Idempotency-Key": "k3"})
    assert bad.status_code == 404
    with server.app.state.services.sessions() as session:
        assert session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == "k3")).first() is None
    assert client.post(url, headers={**tenant.headers(), "Idempotency-Key": ""}).status_code == 422
