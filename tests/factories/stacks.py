"""Stacks and designations over the API: define and publish a stack, award its components, read designations."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from mcbadge.db.models import MicroCredential, Submission
from tests.factories.tenants import Tenant
from tests.live_server import LiveServer


def submission_key(server: LiveServer, submission_id: uuid.UUID) -> str:
    """The key of the micro-credential a submission is for."""
    with server.app.state.services.sessions() as session:
        submission = session.get_one(Submission, submission_id)
        return session.get_one(MicroCredential, submission.microcredential_id).key


def publish_stack(client: httpx.Client, tenant: Tenant, components: list[dict[str, Any]], **rule: Any) -> dict[str, Any]:
    """Create and publish an "Instructional Coach" stack over ``components`` (with ``rule`` overrides)."""
    body = {"key": f"coach-{uuid.uuid4().hex[:6]}", "name": "Instructional Coach",
            "description": "Coaches colleagues in formative assessment.", "criteria": "Earn the stack.",
            "achievement_type": "Certification", "role": "Instructional Coach", "components": components, **rule}
    created = client.post("/api/v1/stacks", json=body, headers=tenant.headers())
    assert created.status_code == 201, created.text
    published = client.post(f"/api/v1/stacks/{created.json()['id']}/publish", headers=tenant.headers())
    assert published.status_code == 200, published.text
    return published.json()


def award_over_api(client: httpx.Client, tenant: Tenant, submission_id: uuid.UUID) -> dict[str, Any]:
    """``POST /api/v1/submissions/{id}/award`` as the tenant's admin: the award's body."""
    response = client.post(f"/api/v1/submissions/{submission_id}/award", headers=tenant.headers())
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def designations(client: httpx.Client, tenant: Tenant) -> list[dict[str, Any]]:
    """The tenant's designations, as its admin reads them."""
    response = client.get("/api/v1/stacks/designations", headers=tenant.headers())
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def auto_award(client: httpx.Client, tenant: Tenant, on: bool) -> None:
    """Set whether designations are awarded as soon as a stack completes (else after an admin's approval)."""
    response = client.patch("/api/v1/issuer", json={"auto_award_designations": on}, headers=tenant.headers())
    assert response.status_code == 200, response.text
