"""Attempts that build on each other (issue 12 part 7): after "not yet", a new attempt carries the evidence
forward (files by digest, no re-upload), the educator replaces only what the feedback asked for, the assessor
sees what changed, and the credential's evidence digests are those of the bytes assessed."""

from __future__ import annotations

import hashlib
import uuid

import httpx

from mcbadge.vc.evidence import digest_multibase

from tests.assertions import assert_problem
from tests.factories.catalog import FAILING, FAILING_FEEDBACK, PASSING
from tests.factories.submissions import REFLECTION, assess, assign, start_attempt, upload
from tests.factories.tenants import World, seed_world
from tests.live_server import LiveServer

SUB = "/api/v1/submissions"
NEW_REFLECTION = ("This time I used hinge questions and mini whiteboards; 22 of 24 students placed 3/4 correctly, "
                  "and I regrouped the two who did not.")


def _reflect(client: httpx.Client, world: World, sub_id: str, text: str) -> dict:
    response = client.post(f"{SUB}/{sub_id}/evidence", json={"requirement": "reflection", "kind": "reflection",
                                                             "text": text}, headers=world.headers("educator"))
    assert response.status_code == 201, response.text
    return response.json()


def _submit(client: httpx.Client, world: World, sub_id: str) -> None:
    response = client.post(f"{SUB}/{sub_id}/submit", headers=world.headers("educator"))
    assert response.status_code == 200, response.text


def test_carried_forward_evidence_keeps_its_digest_into_the_credential(server: LiveServer,
                                                                        client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    educator = world.headers("educator")
    plan = b"%PDF-1.7 lesson plan with hinge questions " + uuid.uuid4().bytes
    plan_sha = hashlib.sha256(plan).hexdigest()

    # Nothing to carry forward from on a first attempt.
    assert_problem(client.post(SUB, json={"microcredential_id": str(world.mc.id), "carry_forward": True},
                               headers=educator), 409, "nothing-to-carry-forward")
    first = start_attempt(client, world)
    assert upload(client, world, first["id"], plan).json()["sha256"] == plan_sha
    _reflect(client, world, first["id"], REFLECTION)
    _submit(client, world, first["id"])
    assign(client, world, first["id"], world.assessor)
    assert assess(client, world, first["id"], "assessor", FAILING, FAILING_FEEDBACK).json()["submission_status"] == "not_yet"

    # Attempt 2 starts with attempt 1's evidence: the same file by digest, nothing uploaded.
    response = client.post(SUB, json={"microcredential_id": str(world.mc.id), "carry_forward": True}, headers=educator)
    assert response.status_code == 201, response.text
    second = response.json()
    assert second["attempt"] == 2
    carried = {e["requirement"]: e for e in second["evidence"]}
    old = {e["requirement"]: e for e in client.get(f"{SUB}/{first['id']}", headers=educator).json()["evidence"]}
    assert carried["lesson-plan"]["sha256"] == plan_sha and carried["lesson-plan"]["filename"] == "plan.pdf"
    assert carried["lesson-plan"]["carried_from"] == old["lesson-plan"]["id"]
    assert carried["reflection"]["text"] == REFLECTION
    # Replace only what the feedback asked for: the reflection.
    assert client.delete(f"{SUB}/{second['id']}/evidence/{carried['reflection']['id']}",
                         headers=educator).status_code == 204
    _reflect(client, world, second["id"], NEW_REFLECTION)
    _submit(client, world, second["id"])
    assign(client, world, second["id"], world.second_assessor)

    # The assessor sees what changed since the last attempt, by digest, and what the feedback asked for.
    changes = client.get(f"{SUB}/{second['id']}/changes", headers=world.headers("second_assessor"))
    assert changes.status_code == 200, changes.text
    changes = changes.json()
    assert changes["previous"]["attempt"] == 1 and changes["previous"]["feedback"] == {
        k: [v] for k, v in FAILING_FEEDBACK.items()}
    assert [(c["requirement"], c["sha256"], c["carried_forward"]) for c in changes["kept"]] == [
        ("lesson-plan", plan_sha, True)]
    assert [(c["requirement"], c["sha256"]) for c in changes["removed"]] == [
        ("reflection", hashlib.sha256(REFLECTION.encode()).hexdigest())]
    assert [(c["requirement"], c["sha256"]) for c in changes["added"]] == [
        ("reflection", hashlib.sha256(NEW_REFLECTION.encode()).hexdigest())]

    # The bytes the assessor reads are the bytes uploaded for attempt 1.
    content = client.get(f"{SUB}/{second['id']}/evidence/{carried['lesson-plan']['id']}/content",
                         headers=world.headers("second_assessor"))
    assert content.status_code == 200 and content.content == plan
    assert assess(client, world, second["id"], "second_assessor", PASSING).json()["submission_status"] == "passed"
    award = client.post(f"{SUB}/{second['id']}/award", headers=world.headers("admin"))
    assert award.status_code == 201, award.text
    document = award.json()["credential"]
    digests = {r["id"].rsplit("/", 1)[1]: r["digestMultibase"] for r in document["relatedResource"]}
    assert digests[carried["lesson-plan"]["id"]] == digest_multibase(content.content) == digest_multibase(plan)
    [new_reflection] = [e for e in client.get(f"{SUB}/{second['id']}", headers=educator).json()["evidence"]
                        if e["requirement"] == "reflection"]
    assert digests[new_reflection["id"]] == digest_multibase(NEW_REFLECTION.encode())
    assert len(digests) == 2  # the replaced reflection is not in the credential
