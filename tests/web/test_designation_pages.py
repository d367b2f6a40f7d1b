"""A designation in headless Chromium: its public badge page names the credentials it rests on, each with what
the live verification found, and the verification page shows the same when a holder presents it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from mcbadge.db.models import Role
from tests.browser import open_form, screenshot, submit
from tests.factories.stacks import (
    auto_award,
    award_over_api,
    designations,
    publish_stack,
    submission_key,
)
from tests.factories.tenants import Tenant, passing_submissions
from tests.live_server import SQLITE_ONLY, LiveServer

pytestmark = SQLITE_ONLY  # pages render what the services give; the services run on both databases


def _designation(server: LiveServer, client: httpx.Client, tenant: Tenant) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An awarded two-component designation: its credential row (API read) and the two component awards."""
    auto_award(client, tenant, True)
    subs = [passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)[0]
            for _ in range(2)]
    publish_stack(client, tenant, [{"kind": "local", "key": submission_key(server, s), "versions": [1]} for s in subs])
    components = [award_over_api(client, tenant, s) for s in subs]
    [designation] = designations(client, tenant)
    read = client.get(f"/api/v1/credentials/{designation['credential_id']}", headers=tenant.headers())
    assert read.status_code == 200, read.text
    return read.json(), components


def test_a_designations_badge_page_shows_its_components(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                                        page: Any) -> None:
    designation, components = _designation(server, client, tenant)
    url = designation["credential"]["id"]
    response = page.goto(url)
    assert response.status == 200
    assert page.locator(".eyebrow").text_content() == "Designation"
    assert page.get_by_role("heading", level=1).inner_text() == "Instructional Coach"
    assert page.locator(".report .verdict").inner_text().strip().endswith("Verified")
    assert page.locator("#achievement-heading").inner_text() == "The designation"
    rows = page.locator(".components .component")
    assert rows.count() == 2
    for n, component in enumerate(components):
        row = rows.nth(n)
        assert row.get_attribute("data-outcome") == "passed"
        assert component["url"] in row.inner_text()
        assert "its digest matches" in row.inner_text()
        assert row.locator("a").get_attribute("href") == component["url"]
    # The components are not listed a second time as evidence, and a designation has no rubric to show.
    assert page.locator("#evidence-heading").count() == 0 and page.locator("#rubric-heading").count() == 0
    screenshot(page, "designation-badge-page")

    # The issuer revokes one component: the page says which one failed, and why.
    revoked = client.post(f"/api/v1/credentials/{components[0]['id']}/revoke", json={"reason": "evidence not original"},
                          headers=tenant.headers())
    assert revoked.status_code == 200, revoked.text
    page.goto(url)
    # The cascade revoked the designation (suspended it, for an issuer with suspension on): not verified.
    assert page.locator(".report .verdict").inner_text().strip().endswith(("Revoked", "Suspended", "Not verified"))
    first, second = page.locator(".components .component").nth(0), page.locator(".components .component").nth(1)
    assert first.get_attribute("data-outcome") == "failed" and "revoked" in first.inner_text()
    assert second.get_attribute("data-outcome") == "passed"
    screenshot(page, "designation-badge-page-component-revoked")


def test_the_verification_page_shows_a_presented_designations_components(server: LiveServer, client: httpx.Client,
                                                                          tenant: Tenant, page: Any) -> None:
    designation, components = _designation(server, client, tenant)
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "verifiableCredential": [designation["credential"], *(c["credential"] for c in components)]}
    open_form(page, server)
    page.locator("textarea").first.fill(json.dumps(presentation))
    submit(page)
    assert page.locator(".report .verdict").inner_text().strip().endswith("Verified")
    rows = page.locator(".components .component")
    assert rows.count() == 2
    assert [rows.nth(n).get_attribute("data-outcome") for n in range(2)] == ["passed", "passed"]
    assert page.locator(".check[data-code='components']").get_attribute("data-outcome") == "passed"
    screenshot(page, "verify-designation-presented")


def test_the_verification_page_takes_component_files(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                                     page: Any, tmp_path: Path) -> None:
    """A component the public cannot read here (its earner made it private) could not be checked, until the
    holder uploads it beside the designation."""
    designation, components = _designation(server, client, tenant)
    hidden = client.patch(f"/api/v1/credentials/{components[1]['id']}/visibility", json={"public": False},
                          headers=tenant.headers(Role.EDUCATOR))
    assert hidden.status_code == 200, hidden.text
    designation_file = tmp_path / "designation.json"
    designation_file.write_text(json.dumps(designation["credential"]))
    component_file = tmp_path / "component.json"
    component_file.write_text(json.dumps(components[1]["credential"]))

    open_form(page, server)
    page.set_input_files("#credential_file", str(designation_file))
    submit(page)
    rows = page.locator(".components .component")
    assert [rows.nth(n).get_attribute("data-outcome") for n in range(2)] == ["passed", "unchecked"]

    open_form(page, server)
    page.set_input_files("#credential_file", str(designation_file))
    page.set_input_files("#component_file", str(component_file))
    submit(page)
    rows = page.locator(".components .component")
    assert [rows.nth(n).get_attribute("data-outcome") for n in range(2)] == ["passed", "passed"]
    assert page.locator(".report .verdict").inner_text().strip().endswith("Verified")
