"""The whole path over real HTTP, as its users live it, on SQLite and on PostgreSQL:

define → submit (with a file) → "not yet" with feedback → resubmit → pass → award → a signed credential
that the credential library verifies with every check passing and that @digitalbazaar/vc verifies →
revoke → the status list says revoked and verification reports it.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import httpx

from mcbadge.identity import local_resolver
from mcbadge.db.models import Role
from mcbadge.demo import CHECKING_FOR_UNDERSTANDING
from mcbadge.vc.status_list import BitstringStatusList
from mcbadge.vc.verify import Outcome, verify

from tests.node_reference import node_reference  # noqa: F401 - session fixture
from tests.factories.people import api_key, auth, make_issuer, make_person

LESSON_PLAN = b"%PDF-1.4\n% lesson plan: fractions on a number line, hinge questions marked\n%%EOF\n"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64  # stands in for a classroom video
REFLECTION = " ".join(["Students", "showed", "me", "what", "they", "understood", "on", "whiteboards."] * 45)


def bootstrap(server) -> dict[str, str]:  # noqa: ANN001
    """What an operator does once: an issuer and its first admin (mcbadge's demo seed does the same)."""
    with server.app.state.services.sessions() as session, session.begin():
        issuer = make_issuer(session, slug="riverside-district")
        admin = make_person(session, issuer, Role.ADMIN, name="Dana Admin")
        return {"admin": api_key(session, admin), "slug": issuer.slug}


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def attempt(client: httpx.Client, educator: dict, mc_id: str, *, video: bytes) -> str:
    submission = ok(client.post("/api/v1/submissions", json={"microcredential_id": mc_id}, headers=educator), 201)
    sid = submission["id"]
    for requirement, content, media in (("lesson-plan", LESSON_PLAN, "application/pdf"), ("video", video, "video/mp4")):
        ok(client.post(f"/api/v1/submissions/{sid}/evidence/files", params={"requirement": requirement},
                       content=content, headers={**educator, "Content-Type": media, "X-Filename": f"{requirement}.bin"}), 201)
    ok(client.post(f"/api/v1/submissions/{sid}/evidence",
                   json={"requirement": "reflection", "kind": "reflection", "text": REFLECTION}, headers=educator), 201)
    ok(client.post(f"/api/v1/submissions/{sid}/submit", headers=educator))
    return sid


def test_define_submit_assess_award_verify_revoke(server, client, node_reference):  # noqa: F811
    base = bootstrap(server)
    admin = auth(base["admin"])

    # Define: the issuer publishes a micro-credential with a four-level rubric.
    body = {k: v for k, v in copy.deepcopy(CHECKING_FOR_UNDERSTANDING).items()}
    mc = ok(client.post("/api/v1/microcredentials", json=body, headers=admin), 201)
    mc = ok(client.post(f"/api/v1/microcredentials/{mc['id']}/publish", headers=admin))
    assert mc["status"] == "published" and mc["version"] == 1

    # People: an educator and a trained assessor, each with an API key.
    educator = ok(client.post("/api/v1/people", json={"name": "Eli Educator", "email": "eli@riverside.example",
                                                      "role": "educator"}, headers=admin), 201)
    assessor = ok(client.post("/api/v1/people", json={"name": "Avery Assessor", "email": "avery@riverside.example",
                                                      "role": "assessor"}, headers=admin), 201)
    ok(client.post(f"/api/v1/people/{assessor['id']}/trainings", json={"microcredential_key": mc["key"]}, headers=admin), 201)
    as_educator = auth(ok(client.post(f"/api/v1/people/{educator['id']}/api-keys", headers=admin), 201)["key"])
    as_assessor = auth(ok(client.post(f"/api/v1/people/{assessor['id']}/api-keys", headers=admin), 201)["key"])

    # Submit, assess: "not yet", with feedback the educator can read.
    first = attempt(client, as_educator, mc["id"], video=VIDEO[:-1])
    ok(client.post(f"/api/v1/submissions/{first}/assignments", json={"assessor_id": assessor["id"]}, headers=admin), 201)
    ok(client.post(f"/api/v1/submissions/{first}/assessments", headers=as_assessor, json={
        "scores": {"varied-checks": "developing", "adjusts": "proficient", "reflection": "proficient"},
        "feedback": {"varied-checks": "Only volunteers answered: collect a response from every student."}}), 201)
    seen = ok(client.get(f"/api/v1/submissions/{first}", headers=as_educator))
    assert seen["status"] == "not_yet"
    assert "every student" in seen["assessments"][0]["feedback"]["varied-checks"]

    # Resubmit (a new attempt; the first is kept), assess: pass.
    second = attempt(client, as_educator, mc["id"], video=VIDEO)
    ok(client.post(f"/api/v1/submissions/{second}/assignments", json={"assessor_id": assessor["id"]}, headers=admin), 201)
    ok(client.post(f"/api/v1/submissions/{second}/assessments", headers=as_assessor, json={
        "scores": {"varied-checks": "exemplary", "adjusts": "proficient", "reflection": "proficient"}}), 201)
    assert ok(client.get(f"/api/v1/submissions/{second}", headers=as_educator))["status"] == "passed"
    assert ok(client.get(f"/api/v1/submissions/{first}", headers=as_educator))["status"] == "not_yet"

    # Award (the issuer approves) -> a signed Open Badges 3.0 credential.
    awarded = ok(client.post(f"/api/v1/submissions/{second}/award", headers=admin), 201)
    credential = awarded["credential"]
    assert ok(client.post(f"/api/v1/submissions/{second}/award", headers=admin))["id"] == awarded["id"]

    def report(document: Any, **kwargs: Any):
        def fetch_status(url: str) -> Any:
            return ok(client.get(url))
        return verify(document, resolver=local_resolver(server.keystore, server.settings.public_base_url),
                      status_fetcher=fetch_status, now=datetime.now(timezone.utc), **kwargs)

    before = report(credential, evidence_files=[VIDEO])
    assert {c.code: c.outcome for c in before.checks} == {code: Outcome.PASSED for code in (
        "parse", "context", "schema", "issuer_key", "proof", "validity", "status", "evidence_digest", "rubric")}, before.summary
    # A truncated video is not the evidence: a verdict on that file (issue 14), the credential's own stands.
    cut = report(credential, evidence_files=[VIDEO[:-1]])
    assert cut.check("evidence_digest").outcome is Outcome.NOT_CHECKED and cut.verified
    assert "file 1 is not the evidence the assessor scored" in cut.check("evidence_digest").message

    # The reference implementation verifies it too (given the issuer's DID document).
    did = credential["issuer"]["id"]
    did_document = ok(client.get(f"/issuers/{base['slug']}/did.json"))
    assert node_reference.verify(credential, {did: did_document}) == {"verified": True, "errors": []}

    # Revoke: the status list now says revoked, and verification reports it.
    ok(client.post(f"/api/v1/credentials/{awarded['id']}/revoke", json={"reason": "evidence was not the educator's own"},
                   headers=admin))
    entry = credential["credentialStatus"]  # one entry: revocation
    assert entry["statusPurpose"] == "revocation"
    status_list = ok(client.get(entry["statusListCredential"]))
    bits = BitstringStatusList.decode(status_list["credentialSubject"]["encodedList"])
    assert bits.get(int(entry["statusListIndex"]))
    after = report(credential)
    assert after.check("status").outcome is Outcome.FAILED and "revoked" in after.check("status").message
    assert not after.verified
    assert after.check("proof").outcome is Outcome.PASSED  # still authentic, no longer valid
