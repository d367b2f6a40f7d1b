"""Stacks and designations over real HTTP: rule, award (auto and approval), digest binding, schema and
library verification, and the issuer-side cascade: by default revoke -> the designation revoked (lapsed),
substitute -> a new designation credential; for an issuer with suspension on, revoke -> suspended,
substitute -> reinstated."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from sqlalchemy import select

from mcbadge.db.models import (
    AuditEvent,
    Credential,
    MicroCredential,
    Person,
    Role,
)
from mcbadge.db.session import transaction
from mcbadge.obapi import service as obapi
from mcbadge.vc.components import MAX_COMPONENTS, component_digest, digest_matches
from mcbadge.vc.schema import validate_achievement_credential
from mcbadge.vc.verify import Outcome
from tests.assertions import verify_live
from tests.command_line import Ran, mcbadge_in_process
from tests.factories.credentials import award_one
from tests.factories.stacks import (
    auto_award,
    award_over_api,
    designations,
    publish_stack,
    submission_key,
)
from tests.factories.submissions import assessed_submission
from tests.factories.tenants import (
    AWARD_PASSING_SCORES,
    Tenant,
    make_tenant,
    passing_submissions,
    turn_suspension,
)
from tests.live_server import LiveServer, cli_env
from tests.node_reference import node_reference  # noqa: F401 - the session fixture


def test_designation_awarded_bound_verified_and_cascaded(server: LiveServer, client: httpx.Client,
                                                         tenant: Tenant) -> None:
    services = server.app.state.services
    auto_award(client, tenant, True)
    [s1] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    [s2] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    k1, k2 = submission_key(server, s1), submission_key(server, s2)
    stack = publish_stack(client, tenant, [{"kind": "local", "key": k1, "versions": [1]},
                                    {"kind": "local", "key": k2, "versions": [1]}])

    first = award_over_api(client, tenant, s1)
    assert designations(client, tenant) == []          # one of two: the rule "all" does not hold yet
    second = award_over_api(client, tenant, s2)
    [designation] = designations(client, tenant)
    assert designation["status"] == "awarded" and designation["stack_id"] == stack["id"]

    # Idempotent: deciding again changes nothing.
    again = client.post("/api/v1/stacks/designations/evaluate", json={"educator_id": str(tenant.educator.id)},
                        headers=tenant.headers())
    assert again.status_code == 200, again.text
    assert [d["credential_id"] for d in again.json()] == [designation["credential_id"]]
    assert len(designations(client, tenant)) == 1

    read = client.get(f"/api/v1/credentials/{designation['credential_id']}", headers=tenant.headers()).json()
    document = read["credential"]
    assert read["stack_id"] == stack["id"] and read["submission_id"] is None
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Certification" and achievement["id"] == stack["achievement_id"]

    # Each component is named in evidence and bound by a digest recomputed from the component as presented.
    related = {r["id"]: r for r in document["relatedResource"]}
    for component in (first, second):
        assert component["url"] in {e.get("id") for e in document["evidence"]}
        recorded = related[component["url"]]["digestMultibase"]
        assert recorded == component_digest(component["credential"])
        assert digest_matches(component["credential"], recorded)
        tampered = {**component["credential"], "name": "Something else"}
        assert not digest_matches(tampered, recorded)

    # The unmodified 1EdTech schema (one status entry, as awards carry it) and the library.
    assert isinstance(document["credentialStatus"], dict)
    assert validate_achievement_credential(document) == []
    report = verify_live(server, document)
    assert report.verified, report.failed()

    # Cascade: revoking a needed component revokes the designation, with a reason naming the component.
    revoked = client.post(f"/api/v1/credentials/{first['id']}/revoke", json={"reason": "evidence not original"},
                          headers=tenant.headers())
    assert revoked.status_code == 200, revoked.text
    designation_row = client.get(f"/api/v1/credentials/{designation['credential_id']}", headers=tenant.headers()).json()
    assert designation_row["revoked"] is True and designation_row["suspended"] is False
    assert first["url"] in designation_row["revocation_reason"], designation_row["revocation_reason"]
    [lapsed] = designations(client, tenant)
    assert lapsed["status"] == "lapsed" and lapsed["credential_id"] == designation["credential_id"]
    status = verify_live(server, document).check("status")
    assert status is not None and status.outcome is Outcome.FAILED and "revoked" in status.message
    with services.sessions() as session:
        events = {e.action: e for e in session.scalars(select(AuditEvent).where(AuditEvent.issuer_id == tenant.issuer.id))}
    assert "designation.revoked" in events and events["designation.revoked"].detail["components"] == [first["url"]]
    assert not any(a.endswith("suspended") for a in events)

    # A substitute (a new attempt at the same micro-credential version) brings a NEW designation credential.
    with services.sessions() as session, session.begin():
        mc = session.scalars(select(MicroCredential).where(MicroCredential.key == k1)).one()
        substitute = assessed_submission(session, tenant.educator, tenant.assessor, mc, server.settings.blob_dir,
                                         scores=AWARD_PASSING_SCORES, attempt=2).id
    replacement = award_over_api(client, tenant, substitute)
    [again_awarded] = designations(client, tenant)
    assert again_awarded["status"] == "awarded" and again_awarded["id"] == designation["id"]
    assert again_awarded["credential_id"] != designation["credential_id"]
    assert {c["credential_id"] for c in again_awarded["components"]} == {replacement["url"], second["url"]}
    renewed = client.get(f"/api/v1/credentials/{again_awarded['credential_id']}", headers=tenant.headers()).json()
    assert validate_achievement_credential(renewed["credential"]) == []
    renewed_report = verify_live(server, renewed["credential"])
    assert renewed_report.verified, renewed_report.failed()
    assert not verify_live(server, document).verified          # the revoked one stays revoked
    with services.sessions() as session:
        awarded = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "designation.awarded")
                                       .order_by(AuditEvent.id)))
    assert awarded[-1].target == f"credential:{again_awarded['credential_id']}"
    assert awarded[-1].detail["replaces"] == f"credential:{designation['credential_id']}"


def test_with_suspension_on_the_cascade_suspends_and_reinstates(server: LiveServer, client: httpx.Client,
                                                                 tenant: Tenant) -> None:
    """An issuer that opted into suspension keeps the reversible cascade: its designations carry a suspension
    entry (and so two status entries), are suspended when a component falls away and reinstated when a
    substitute is earned."""
    services = server.app.state.services
    auto_award(client, tenant, True)
    turn_suspension(client, tenant, True)
    [s1] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    k1 = submission_key(server, s1)
    publish_stack(client, tenant, [{"kind": "local", "key": k1, "versions": [1]}])
    first = award_over_api(client, tenant, s1)
    [designation] = designations(client, tenant)
    document = client.get(f"/api/v1/credentials/{designation['credential_id']}", headers=tenant.headers()).json()["credential"]
    assert [e["statusPurpose"] for e in document["credentialStatus"]] == ["revocation", "suspension"]
    assert verify_live(server, document).verified

    revoked = client.post(f"/api/v1/credentials/{first['id']}/revoke", json={"reason": "evidence not original"},
                          headers=tenant.headers())
    assert revoked.status_code == 200, revoked.text
    designation_row = client.get(f"/api/v1/credentials/{designation['credential_id']}", headers=tenant.headers()).json()
    assert designation_row["suspended"] is True and designation_row["revoked"] is False
    assert not verify_live(server, document).verified
    with services.sessions() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.issuer_id == tenant.issuer.id)))
    assert "designation.suspended" in actions and "credential.suspended" in actions

    with services.sessions() as session, session.begin():
        mc = session.scalars(select(MicroCredential).where(MicroCredential.key == k1)).one()
        substitute = assessed_submission(session, tenant.educator, tenant.assessor, mc, server.settings.blob_dir,
                                         scores=AWARD_PASSING_SCORES, attempt=2).id
    award_over_api(client, tenant, substitute)
    reinstated = client.get(f"/api/v1/credentials/{designation['credential_id']}", headers=tenant.headers()).json()
    assert reinstated["suspended"] is False
    [same] = designations(client, tenant)
    assert same["credential_id"] == designation["credential_id"] and same["status"] == "awarded"
    assert verify_live(server, document).verified


def test_a_lapsed_designation_waits_for_approval_again(server: LiveServer, client: httpx.Client,
                                                       tenant: Tenant) -> None:
    """Without auto-award, a designation whose stack completes again after it lapsed is pending: the admin's
    approval issues the new credential in place of the revoked one."""
    services = server.app.state.services
    auto_award(client, tenant, False)
    [s1] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    k1 = submission_key(server, s1)
    publish_stack(client, tenant, [{"kind": "local", "key": k1, "versions": [1]}])
    first = award_over_api(client, tenant, s1)
    [pending] = designations(client, tenant)
    approved = client.post(f"/api/v1/stacks/designations/{pending['id']}/approve", headers=tenant.headers())
    assert approved.status_code == 200, approved.text
    old_credential = approved.json()["credential_id"]

    client.post(f"/api/v1/credentials/{first['id']}/revoke", json={"reason": "issued in error"},
                headers=tenant.headers()).raise_for_status()
    [lapsed] = designations(client, tenant)
    assert lapsed["status"] == "lapsed"

    with services.sessions() as session, session.begin():
        mc = session.scalars(select(MicroCredential).where(MicroCredential.key == k1)).one()
        substitute = assessed_submission(session, tenant.educator, tenant.assessor, mc, server.settings.blob_dir,
                                         scores=AWARD_PASSING_SCORES, attempt=2).id
    award_over_api(client, tenant, substitute)
    [waiting] = designations(client, tenant)
    assert waiting["status"] == "pending" and waiting["credential_id"] == old_credential
    approved = client.post(f"/api/v1/stacks/designations/{pending['id']}/approve", headers=tenant.headers())
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "awarded" and approved.json()["credential_id"] != old_credential
    new = client.get(f"/api/v1/credentials/{approved.json()['credential_id']}", headers=tenant.headers()).json()
    assert verify_live(server, new["credential"]).verified
    with services.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "designation.awarded")
                                .order_by(AuditEvent.id.desc()).limit(1)).one()
    assert event.detail["replaces"] == f"credential:{old_credential}"


def test_n_of_m_with_required_members_and_approval(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    services = server.app.state.services
    auto_award(client, tenant, False)
    subs = [passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)[0] for _ in range(3)]
    keys = [submission_key(server, s) for s in subs]
    stack = publish_stack(client, tenant, [{"kind": "local", "key": keys[0], "versions": [1], "required": True},
                                    {"kind": "local", "key": keys[1], "versions": [1]},
                                    {"kind": "local", "key": keys[2], "versions": [1]},
                                    {"kind": "external", "issuer_did": "did:web:elsewhere.example",
                                     "achievement_id": "https://elsewhere.example/a/1"}],
                   rule="n_of_m", required_count=2)
    award_over_api(client, tenant, subs[1])
    award_over_api(client, tenant, subs[2])
    assert designations(client, tenant) == []          # two of four, but not the required one
    award_over_api(client, tenant, subs[0])
    [pending] = designations(client, tenant)
    assert pending["status"] == "pending" and pending["credential_id"] is None
    assert len(pending["components"]) == 3

    educator = client.post("/api/v1/stacks/designations/" + pending["id"] + "/approve",
                           headers=tenant.headers(Role.EDUCATOR))
    assert educator.status_code == 403
    approved = client.post(f"/api/v1/stacks/designations/{pending['id']}/approve", headers=tenant.headers())
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "awarded" and approved.json()["credential_id"]
    twice = client.post(f"/api/v1/stacks/designations/{pending['id']}/approve", headers=tenant.headers())
    assert twice.json()["credential_id"] == approved.json()["credential_id"]
    assert stack["rule"] == "n_of_m"


def test_stack_rules_and_tenant_isolation(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    bad = client.post("/api/v1/stacks", json={"key": "x", "name": "X", "description": "d", "criteria": "c",
                                              "role": "Mentor", "rule": "n_of_m", "required_count": 3,
                                              "components": [{"kind": "local", "key": "a", "versions": [1]}]},
                      headers=tenant.headers())
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    # An image URL no award could state (a brace is not allowed in an IRI) is refused when the stack is
    # defined, not when its first designation is signed.
    braced = client.post("/api/v1/stacks", json={"key": "z", "name": "Z", "description": "d", "criteria": "c",
                                                 "role": "Mentor", "image_url": "https://img.example/{badge}.png",
                                                 "components": [{"kind": "local", "key": "a", "versions": [1]}]},
                         headers=tenant.headers())
    assert braced.status_code == 422 and "image_url" in braced.text
    unknown = client.post("/api/v1/stacks", json={"key": "y", "name": "Y", "description": "d", "criteria": "c",
                                                  "role": "Mentor",
                                                  "components": [{"kind": "local", "key": "nope", "versions": [1]}]},
                          headers=tenant.headers())
    assert unknown.status_code == 201
    refused = client.post(f"/api/v1/stacks/{unknown.json()['id']}/publish", headers=tenant.headers())
    assert refused.status_code == 422 and refused.json()["type"].endswith("unknown-component")
    assert client.get(f"/api/v1/stacks/{unknown.json()['id']}", headers=tenant.headers(Role.EDUCATOR)).status_code == 404
    assert client.get(f"/api/v1/stacks/{uuid.uuid4()}", headers=tenant.headers()).status_code == 404


def _same_teacher(services: Any, provider: Tenant, tenant: Tenant) -> None:
    with services.sessions() as session, transaction(session):
        session.get_one(Person, provider.educator.id).email = tenant.educator.email


def test_another_teachers_credential_neither_enters_nor_counts(server: LiveServer, client: httpx.Client,
                                                               tenant: Tenant) -> None:
    services = server.app.state.services
    provider = make_tenant(services.sessions, f"provider-{uuid.uuid4().hex[:6]}")
    theirs = award_one(server, provider).document         # issued to B's educator, another address
    achievement = theirs["credentialSubject"]["achievement"]["id"]
    auto_award(client, tenant, True)
    publish_stack(client, tenant, [{"kind": "external", "issuer_did": theirs["issuer"]["id"], "achievement_id": achievement}])
    refused = client.post("/api/v1/stacks/external-credentials", json={"credential": theirs},
                          headers=tenant.headers(Role.EDUCATOR))
    assert refused.status_code == 422 and "not issued to you" in refused.json()["detail"]
    # Stored another way (the OB 3.0 API keeps what a wallet upserts), it still does not count.
    with services.sessions() as session:
        obapi.upsert_credential(session, services, tenant.educator.id, theirs)
    decided = client.post("/api/v1/stacks/designations/evaluate", headers=tenant.headers(Role.EDUCATOR))
    assert decided.status_code == 200 and decided.json() == []


def test_external_components_verified_on_entry_and_at_decision(server: LiveServer, client: httpx.Client,
                                                               tenant: Tenant) -> None:
    services = server.app.state.services
    provider = make_tenant(services.sessions, f"provider-{uuid.uuid4().hex[:6]}")
    _same_teacher(services, provider, tenant)              # B knows the teacher by the address A knows
    brought = award_one(server, provider)                  # provider B's credential, brought to district A
    document = brought.document
    b_did, b_achievement = document["issuer"]["id"], document["credentialSubject"]["achievement"]["id"]

    # An issuer the stack does not accept: the same achievement id under another DID does not count.
    auto_award(client, tenant, False)
    publish_stack(client, tenant, [{"kind": "external", "issuer_did": "did:web:other.example",
                             "achievement_id": b_achievement}])
    tampered = {**document, "name": "A forged name"}
    refused = client.post("/api/v1/stacks/external-credentials", json={"credential": tampered},
                          headers=tenant.headers(Role.EDUCATOR))
    assert refused.status_code == 422 and refused.json()["type"].endswith("external-credential-refused")
    added = client.post("/api/v1/stacks/external-credentials", json={"credential": document},
                        headers=tenant.headers(Role.EDUCATOR))
    assert added.status_code == 200, added.text
    assert added.json()["designations"] == []

    accepting = publish_stack(client, tenant, [{"kind": "external", "issuer_did": b_did, "achievement_id": b_achievement}])
    decided = client.post("/api/v1/stacks/designations/evaluate", headers=tenant.headers(Role.EDUCATOR))
    assert decided.status_code == 200, decided.text
    [pending] = decided.json()
    assert pending["stack_id"] == accepting["id"] and pending["status"] == "pending"
    assert pending["components"][0]["digest"] == component_digest(document)

    # Re-checked when decided: B revokes it, so the approval finds the stack incomplete.
    revoked = client.post(f"/api/v1/credentials/{brought.id}/revoke", json={"reason": "issued in error"},
                          headers=provider.headers())
    assert revoked.status_code == 200, revoked.text
    approve = client.post(f"/api/v1/stacks/designations/{pending['id']}/approve", headers=tenant.headers())
    assert approve.status_code == 409 and approve.json()["type"].endswith("stack-not-complete")


def test_designation_verifies_in_the_node_reference(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                                    node_reference: Any) -> None:  # noqa: F811
    services = server.app.state.services
    auto_award(client, tenant, True)
    [submission] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    publish_stack(client, tenant, [{"kind": "local", "key": submission_key(server, submission), "versions": [1]}])
    award_over_api(client, tenant, submission)
    [designation] = designations(client, tenant)
    document = client.get(f"/api/v1/credentials/{designation['credential_id']}", headers=tenant.headers()).json()["credential"]
    did = document["issuer"]["id"]
    did_document = client.get(f"/issuers/{tenant.issuer.slug}/did.json").json()
    assert node_reference.verify(document, {did: did_document}) == {"verified": True, "errors": []}


def _components_check(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return next(c for c in response.json()["checks"] if c["code"] == "components")


def test_verifier_checks_each_component_of_a_designation(server: LiveServer, client: httpx.Client,
                                                         tenant: Tenant) -> None:
    """POST /verify: components issued here are read from the database; one the verifier cannot read must be
    presented (a ``component`` form field, or a presentation), else it is not checked; a revoked one fails."""
    services = server.app.state.services
    auto_award(client, tenant, True)
    [s1] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    [s2] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    publish_stack(client, tenant, [{"kind": "local", "key": submission_key(server, s1), "versions": [1]},
                                   {"kind": "local", "key": submission_key(server, s2), "versions": [1]}])
    first, second = award_over_api(client, tenant, s1), award_over_api(client, tenant, s2)
    [designation] = designations(client, tenant)
    document = client.get(f"/api/v1/credentials/{designation['credential_id']}",
                          headers=tenant.headers()).json()["credential"]

    # Both components read from the database: passed, each named.
    check = _components_check(client.post("/verify", json=document))
    assert check["outcome"] == "passed", check
    assert {c["id"]: c["outcome"] for c in check["details"]["components"]} == {
        first["url"]: "passed", second["url"]: "passed"}

    # A component the public cannot read (its earner made it private) could not be checked, never passed...
    with services.sessions() as session, transaction(session):
        session.get_one(Credential, uuid.UUID(second["id"])).public = False
    check = _components_check(client.post("/verify", json=document))
    assert check["outcome"] == "not_checked" and second["url"] in check["message"], check
    assert first["url"] not in check["message"]
    # ... until the holder presents it: as a form's component field, or in a Verifiable Presentation.
    presented = client.post("/verify", files=[("credential", ("designation.json", json.dumps(document), "application/json")),
                                              ("component", ("second.json", json.dumps(second["credential"]),
                                                             "application/json"))])
    assert _components_check(presented)["outcome"] == "passed"
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "verifiableCredential": [document, second["credential"]]}
    assert _components_check(client.post("/verify", json=presentation))["outcome"] == "passed"
    wrapped = client.post("/verify", json={"verifiablePresentation": presentation})
    assert _components_check(wrapped)["outcome"] == "passed"
    # A presented copy that is not the one counted fails, and says which.
    tampered = {**second["credential"], "name": "Something else"}
    check = _components_check(client.post("/verify", json={**presentation,
                                                           "verifiableCredential": [document, tampered]}))
    assert check["outcome"] == "failed" and second["url"] in check["message"]
    assert "digest does not match" in check["message"], check

    # The issuer revokes the first component: the verifier reports that component as revoked.
    revoked = client.post(f"/api/v1/credentials/{first['id']}/revoke", json={"reason": "evidence not original"},
                          headers=tenant.headers())
    assert revoked.status_code == 200, revoked.text
    answer = client.post("/verify", json=presentation)
    check = _components_check(answer)
    assert check["outcome"] == "failed" and first["url"] in check["message"] and "revoked" in check["message"], check
    assert second["url"] not in check["message"]
    assert answer.json()["verified"] is False
    assert any(p["code"] == "components" for p in answer.json()["problemDetails"])


def test_a_scheduled_recheck_revokes_a_designation_whose_component_expired(server: LiveServer, client: httpx.Client,
                                                                           tenant: Tenant) -> None:
    """``mcbadge designations recheck`` (the scheduled job, run in this process on the same database and keys):
    a component that expired since the award no longer holds the stack up, so the designation is revoked
    (lapsed), naming the component; running it again changes nothing."""
    services = server.app.state.services
    auto_award(client, tenant, True)
    [submission] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    publish_stack(client, tenant, [{"kind": "local", "key": submission_key(server, submission), "versions": [1]}])
    component = award_over_api(client, tenant, submission)
    [designation] = designations(client, tenant)
    assert designation["suspended"] is False
    with services.sessions() as session, transaction(session):     # time passes: the component expires
        session.get_one(Credential, uuid.UUID(component["id"])).valid_until = datetime.now(timezone.utc) - timedelta(days=1)

    def recheck() -> Ran:
        return mcbadge_in_process(cli_env(server), "designations", "recheck")

    first = recheck()
    assert first.returncode == 0, first.stderr
    assert f"designation {designation['id']} revoked" in first.stdout, first.stdout
    [after] = designations(client, tenant)
    assert after["status"] == "lapsed"
    row = client.get(f"/api/v1/credentials/{designation['credential_id']}", headers=tenant.headers()).json()
    assert row["revoked"] is True and component["url"] in row["revocation_reason"], row["revocation_reason"]
    assert not verify_live(server, row["credential"]).verified
    second = recheck()
    assert second.returncode == 0 and "0 changed" in second.stdout, second.stdout


def test_verifier_rereads_stored_components_at_every_verification(server: LiveServer, client: httpx.Client,
                                                                  tenant: Tenant) -> None:
    """POST /verify remembers the canonical forms of the components it reads from the database, never their
    status nor the document itself: a stored component that changes fails its digest at the very next
    verification, and so does a revoked one, right after a verification that passed."""
    services = server.app.state.services
    auto_award(client, tenant, True)
    [s1] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    [s2] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    publish_stack(client, tenant, [{"kind": "local", "key": submission_key(server, s1), "versions": [1]},
                                   {"kind": "local", "key": submission_key(server, s2), "versions": [1]}])
    first, second = award_over_api(client, tenant, s1), award_over_api(client, tenant, s2)
    [designation] = designations(client, tenant)
    document = client.get(f"/api/v1/credentials/{designation['credential_id']}",
                          headers=tenant.headers()).json()["credential"]
    for _ in range(2):  # the second from what was remembered
        assert _components_check(client.post("/verify", json=document))["outcome"] == "passed"

    with services.sessions() as session, transaction(session):
        stored = session.get_one(Credential, uuid.UUID(second["id"]))
        stored.document = {**stored.document, "name": "Something else"}
    check = _components_check(client.post("/verify", json=document))
    assert check["outcome"] == "failed" and second["url"] in check["message"], check
    assert "digest does not match" in check["message"] and first["url"] not in check["message"]

    with services.sessions() as session, transaction(session):
        session.get_one(Credential, uuid.UUID(second["id"])).document = second["credential"]
    assert _components_check(client.post("/verify", json=document))["outcome"] == "passed"
    revoked = client.post(f"/api/v1/credentials/{first['id']}/revoke", json={"reason": "evidence not original"},
                          headers=tenant.headers())
    assert revoked.status_code == 200, revoked.text
    answer = client.post("/verify", json=document)
    check = _components_check(answer)
    assert check["outcome"] == "failed" and first["url"] in check["message"] and "revoked" in check["message"], check
    assert answer.json()["verified"] is False


def test_a_designation_naming_too_many_components_fails_unread(server: LiveServer, client: httpx.Client,
                                                              tenant: Tenant) -> None:
    """A crafted designation naming thousands of components is refused by its components check, naming the
    limit, without reading any of them."""
    document = award_one(server, tenant).document
    digest = component_digest(document)  # once: canonicalizing the document 5000 times took most of the test
    related = [{"id": f"{server.base_url}/credentials/{uuid.uuid4()}", "mediaType": "application/n-quads",
                "digestMultibase": digest} for _ in range(5000)]
    answer = client.post("/verify", json={**document, "relatedResource": related})
    check = _components_check(answer)
    assert check["outcome"] == "failed" and "names 5000 components" in check["message"], check
    assert f"at most {MAX_COMPONENTS}" in check["message"] and answer.json()["verified"] is False
