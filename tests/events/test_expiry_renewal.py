"""Expiry and renewal (issue 15 part 6): a validity period per micro-credential version; a credential entering
its notice period is announced once (webhook and e-mail); an expired one is renewed through a re-assessment, the
new credential linked to the old, which stays visible on its page, marked expired, linking to its renewal."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mcbadge.award_imports import service as award_imports
from mcbadge.db.models import Role
from tests.factories.award_imports import award_file, award_row
from tests.factories.catalog import FAILING, FAILING_FEEDBACK, PASSING, microcredential_body
from tests.factories.people import train
from tests.factories.submissions import REFLECTION

from .receivers import SmtpSink, wait_for
from .conftest import ALL_EVENTS, EventsServer, events_server, verified

KEY = "renewable-checks"
VALIDITY = 1100  # the version's own period; the issuer's is 1095 (tests.factories.tenants.make_tenant)


@pytest.fixture
def server(tmp_path: Path, database_url: str, smtp: SmtpSink) -> Iterator[EventsServer]:
    yield from events_server(tmp_path, database_url, smtp, expiry_notice_days=30)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _renewal_attempt(server: EventsServer, mc_id: str, renews: str, scores: dict[str, str],
                     feedback: dict[str, str] | None = None) -> dict:
    """The educator's renewal attempt, handed in, assigned and assessed over the API."""
    tenant, http = server.tenant, server.http
    response = http.post("/api/v1/submissions", json={"microcredential_id": mc_id, "renewal_of": renews},
                         headers=tenant.headers(Role.EDUCATOR))
    assert response.status_code == 201, response.text
    attempt = response.json()
    assert attempt["renewal_of"] == renews
    sid = attempt["id"]
    upload = http.post(f"/api/v1/submissions/{sid}/evidence/files", params={"requirement": "lesson-plan"},
                       content=b"%PDF-1.7 a new lesson plan", headers={**tenant.headers(Role.EDUCATOR),
                                                                        "Content-Type": "application/pdf"})
    assert upload.status_code == 201, upload.text
    reflection = http.post(f"/api/v1/submissions/{sid}/evidence", headers=tenant.headers(Role.EDUCATOR),
                           json={"requirement": "reflection", "kind": "reflection", "text": REFLECTION})
    assert reflection.status_code == 201, reflection.text
    assert http.post(f"/api/v1/submissions/{sid}/submit", headers=tenant.headers(Role.EDUCATOR)).status_code == 200
    assigned = http.post(f"/api/v1/submissions/{sid}/assignments", json={"assessor_id": str(tenant.assessor.id)},
                         headers=tenant.headers())
    assert assigned.status_code == 201, assigned.text
    assessed = http.post(f"/api/v1/submissions/{sid}/assessments", json={"scores": scores, "feedback": feedback or {}},
                         headers=tenant.headers(Role.ASSESSOR))
    assert assessed.status_code == 201, assessed.text
    return attempt


def test_an_expiring_credential_is_announced_once_and_an_expired_one_renewed_and_linked(server, receiver, smtp):
    tenant, http = server.tenant, server.http
    receiver.start()
    secret = server.subscribe(receiver.url, ALL_EVENTS)["secret"]

    # The issuer sets the validity period of this version (a license cycle) when it defines it.
    made = http.post("/api/v1/microcredentials", json=microcredential_body(key=KEY, validity_days=VALIDITY),
                     headers=tenant.headers())
    assert made.status_code == 201 and made.json()["validity_days"] == VALIDITY, made.text
    mc_id = made.json()["id"]
    assert http.post(f"/api/v1/microcredentials/{mc_id}/publish", headers=tenant.headers()).status_code == 200
    with server.app.state.services.sessions() as session, session.begin():
        train(session, session.merge(tenant.assessor), KEY)

    # Two awards from the district's records: the educator's expired 20 days ago, Kim's expires in 10 days.
    today = datetime.now(timezone.utc).date()
    evidence = f"lesson-plan=sha256:{_sha('plan')};reflection=sha256:{_sha('reflection')}"
    levels = ";".join(f"{k}={v}" for k, v in PASSING.items())
    rows = [award_row(tenant.educator.email, key=KEY, assessor=tenant.assessor.email, levels=levels,
                      evidence=evidence, awarded_on=(today - timedelta(days=VALIDITY + 20)).isoformat()),
            award_row("kim@district.example.org", name="Kim Expiring", key=KEY, assessor=tenant.assessor.email,
                      levels=levels, evidence=evidence, awarded_on=(today - timedelta(days=VALIDITY - 10)).isoformat())]
    services = server.app.state.services
    text = award_file(rows)
    with services.sessions() as session:
        job = award_imports.start(session, services, text, filename=None, slug=tenant.issuer.slug)
    assert award_imports.run(services, job, text, files_dir=None, workers=0).awarded == 2
    listed = http.get("/api/v1/credentials", headers=tenant.headers()).json()["items"]
    old = next(c for c in listed if c["educator_id"] == str(tenant.educator.id))
    kims = next(c for c in listed if c["educator_id"] != str(tenant.educator.id))
    assert old["credential"]["validUntil"] == f"{today - timedelta(days=20)}T00:00:00Z"  # the version's 1100 days

    # Kim's credential enters the 30-day notice period: one webhook and one e-mail; the expired one is not announced.
    def expiring() -> list[dict]:
        return [b for b in map(lambda r: verified(r, secret), receiver.received) if b["type"] == "credential.expiring"]
    [announced] = wait_for(expiring, what="the expiring event")
    assert announced["data"]["credential_id"] == kims["id"]
    assert announced["data"]["valid_until"].startswith(str(today + timedelta(days=10)))
    notice = wait_for(lambda: [m for m in smtp.messages if "expires on" in str(m["Subject"])], what="the e-mail")[0]
    assert notice["To"] == "kim@district.example.org" and str(today + timedelta(days=10)) in notice["Subject"]
    assert f"/credentials/{kims['id']}" in notice.get_content()

    # The educator renews the expired credential: a first re-assessment is "not yet" (feedback by e-mail)...
    first = _renewal_attempt(server, mc_id, old["id"], FAILING, FAILING_FEEDBACK)
    feedback = wait_for(lambda: [m for m in smtp.messages if str(m["Subject"]).startswith("Feedback")],
                        what="the feedback e-mail")[0]
    assert feedback["To"] == tenant.educator.email
    assert FAILING_FEEDBACK["varied-checks"] in feedback.get_content()
    # ... the second passes, and an admin renews: a new credential that names the old one.
    second = _renewal_attempt(server, mc_id, old["id"], PASSING)
    renewed = http.post(f"/api/v1/credentials/{old['id']}/renew", json={"submission_id": second["id"]},
                        headers=tenant.headers())
    assert renewed.status_code == 201, renewed.text
    new = renewed.json()
    assert new["renewal_of"] == old["id"] and new["submission_id"] == second["id"]
    assert datetime.fromisoformat(new["valid_until"]).date() == today + timedelta(days=VALIDITY)
    assert http.get(f"/api/v1/credentials/{old['id']}", headers=tenant.headers()).json()["renewed_by"] == new["id"]
    not_yours = http.post(f"/api/v1/credentials/{kims['id']}/renew", json={"submission_id": second["id"]},
                          headers=tenant.headers())
    assert not_yours.status_code == 409 and not_yours.json()["type"].endswith("not-a-renewal")
    again = http.post("/api/v1/submissions", json={"microcredential_id": mc_id, "renewal_of": old["id"]},
                      headers=tenant.headers(Role.EDUCATOR))
    assert again.status_code == 409 and again.json()["type"].endswith("not-renewable"), again.text

    # Both pages: the old one stays, marked expired, and links to its renewal; the renewal links back.
    old_page = http.get(f"/credentials/{old['id']}", headers={"Accept": "text/html"})
    assert old_page.status_code == 200 and "Expired" in old_page.text
    assert re.search(rf'id="renewed-by">[^<]*<a href="[^"]*/credentials/{new["id"]}"', old_page.text)
    new_page = http.get(f"/credentials/{new['id']}", headers={"Accept": "text/html"})
    assert new_page.status_code == 200 and "Verified" in new_page.text
    assert re.search(rf'id="renewal-of">[^<]*<a href="[^"]*/credentials/{old["id"]}"', new_page.text)

    # The LMS saw the renewal's whole story, each attempt's events in order (the order the outbox keeps is per
    # attempt: two attempts' deliveries may interleave), and the award names what it renews.
    def story(submission_id: str) -> list[str]:
        bodies = [verified(r, secret) for r in receiver.received]
        return [b["type"] for b in bodies if b["data"].get("submission_id") == submission_id]
    wait_for(lambda: len(story(first["id"])) + len(story(second["id"])) == 5, what="the renewal's events")
    assert story(first["id"]) == ["submission.submitted", "submission.not_yet"]
    assert story(second["id"]) == ["submission.submitted", "submission.passed", "credential.awarded"]
    award = next(verified(r, secret) for r in receiver.received if b"credential.awarded" in r.body)
    assert award["data"]["renewal_of"] == old["id"]
    # Announced once, however many checks ran meanwhile.
    assert len(expiring()) == 1
    assert len(server.deliveries(type="credential.expiring")) == 2  # the webhook and Kim's e-mail
