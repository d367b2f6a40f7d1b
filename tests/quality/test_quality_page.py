"""The admins' quality report page in headless Chromium (on SQLite: a page): charts drawn on the server as
SVG, shown without any script, each with a table of the same figures. Screenshot:
test-artifacts/quality-report.png."""

from __future__ import annotations

from datetime import datetime, timezone

from mcbadge.db.models import Role
from tests.browser import screenshot
from tests.factories import quality as seeded
from tests.live_server import SQLITE_ONLY
from tests.quality.test_quality_http import _quarter

pytestmark = SQLITE_ONLY  # pages render what the services give; the services run on both databases


def test_the_report_page_shows_its_charts_and_tables_without_script(server, client, tenant, browser):  # noqa: F811
    start, last = _quarter()
    seed = seeded.seed_double_scored(server.app.state.services.sessions, tenant, start, datetime.now(timezone.utc))
    url = f"{server.base_url}/api/v1/quality/report?from={start.date().isoformat()}&to={last.date().isoformat()}"

    context = browser.new_context(viewport={"width": 1000, "height": 1300}, java_script_enabled=False,
                                  extra_http_headers=tenant.headers())
    try:
        page = context.new_page()
        response = page.goto(url)
        assert response.status == 200 and response.headers["content-type"].startswith("text/html")
        policy = response.headers["content-security-policy"]
        assert "script-src" not in policy and "img-src 'self' data:" in policy
        assert page.locator("script").count() == 0
        assert page.get_by_role("heading", level=1).inner_text() == "Scoring quality report"
        assert page.get_by_role("heading", level=2).inner_text().startswith("Checking for Understanding")

        # Three charts, each an SVG image the browser decoded and laid out, with a text alternative.
        images = page.locator("figure.chart img").all()
        assert len(images) == 3
        for image in images:
            assert image.get_attribute("src").startswith("data:image/svg+xml;base64,")
            assert image.evaluate("i => i.complete && i.naturalWidth > 300 && i.naturalHeight > 100")
            assert image.evaluate("i => i.getBoundingClientRect().width") > 300
        assert "Uses varied checks: exact 67 %, within one level 92 %, kappa -0.24" in images[0].get_attribute("alt")

        rows = page.locator("table.figures").first.locator("tbody tr").all()
        assert [r.locator("th").inner_text() for r in rows] == ["Uses varied checks", "Reflects on evidence"]
        assert rows[0].locator("td").all_inner_texts() == ["12", "67 %", "92 %", "-0.24", "33 %"]
        assessors = page.locator("table.figures").nth(2).locator("tbody tr")
        assert assessors.first.locator("th").inner_text() == "Avery First"
        assert "suppressed" in assessors.nth(1).inner_text()
        assert page.locator("table.overdue tbody tr").locator("code").inner_text() == str(seed.overdue)
        # The download links carry the same period.
        csv_link = page.get_by_role("link", name="CSV")
        assert "format=csv" in csv_link.get_attribute("href") and start.date().isoformat() in csv_link.get_attribute(
            "href")
        screenshot(page, "quality-report")
    finally:
        context.close()

    refused = client.get(url, headers={**tenant.headers(Role.ASSESSOR), "Accept": "text/html"})
    assert refused.status_code == 403
