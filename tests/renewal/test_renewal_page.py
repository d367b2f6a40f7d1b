"""The printable renewal report in headless Chromium (on SQLite: a page): what an educator hands to a
licensing office. Screenshots: test-artifacts/renewal-report.png (screen) and renewal-report-print.png
(print media)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from mcbadge.db.models import Role
from mcbadge.identity import issuer_did
from tests.browser import ARTIFACTS, screenshot
from tests.factories.credentials import award_one
from tests.factories.recognition import (
    STATE_S,
    make_agency,
    microcredential_key,
    publish_registry,
    registry_entry,
)
from tests.live_server import SQLITE_ONLY

pytestmark = SQLITE_ONLY  # pages render what the services give; the services run on both databases


def test_the_printable_report_reads_as_a_document(server, client, tenant, browser):  # noqa: F811
    agency = make_agency(server, STATE_S)
    did_s = issuer_did(server.base_url, STATE_S)
    counted, revoked = award_one(server, tenant), award_one(server, tenant)
    publish_registry(client, agency, [registry_entry(tenant.issuer.slug, microcredential_key(server, c.microcredential_id))
                                      for c in (counted, revoked)])
    assert client.post(f"/api/v1/credentials/{revoked.id}/revoke", json={"reason": "issued in error"},
                       headers=tenant.headers()).status_code == 200
    today = date.today()
    query = urlencode({"state": did_s, "area": "Mathematics", "from": (today - timedelta(days=365)).isoformat(),
                       "to": (today + timedelta(days=365)).isoformat()})

    # The educator's browser (its API key in the Authorization header); Chromium's own Accept asks for HTML.
    context = browser.new_context(viewport={"width": 1000, "height": 1300},
                                  extra_http_headers=tenant.headers(Role.EDUCATOR))
    try:
        page = context.new_page()
        response = page.goto(f"{server.base_url}/api/v1/me/renewal-report?{query}")
        assert response.status == 200 and response.headers["content-type"].startswith("text/html")
        assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no script
        assert page.locator("script").count() == 0
        assert page.get_by_role("heading", level=1).inner_text() == "License renewal report"
        assert page.locator(".doc-for").inner_text() == "For STATE-S Education Agency"
        assert page.locator(".educator").inner_text() == tenant.educator.name
        assert page.locator(".license").inner_text() == tenant.educator.license_number
        assert page.locator(".area").inner_text() == "Mathematics"
        assert page.locator(".result-figure").inner_text() == "1 of 3 micro-credentials required: requirement not met"
        assert page.get_by_role("heading", name="Credentials that count (1)").is_visible()

        [row] = page.locator(".counted tbody tr").all()
        achievement = counted.document["credentialSubject"]["achievement"]["name"]
        assert row.locator(".achievement").inner_text() == achievement
        assert row.locator(".credit").inner_text().startswith("Counts 1 of the 3 micro-credentials required")
        link = row.get_by_role("link")
        url = f"{server.base_url}/credentials/{counted.id}"
        assert link.get_attribute("href") == url and link.inner_text() == url
        [other] = page.locator(".not-counted tbody tr").all()
        assert other.locator(".why li").all_inner_texts() == ["Its issuer has revoked it"]
        assert "STATE-S Education Agency's registry verified" in page.locator(".basis").inner_text()
        # The stylesheet is this service's own and it applied (the page has no inline style to fall back on).
        assert page.locator(".sheet").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
        assert page.locator(".screen-note").is_visible()
        screenshot(page, "renewal-report")

        page.emulate_media(media="print")
        assert not page.locator(".screen-note").is_visible()  # the printout is the document alone
        assert page.locator("body").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
        page.set_viewport_size({"width": 690, "height": 1000})  # A4 at 96 dpi less the page margins
        screenshot(page, "renewal-report-print")
        pdf = page.pdf(format="A4")  # what "Print > Save as PDF" gives, for a person to look at
        assert pdf.startswith(b"%PDF-")
        (ARTIFACTS / "renewal-report.pdf").write_bytes(pdf)
    finally:
        context.close()
