"""The "vetted by" label in headless Chromium: a state agency vets the micro-credential version a badge was
earned on; the badge page and the version's own page say so in plain words (screenshots under
test-artifacts/), and the next version's page says no state vets it."""

from __future__ import annotations

from typing import Any

from mcbadge.db.models import MicroCredential
from tests.browser import screenshot
from tests.factories.credentials import award_one
from tests.factories.recognition import make_agency
from tests.factories.tenants import Tenant
from tests.live_server import SQLITE_ONLY, LiveServer

pytestmark = SQLITE_ONLY  # pages render what the services give; the services run on both databases


def _agency(server: LiveServer, client: Any) -> Tenant:
    return make_agency(server, "state-s", "State S Department of Education")


def test_the_pages_say_vetted_by_the_state(server, client, tenant, browser):
    agency = _agency(server, client)
    awarded = award_one(server, tenant)
    with server.app.state.services.sessions() as session:
        mc = session.get_one(MicroCredential, awarded.microcredential_id)
        key, mc_id = mc.key, mc.id
    nominated = client.post("/api/v1/vetting/nominations", headers=tenant.headers(), json={
        "agency": "state-s", "microcredential": {"issuer": tenant.issuer.slug, "key": key, "version": 1},
        "note": "Forty teachers earned it this year."})
    assert nominated.status_code == 201, nominated.text
    accepted = client.post(f"/api/v1/vetting/nominations/{nominated.json()['id']}/accept", headers=agency.headers())
    assert accepted.status_code == 200, accepted.text

    context = browser.new_context(viewport={"width": 1024, "height": 900})
    try:
        page = context.new_page()
        assert page.goto(awarded.document["id"]).status == 200
        label = page.locator(".vetted-by")
        assert label.count() == 1
        assert label.locator(".vetted-label").inner_text() == "Vetted by State S Department of Education"
        assert label.get_by_role("link", name="The signed endorsement").get_attribute("href") == \
            accepted.json()["endorsement"]
        screenshot(page, "vetting-badge-page")

        with page.expect_navigation():
            page.get_by_role("link", name="About this micro-credential (the version it was earned on)").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Checking for Understanding"
        assert page.locator(".vetted-label").inner_text() == "Vetted by State S Department of Education"
        screenshot(page, "vetting-microcredential-page")

        # A new version is not covered by the endorsement of version 1.
        v2 = client.post(f"/api/v1/microcredentials/{mc_id}/versions", json={"pd_hours": 12}, headers=tenant.headers())
        assert v2.status_code == 201, v2.text
        assert page.goto(page.url.removesuffix("/v1") + "/v2").status == 200
        assert page.locator(".vetted-by").count() == 0
        assert page.locator(".not-vetted").inner_text() == "No state agency vets this version."
    finally:
        context.close()
