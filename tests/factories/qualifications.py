"""Calibration and assessor qualifications through the public API: a published micro-credential, trained
assessors, anchors with master scores, a calibration set scored by a rule, and a submission scored and
awarded over HTTP (so the award cites the assessor's qualification)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from mcbadge.db.models import Person, Role
from tests.factories.catalog import PASSING, microcredential_body
from tests.factories.people import api_key, auth, make_person
from tests.factories.submissions import REFLECTION
from tests.factories.tenants import Tenant
from tests.live_server import LiveServer

MC = "/api/v1/microcredentials"
ANCHORS = "/api/v1/calibration/anchors"
ATTEMPTS = "/api/v1/calibration/attempts"
QUALIFICATIONS = "/api/v1/qualifications"

LEVELS = ["not-yet", "developing", "proficient", "exemplary"]
"""The levels of :data:`tests.factories.catalog.MICROCREDENTIAL`'s rubric, lowest first."""
CRITERIA = ["varied-checks", "reflection"]
MASTER = {"varied-checks": "developing", "reflection": "developing"}
"""Master scores of every anchor these helpers make: one level up is adjacent, two up is not."""
RATIONALE = {"varied-checks": "Two checks reach most students, not every one.",
             "reflection": "Names what the students showed, not what to change."}


def published(client: httpx.Client, tenant: Tenant, key: str = "checking-for-understanding") -> dict[str, Any]:
    created = client.post(MC, json=microcredential_body(key=key), headers=tenant.headers())
    assert created.status_code == 201, created.text
    done = client.post(f"{MC}/{created.json()['id']}/publish", headers=tenant.headers())
    assert done.status_code == 200, done.text
    result: dict[str, Any] = done.json()
    return result


def assessor(server: LiveServer, tenant: Tenant, name: str) -> tuple[Person, dict[str, str]]:
    """Another assessor of the tenant, and the headers of their API key."""
    with server.app.state.services.sessions() as session, session.begin():
        person = make_person(session, tenant.issuer, Role.ASSESSOR, name)
        key = api_key(session, person)
    return person, auth(key)


def train(client: httpx.Client, tenant: Tenant, person: Person, key: str) -> None:
    response = client.post(f"/api/v1/people/{person.id}/trainings", json={"microcredential_key": key},
                           headers=tenant.headers())
    assert response.status_code in (200, 201), response.text


def anchor(client: httpx.Client, tenant: Tenant, mc: dict[str, Any], title: str) -> dict[str, Any]:
    response = client.post(ANCHORS, headers=tenant.headers(), json={
        "microcredential_id": mc["id"], "title": title,
        "evidence": [{"requirement": "link", "kind": "url", "url": "https://example.org/anchor-lesson"},
                     {"requirement": "reflection", "kind": "reflection", "text": REFLECTION}],
        "master_scores": MASTER, "rationale": RATIONALE})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def one_up(level: str, steps: int) -> str:
    return LEVELS[LEVELS.index(level) + steps]


ScoreRule = Callable[[int, dict[str, Any]], dict[str, str]]
"""(position of the anchor in the set, the anchor as the set shows it) -> the assessor's scores."""


def exact(position: int, shown: dict[str, Any]) -> dict[str, str]:
    """Every criterion at the master level (read from the anchor's master scores, :data:`MASTER`)."""
    return dict(MASTER)


def calibrate(client: httpx.Client, headers: dict[str, str], key: str, rule: ScoreRule = exact,
              expect_new: bool = True) -> dict[str, Any]:
    """Start a calibration set and score each anchor by ``rule``; the completed set."""
    started = client.post(ATTEMPTS, json={"microcredential_key": key}, headers=headers)
    assert started.status_code == (201 if expect_new else 200), started.text
    attempt: dict[str, Any] = started.json()
    for position, shown in enumerate(attempt["anchors"]):
        assert shown["master_scores"] is None and shown["rationale"] is None  # hidden until the set is done
        scored = client.post(f"{ATTEMPTS}/{attempt['id']}/scores", headers=headers,
                             json={"anchor_id": shown["id"], "scores": rule(position, shown)})
        assert scored.status_code == 200, scored.text
        attempt = scored.json()
    return attempt


def qualified(client: httpx.Client, tenant: Tenant, person: Person, headers: dict[str, str],
              mc: dict[str, Any]) -> dict[str, Any]:
    """Train ``person`` for ``mc``'s key and calibrate them perfectly; their qualification (API view)."""
    train(client, tenant, person, mc["key"])
    attempt = calibrate(client, headers, mc["key"])
    assert attempt["status"] == "qualified", attempt
    got = client.get(f"{QUALIFICATIONS}/{attempt['qualification_id']}", headers=headers)
    assert got.status_code == 200, got.text
    result: dict[str, Any] = got.json()
    return result


def submitted(server: LiveServer, client: httpx.Client, tenant: Tenant, mc: dict[str, Any]) -> str:
    """A submitted attempt at ``mc`` (a file and a reflection) by a new educator of the tenant; its id."""
    with server.app.state.services.sessions() as session, session.begin():
        educator = auth(api_key(session, make_person(session, tenant.issuer, Role.EDUCATOR)))
    sub = client.post("/api/v1/submissions", json={"microcredential_id": mc["id"]}, headers=educator)
    assert sub.status_code == 201, sub.text
    sub_id: str = sub.json()["id"]
    upload = client.post(f"/api/v1/submissions/{sub_id}/evidence/files", params={"requirement": "lesson-plan"},
                         content=b"%PDF-1.7 a lesson plan with hinge questions",
                         headers={**educator, "Content-Type": "application/pdf", "X-Filename": "plan.pdf"})
    assert upload.status_code == 201, upload.text
    reflection = client.post(f"/api/v1/submissions/{sub_id}/evidence", headers=educator,
                             json={"requirement": "reflection", "kind": "reflection", "text": REFLECTION})
    assert reflection.status_code == 201, reflection.text
    done = client.post(f"/api/v1/submissions/{sub_id}/submit", headers=educator)
    assert done.status_code == 200, done.text
    return sub_id


def assign(client: httpx.Client, tenant: Tenant, sub_id: str, person: Person) -> httpx.Response:
    return client.post(f"/api/v1/submissions/{sub_id}/assignments", json={"assessor_id": str(person.id)},
                       headers=tenant.headers())


def assess(client: httpx.Client, sub_id: str, headers: dict[str, str]) -> httpx.Response:
    return client.post(f"/api/v1/submissions/{sub_id}/assessments", json={"scores": PASSING}, headers=headers)


def scored_and_awarded(server: LiveServer, client: httpx.Client, tenant: Tenant, mc: dict[str, Any],
                       person: Person, headers: dict[str, str]) -> dict[str, Any]:
    """A submission of ``mc`` scored (passing) by ``person`` and awarded by the admin: the signed credential."""
    sub_id = submitted(server, client, tenant, mc)
    assert assign(client, tenant, sub_id, person).status_code == 201
    scored = assess(client, sub_id, headers)
    assert scored.status_code == 201, scored.text
    awarded = client.post(f"/api/v1/submissions/{sub_id}/award", headers=tenant.headers())
    assert awarded.status_code == 201, awarded.text
    credential: dict[str, Any] = awarded.json()["credential"]
    return credential


def verify(client: httpx.Client, credential: dict[str, Any]) -> dict[str, Any]:
    """POST /verify: the report as JSON."""
    response = client.post("/verify", json=credential)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def check(result: dict[str, Any], code: str) -> dict[str, Any]:
    found = [c for c in result["checks"] if c["code"] == code]
    assert len(found) == 1, result["checks"]
    return found[0]
