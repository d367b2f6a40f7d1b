"""Numbers in query parameters are bounded: out of range is 422 (400 in the OB API's own error format), never
a database error (issue 16, finding 3: ``?offset=588901167206155478368256`` overflowed SQLite's integer and
PostgreSQL's bigint, a 500)."""

from __future__ import annotations

import httpx
import pytest

from mcbadge.db.models import Role
from mcbadge.features import MAX_OFFSET
from mcbadge.oauth.scopes import OB_CREDENTIAL_READONLY
from tests.assertions import assert_imsx, assert_problem
from tests.factories.oauth import bearer, educator_tokens, register
from tests.factories.tenants import Tenant
from tests.live_server import LiveServer

HUGE = "588901167206155478368256"
LISTS = ["/api/v1/people", "/api/v1/credentials", "/api/v1/microcredentials", "/api/v1/submissions"]


@pytest.mark.parametrize("offset", [HUGE, str(2**63), str(MAX_OFFSET + 1), "-1"])
def test_list_offsets_beyond_the_bound_are_422(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                               offset: str) -> None:
    for path in LISTS:
        body = assert_problem(client.get(path, params={"offset": offset}, headers=tenant.headers()), 422,
                              "invalid-request")
        assert body["errors"][0]["loc"] == ["query", "offset"], body


def test_the_largest_offset_still_answers(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    for path in LISTS:
        response = client.get(path, params={"offset": str(MAX_OFFSET), "limit": "200"}, headers=tenant.headers())
        assert response.status_code == 200, response.text
        assert response.json()["items"] == [] and response.json()["offset"] == MAX_OFFSET


def test_ob_api_offset_beyond_the_bound(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    token = educator_tokens(client, register(client), tenant.keys[Role.EDUCATOR],
                            OB_CREDENTIAL_READONLY)["access_token"]
    response = client.get("/ims/ob/v3p0/credentials", params={"offset": HUGE}, headers=bearer(token))
    assert_imsx(response, 400, "invalid_query_parameter")
    assert client.get("/ims/ob/v3p0/credentials", params={"offset": str(MAX_OFFSET)},
                      headers=bearer(token)).status_code == 200
