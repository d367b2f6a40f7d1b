"""Submissions over HTTP: attempts, evidence (files content-addressed, URLs, reflections), submit, limits."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import func, select

from mcbadge.db.models import AuditEvent, Blob

from tests.live_server import LiveServer, make_settings
from tests.assertions import assert_problem
from tests.factories.catalog import FAILING, FAILING_FEEDBACK, PASSING
from tests.factories.submissions import REFLECTION, assess, assign, start_attempt, submitted_attempt, upload
from tests.factories.tenants import seed_world
from tests.live_server import live_server

SUB = "/api/v1/submissions"
MIB = 1024 * 1024


def test_an_attempt_from_draft_to_submitted(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    me = world.headers("educator")
    sub = start_attempt(client, world)
    assert (sub["attempt"], sub["status"], sub["evidence"]) == (1, "draft", [])
    assert_problem(client.post(SUB, json={"microcredential_id": str(world.mc.id)}, headers=me), 409, "attempt-open")

    # Submitting without the required evidence names what is missing.
    problem = assert_problem(client.post(f"{SUB}/{sub['id']}/submit", headers=me), 422, "missing-evidence")
    assert problem["missing"] == ["lesson-plan", "reflection"]

    assert upload(client, world, sub["id"], b"%PDF-1.7 plan").status_code == 201
    link = client.post(f"{SUB}/{sub['id']}/evidence", headers=me,
                       json={"requirement": "link", "kind": "url", "url": "https://class.example.org/unit-3"})
    assert link.status_code == 201, link.text
    too_long = " ".join(["word"] * 51)
    problem = assert_problem(client.post(f"{SUB}/{sub['id']}/evidence", headers=me, json={
        "requirement": "reflection", "kind": "reflection", "text": too_long}), 422, "word-count")
    assert problem["words"] == 51 and problem["max_words"] == 50
    reflection = client.post(f"{SUB}/{sub['id']}/evidence", headers=me,
                             json={"requirement": "reflection", "kind": "reflection", "text": REFLECTION})
    assert reflection.status_code == 201, reflection.text

    # A draft's evidence can be removed.
    assert client.delete(f"{SUB}/{sub['id']}/evidence/{link.json()['id']}", headers=me).status_code == 204
    read = client.get(f"{SUB}/{sub['id']}", headers=me).json()
    assert [e["requirement"] for e in read["evidence"]] == ["lesson-plan", "reflection"]

    submitted = client.post(f"{SUB}/{sub['id']}/submit", headers=me)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted" and submitted.json()["submitted_at"]

    # Submitted evidence is frozen.
    assert_problem(client.post(f"{SUB}/{sub['id']}/submit", headers=me), 409, "submission-not-draft")
    assert_problem(upload(client, world, sub["id"], b"%PDF-1.7 late"), 409, "submission-not-draft")
    evidence_id = read["evidence"][0]["id"]
    assert_problem(client.delete(f"{SUB}/{sub['id']}/evidence/{evidence_id}", headers=me), 409, "submission-not-draft")
    assert_problem(client.post(SUB, json={"microcredential_id": str(world.mc.id)}, headers=me), 409, "attempt-open")

    with server.app.state.services.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"submission:{sub['id']}")).all()
    assert actions == ["submission.create", "submission.submit"]


def test_the_same_file_twice_is_stored_once(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    content = b"%PDF-1.7 the same lesson plan"
    digest = hashlib.sha256(content).hexdigest()
    mine = start_attempt(client, world)
    theirs = start_attempt(client, world, who="other_educator")
    first = upload(client, world, mine["id"], content, filename="../../etc/plan.pdf")
    second = upload(client, world, theirs["id"], content, filename="copy%20of%20plan%C3%A9.pdf", who="other_educator")
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json()["sha256"] == second.json()["sha256"] == digest
    assert first.json()["filename"] == "plan.pdf"  # no directories from X-Filename
    assert second.json()["filename"] == "copy of plané.pdf"
    # A client that sends the name as raw UTF-8 bytes (not percent-encoded) gets it back as written.
    raw = client.post(f"/api/v1/submissions/{mine['id']}/evidence/files", params={"requirement": "lesson-plan"},
                      content=content, headers={**world.headers("educator"), "Content-Type": "application/pdf",
                                                "X-Filename": "Évaluation – élèves.pdf".encode()})
    assert raw.status_code == 201 and raw.json()["filename"] == "Évaluation – élèves.pdf", raw.text
    latin1 = client.post(f"/api/v1/submissions/{mine['id']}/evidence/files", params={"requirement": "lesson-plan"},
                         content=content, headers={**world.headers("educator"), "Content-Type": "application/pdf",
                                                   "X-Filename": "caf\xe9.pdf".encode("latin-1")})
    assert latin1.status_code == 201 and latin1.json()["filename"] == "café.pdf", latin1.text
    assert (first.json()["size"], first.json()["media_type"]) == (len(content), "application/pdf")

    blob_dir = server.settings.blob_dir
    stored = blob_dir / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == content
    assert [p for p in blob_dir.rglob("*") if p.is_file()] == [stored]  # one file, no temporary left behind
    with server.app.state.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Blob).where(Blob.sha256 == digest)) == 1

    # Read back, exactly, with the digest a credential will name.
    response = client.get(first.json()["content_url"], headers=world.headers("educator"))
    assert response.status_code == 200 and response.content == content
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["repr-digest"] == f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_uploads_have_their_own_limit_and_are_streamed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_upload_bytes=3 * MIB)
    with live_server(settings) as (app, base_url), httpx.Client(base_url=base_url, trust_env=False, timeout=30) as client:
        world = seed_world(app.state.services.sessions)
        sub = start_attempt(client, world)
        # Above the 1 MiB limit of other bodies, within the upload limit: accepted.
        big = b"%PDF-1.7 " + b"x" * (2 * MIB)
        response = upload(client, world, sub["id"], big)
        assert response.status_code == 201, response.text
        assert response.json()["size"] == len(big)
        # Other bodies keep the 1 MiB limit.
        assert_problem(client.post(f"{SUB}/{sub['id']}/evidence", headers=world.headers("educator"), json={
            "requirement": "reflection", "kind": "reflection", "text": "word " * (MIB // 4)}), 413)

        # Over the upload limit with a Content-Length: refused before the route runs.
        too_big = b"%PDF-1.7 " + b"y" * (3 * MIB)
        assert_problem(upload(client, world, sub["id"], too_big), 413)

        # Over the limit without a length (chunked): refused while streaming; nothing is stored.
        def chunks() -> Iterator[bytes]:
            yield b"%PDF-1.7 "
            for _ in range(4):
                yield b"z" * MIB

        response = client.post(f"{SUB}/{sub['id']}/evidence/files", params={"requirement": "lesson-plan"},
                               content=chunks(), headers={**world.headers("educator"), "Content-Type": "application/pdf"})
        body = assert_problem(response, 413, "upload-too-large")
        assert body["limit"] == 3 * MIB
        files = [p for p in settings.blob_dir.rglob("*") if p.is_file()]
        assert len(files) == 1  # only the accepted 2 MiB file; no temporary file left
        evidence = client.get(f"{SUB}/{sub['id']}", headers=world.headers("educator")).json()["evidence"]
        assert len(evidence) == 1


def test_not_yet_opens_a_new_attempt_and_keeps_the_old_one(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    me = world.headers("educator")
    first = submitted_attempt(client, world)
    assert assign(client, world, first["id"], world.assessor).status_code == 201
    assert assess(client, world, first["id"], "assessor", FAILING, FAILING_FEEDBACK).status_code == 201

    second = start_attempt(client, world)
    assert second["attempt"] == 2 and second["status"] == "draft"
    old = client.get(f"{SUB}/{first['id']}", headers=me).json()
    assert old["status"] == "not_yet"
    assert old["assessments"][0]["feedback"] == FAILING_FEEDBACK
    assert old["assessments"][0]["assessor_id"] is None  # educators do not see who assessed
    listed = client.get(SUB, headers=me).json()
    assert [(s["attempt"], s["status"]) for s in listed["items"]] == [(2, "draft"), (1, "not_yet")]


def test_a_passed_attempt_blocks_a_new_one(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    sub = submitted_attempt(client, world)
    assign(client, world, sub["id"], world.assessor)
    assert assess(client, world, sub["id"], "assessor", PASSING).json()["submission_status"] == "passed"
    problem = assert_problem(client.post(SUB, json={"microcredential_id": str(world.mc.id)},
                                         headers=world.headers("educator")), 409, "attempt-open")
    assert problem["submission_id"] == sub["id"]


def test_new_attempts_start_on_the_newest_version(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    v2 = client.post(f"/api/v1/microcredentials/{world.mc.id}/versions", json={"title": "New"},
                     headers=world.headers("admin")).json()
    problem = assert_problem(client.post(SUB, json={"microcredential_id": str(world.mc.id)},
                                         headers=world.headers("educator")), 409, "superseded-version")
    assert problem["latest_id"] == v2["id"]
    assert start_attempt(client, world, v2["id"])["microcredential_version"] == 2


def test_who_lists_what(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    mine = submitted_attempt(client, world)
    theirs = submitted_attempt(client, world, who="other_educator")
    assign(client, world, theirs["id"], world.assessor)

    def ids(who: str) -> set[str]:
        return {s["id"] for s in client.get(SUB, headers=world.headers(who)).json()["items"]}

    assert ids("educator") == {mine["id"]}
    assert ids("assessor") == {theirs["id"]}
    assert ids("admin") == ids("integrator") == {mine["id"], theirs["id"]}
    assert ids("other_admin") == set()
    assert client.get(SUB, params={"status": "draft"}, headers=world.headers("admin")).json()["total"] == 0
