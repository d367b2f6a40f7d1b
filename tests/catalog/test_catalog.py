"""The catalog over HTTP: drafts, publishing (completeness), immutability of published versions, versions."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from mcbadge.db.models import AuditEvent

from tests.live_server import LiveServer
from tests.assertions import assert_problem
from tests.factories.catalog import microcredential_body
from tests.factories.tenants import seed_world

MC = "/api/v1/microcredentials"


def test_draft_edit_publish_then_immutable(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    admin = world.headers("admin")
    created = client.post(MC, json=microcredential_body(key="talk-moves"), headers=admin)
    assert created.status_code == 201, created.text
    draft = created.json()
    assert (draft["version"], draft["status"], draft["latest"]) == (1, "draft", False)

    # Educators never see drafts; admins do.
    assert_problem(client.get(f"{MC}/{draft['id']}", headers=world.headers("educator")), 404)
    keys = [m["key"] for m in client.get(MC, headers=world.headers("educator")).json()["items"]]
    assert "talk-moves" not in keys

    edited = client.patch(f"{MC}/{draft['id']}", json={"title": "Talk Moves", "pd_hours": None}, headers=admin)
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Talk Moves" and edited.json()["pd_hours"] is None
    assert edited.json()["rubric"] == draft["rubric"]  # fields not sent are kept

    published = client.post(f"{MC}/{draft['id']}/publish", headers=admin)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published" and published.json()["latest"] is True
    assert published.json()["published_at"]

    problem = assert_problem(client.patch(f"{MC}/{draft['id']}", json={"title": "Changed"}, headers=admin), 409,
                             "published-immutable")
    assert "new version" in problem["detail"] and f"{draft['id']}/versions" in problem["detail"]
    assert client.get(f"{MC}/{draft['id']}", headers=admin).json()["title"] == "Talk Moves"
    assert_problem(client.post(f"{MC}/{draft['id']}/publish", headers=admin), 409, "not-a-draft")

    with server.app.state.services.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"microcredential:{draft['id']}")).all()
    assert actions == ["microcredential.create", "microcredential.update", "microcredential.publish"]


def test_publishing_checks_completeness(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    admin = world.headers("admin")
    body = microcredential_body(key="incomplete", requirements=[], rubric={
        "levels": [{"key": "only", "name": "Only"}],
        "criteria": [{"key": "c", "name": "C", "required_level": "missing"},
                     {"key": "c", "name": "C again", "required_level": "only"}],
    })
    draft = client.post(MC, json=body, headers=admin).json()
    problem = assert_problem(client.post(f"{MC}/{draft['id']}/publish", headers=admin), 422,
                             "incomplete-microcredential")
    errors = "\n".join(problem["errors"])
    assert "at least one evidence requirement" in errors
    assert "at least two levels" in errors
    assert "'missing' is not one of the rubric's levels" in errors
    assert "repeated: c" in errors
    assert client.get(f"{MC}/{draft['id']}", headers=admin).json()["status"] == "draft"

    fixed = client.patch(f"{MC}/{draft['id']}", headers=admin, json={
        "requirements": microcredential_body()["requirements"], "rubric": microcredential_body()["rubric"]})
    assert fixed.status_code == 200, fixed.text
    assert client.post(f"{MC}/{draft['id']}/publish", headers=admin).status_code == 200


def test_publishing_checks_a_sample_credential_is_conformant(server: LiveServer, client: httpx.Client) -> None:
    """The pre-issuance conformance gate: a version whose awards would not be accepted by Open Badges 3.0 hosts
    (here, what the catalog API itself accepts: an alignment code left blank) is not published; the problem
    lists why; fixed, it publishes. ``POST .../versions`` goes through the same gate, and makes no version when
    it refuses."""
    world = seed_world(server.app.state.services.sessions)
    admin = world.headers("admin")
    blank_code = [{"target_name": "InTASC 6", "target_url": "https://example.org/intasc-6", "target_code": ""}]
    created = client.post(MC, json=microcredential_body(key="gated", alignments=blank_code), headers=admin)
    assert created.status_code == 201, created.text
    draft = created.json()
    problem = assert_problem(client.post(f"{MC}/{draft['id']}/publish", headers=admin), 422,
                             "nonconformant-microcredential")
    assert "would not be accepted by Open Badges 3.0 hosts" in problem["detail"]
    assert problem["errors"] == ["the credential cannot be built: Alignment.targetCode: String should have at least "
                                 "1 character (got '')"], problem["errors"]
    assert client.get(f"{MC}/{draft['id']}", headers=admin).json()["status"] == "draft"

    fixed = client.patch(f"{MC}/{draft['id']}", json={"alignments": microcredential_body()["alignments"]},
                         headers=admin)
    assert fixed.status_code == 200, fixed.text
    published = client.post(f"{MC}/{draft['id']}/publish", headers=admin)
    assert published.status_code == 200, published.text

    problem = assert_problem(client.post(f"{MC}/{draft['id']}/versions", json={"alignments": blank_code},
                                         headers=admin), 422, "nonconformant-microcredential")
    assert problem["errors"][0].startswith("the credential cannot be built: Alignment.targetCode")
    # An image URL whose template was never filled in is refused at the edge, before any gate: a brace is not
    # allowed in an IRI, and every award states the URL as its image id.
    template = "https://example.org/badges/{key}.png"
    refused = client.post(f"{MC}/{draft['id']}/versions", json={"image_url": template}, headers=admin)
    assert refused.status_code == 422 and "image_url" in refused.text, refused.text
    listed = client.get(MC, params={"key": "gated"}, headers=admin).json()
    assert [m["version"] for m in listed["items"]] == [1]


def test_a_new_version_is_published_and_the_old_one_stays(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    admin = world.headers("admin")
    v1 = str(world.mc.id)
    response = client.post(f"{MC}/{v1}/versions", json={"title": "Checking for Understanding (2025)"}, headers=admin)
    assert response.status_code == 201, response.text
    v2 = response.json()
    assert (v2["key"], v2["version"], v2["status"], v2["latest"]) == (world.mc.key, 2, "published", True)
    assert v2["id"] != v1
    assert [(c["key"], c["required_level"]) for c in v2["rubric"]["criteria"]] == [
        (c["key"], c["required_level"]) for c in world.mc.rubric["criteria"]]

    old = client.get(f"{MC}/{v1}", headers=world.headers("educator")).json()
    assert (old["status"], old["latest"], old["title"]) == ("published", False, "Checking for Understanding")

    # Versions are made from the newest version of the key, whichever version's id is used.
    v3 = client.post(f"{MC}/{v1}/versions", json={"pd_hours": 12}, headers=admin).json()
    assert (v3["version"], v3["title"], v3["pd_hours"]) == (3, "Checking for Understanding (2025)", 12)

    # A version that would be incomplete is refused, and no version is made.
    assert_problem(client.post(f"{MC}/{v1}/versions", json={"rubric": {"levels": [], "criteria": []}}, headers=admin),
                   422, "incomplete-microcredential")
    listed = client.get(MC, params={"key": world.mc.key}, headers=admin).json()
    assert [(m["version"], m["latest"]) for m in listed["items"]] == [(3, True), (2, False), (1, False)]


def test_keys_are_unique_per_issuer_not_globally(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    assert_problem(client.post(MC, json=microcredential_body(), headers=world.headers("admin")), 409, "key-taken")
    # The other tenant has the same key already (seed_world), and its own catalog is separate.
    other = client.get(MC, headers=world.headers("other_admin")).json()
    assert [m["key"] for m in other["items"]] == [world.mc.key]
    assert other["items"][0]["id"] != str(world.mc.id)


def test_lists_are_paginated(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    admin = world.headers("admin")
    for n in range(4):
        assert client.post(MC, json=microcredential_body(key=f"extra-{n}"), headers=admin).status_code == 201
    first = client.get(MC, params={"limit": 2}, headers=admin).json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (5, 2, 0, 2)
    rest = client.get(MC, params={"limit": 2, "offset": 4}, headers=admin).json()
    assert len(rest["items"]) == 1
    seen = {m["id"] for page in (0, 2, 4) for m in client.get(MC, params={"limit": 2, "offset": page}, headers=admin).json()["items"]}
    assert len(seen) == 5
    drafts = client.get(MC, params={"status": "draft"}, headers=admin).json()
    assert drafts["total"] == 4
    # Educators see published versions only.
    assert client.get(MC, headers=world.headers("educator")).json()["total"] == 1
