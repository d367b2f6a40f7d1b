"""GET /api/v1/credentials filtered by educator and by when the credentials were issued (issue 13, part 9)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx

from mcbadge.db.models import Submission
from tests.factories.tenants import Tenant, passing_submissions
from tests.live_server import LiveServer


def test_the_credential_list_filters_by_educator_and_date(server: LiveServer, client: httpx.Client,
                                                          tenant: Tenant) -> None:
    first, second = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 2)
    ids = {}
    for submission in (first, second):
        awarded = client.post(f"/api/v1/submissions/{submission}/award", headers=tenant.headers())
        assert awarded.status_code == 201, awarded.text
        ids[submission] = awarded.json()["id"]
    with server.app.state.services.sessions() as session:
        other_educator = session.get_one(Submission, second).educator_id

    def listed(**params: str) -> list[str]:
        response = client.get("/api/v1/credentials", params=params, headers=tenant.headers())
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert set(listed()) == set(ids.values())
    assert listed(educator_id=str(tenant.educator.id)) == [ids[first]]
    assert listed(educator_id=str(other_educator)) == [ids[second]]
    now = datetime.now(timezone.utc)
    assert listed(issued_from=(now + timedelta(minutes=5)).isoformat()) == []
    assert set(listed(issued_from=(now - timedelta(hours=1)).isoformat(),
                      issued_before=(now + timedelta(hours=1)).isoformat())) == set(ids.values())
    assert listed(issued_before=(now - timedelta(days=1)).date().isoformat()) == []      # a date: its midnight
    bad = client.get("/api/v1/credentials", params={"issued_from": "yesterday"}, headers=tenant.headers())
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
