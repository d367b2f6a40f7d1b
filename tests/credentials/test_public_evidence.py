"""Evidence behind a credential is public only when its earner says so (classroom videos show minors)."""

from __future__ import annotations

import hashlib

from mcbadge.db.models import Role

from tests.factories.submissions import LESSON_PLAN, REFLECTION
from tests.factories.tenants import make_tenant, passing_submissions


def test_evidence_follows_the_earners_switch(server, client):
    sessions = server.app.state.services.sessions
    tenant = make_tenant(sessions, "evidence-district")
    [submission_id] = passing_submissions(sessions, tenant, server.settings.blob_dir, 1)
    award = client.post(f"/api/v1/submissions/{submission_id}/award", headers=tenant.headers())
    assert award.status_code == 201, award.text
    credential = award.json()["credential"]
    links = {e["name"]: e["id"] for e in credential["evidence"] if e.get("id", "").startswith(server.base_url)}
    assert links, credential["evidence"]
    for url in links.values():  # hidden by default
        hidden = client.get(url)
        assert hidden.status_code == 404 and hidden.headers["content-type"] == "application/problem+json"

    visibility = f"/api/v1/credentials/{award.json()['id']}/visibility"
    assert client.patch(visibility, json={"show_evidence": True}, headers=tenant.headers()).status_code == 403
    shown = client.patch(visibility, json={"show_evidence": True}, headers=tenant.headers(Role.EDUCATOR))
    assert shown.status_code == 200, shown.text
    bodies = {name: client.get(url) for name, url in links.items()}
    assert all(r.status_code in (200, 302) for r in bodies.values()), {n: r.text for n, r in bodies.items()}
    redirects = [r for r in bodies.values() if r.status_code == 302]
    assert all(r.headers["location"].startswith("https://") for r in redirects)  # a link: to where it points
    files = [r for r in bodies.values() if r.headers.get("repr-digest")]
    assert any(r.content == LESSON_PLAN for r in files)
    assert all(r.headers["repr-digest"].startswith("sha-256=:") and r.headers["x-content-type-options"] == "nosniff"
               for r in files)
    assert any(r.text == REFLECTION for r in bodies.values())
    assert any(hashlib.sha256(r.content).hexdigest() == hashlib.sha256(LESSON_PLAN).hexdigest() for r in files)

    client.patch(visibility, json={"public": False}, headers=tenant.headers(Role.EDUCATOR)).raise_for_status()
    assert all(client.get(url).status_code == 404 for url in links.values())
    assert client.get(f"{server.base_url}/credentials/{award.json()['id']}/evidence/not-a-uuid").status_code == 422
