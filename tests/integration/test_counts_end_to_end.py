"""Micro-credentials that count, end to end over real HTTP (issue 11), on SQLite and PostgreSQL.

Two deployments on loopback: this one hosts district A and the state agencies S and T as tenants; provider B
runs its own mcbadge (its own database and keys) over https, reached only through did:web and the guarded
client, as another organisation's server would be. District A and provider B issue micro-credentials; S
recognises three of them for an endorsement area; T accepts S's registry by reciprocity; a teacher earns two
from A and brings one from B (verified on entry); A's stack awards the designation, which verifies here and
in ``@digitalbazaar/vc``; the verifier answers "recognised by S" and "recognised by T through reciprocity with
S"; B revokes its credential, so the verifier reports the revoked component and A's re-check revokes the
designation, naming it; B awards the teacher the same micro-credential again, and the substitute brings a new
designation credential that verifies; S withdraws its registry and recognition is gone. S vets A's two micro-credentials (one
nominated by A), and a version A edits afterwards is not vetted until S endorses it again.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from mcbadge.api.app import create_app
from mcbadge.db.models import MicroCredential, Person, Role, Submission
from mcbadge.db.session import transaction
from mcbadge.identity import issuer_did
from mcbadge.vc.recognition import definition_digest
from tests.factories.recognition import make_agency
from tests.factories.submissions import assessed_submission
from tests.factories.tenants import AWARD_PASSING_SCORES, Tenant, make_tenant, passing_submissions
from tests.live_server import LiveServer, free_socket, make_settings, serve
from tests.local_servers import TestCA
from tests.node_reference import node_reference  # noqa: F401 - the session fixture

AREA = "Mathematics"
TEACHER = "erin.educator@teachers.example.org"


@contextmanager
def _provider_elsewhere(tmp_path: Path, ca: TestCA) -> Iterator[LiveServer]:
    """Provider B's own deployment: SQLite, its own keys, https on a loopback port. Its status lists may be
    reused for 0 s (``MCBADGE_STATUS_LIST_MAX_AGE=0``), so a revocation there is seen on the next check."""
    sock = free_socket()
    base = f"https://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(tmp_path, public_base_url=base, issuer_slug="provider-b", issuer_name="Provider B",
                             status_list_max_age=0)
    app = create_app(settings)
    try:
        with serve(app, sock, tls=ca.server_tls) as served:
            assert served == base
            yield LiveServer(app, settings, base)
    finally:
        app.state.engine.dispose()


def _teacher(server: LiveServer, tenant: Tenant) -> None:
    """The teacher is known to each issuer by the same e-mail address (what binds their credentials)."""
    with server.app.state.services.sessions() as session, transaction(session):
        session.get_one(Person, tenant.educator.id).email = TEACHER


def _earn(server: LiveServer, client: httpx.Client, tenant: Tenant) -> tuple[dict[str, Any], str]:
    """A new micro-credential of ``tenant``, passed by its teacher and awarded over the API: the award, the key."""
    [submission] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    with server.app.state.services.sessions() as session:
        key = session.scalars(select(MicroCredential.key).join(Submission, Submission.microcredential_id
                                                                == MicroCredential.id)
                              .where(Submission.id == submission)).one()
    award = client.post(f"/api/v1/submissions/{submission}/award", headers=tenant.headers())
    assert award.status_code in (200, 201), award.text
    body: dict[str, Any] = award.json()
    return body, key


def _publish_registry(client: httpx.Client, agency: Tenant, entries: list[dict[str, Any]],
                      accepts: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/api/v1/recognition-registries", headers=agency.headers(),
                           json={"entries": entries, "accepts": accepts, "valid_from": "2024-01-01T00:00:00Z"})
    assert response.status_code == 201, response.text
    return response.json()


def _verify(client: httpx.Client, body: Any) -> dict[str, Any]:
    response = client.post("/verify", json=body, params={"date": "2026-06-01"})
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _check(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["code"] == code)


def _presentation(*credentials: Any) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
            "verifiableCredential": list(credentials)}


def test_micro_credentials_count_across_districts_and_states(tmp_path: Path, database_url: str, http_switch: Any,
                                                             node_reference: Any) -> None:  # noqa: F811
    ca = TestCA(tmp_path / "ca")
    base = http_switch.base_url
    slugs = {"a": "district-a", "s": "state-s", "t": "state-t"}
    did_s, did_t = issuer_did(base, slugs["s"]), issuer_did(base, slugs["t"])
    settings = make_settings(tmp_path / "here", public_base_url=base, port=http_switch.port,
                             database_url=database_url, issuer_slug=slugs["a"], trusted_states=f"{did_s},{did_t}",
                             allow_loopback_fetch=True, outbound_ca_file=ca.ca_file)
    app = create_app(settings)
    with _provider_elsewhere(tmp_path / "b", ca) as b_server, http_switch.serving(app), \
            httpx.Client(base_url=base, trust_env=False, timeout=60) as here, \
            httpx.Client(base_url=b_server.base_url, trust_env=False, timeout=60, verify=ssl.create_default_context(cafile=str(ca.ca_file))) as at_b:
        server = LiveServer(app, settings, base)
        sessions = app.state.services.sessions
        district = make_tenant(sessions, slugs["a"])
        provider = make_tenant(b_server.app.state.services.sessions, "provider-b")
        _teacher(server, district)
        _teacher(b_server, provider)
        agencies: dict[str, Tenant] = {}
        for name in ("s", "t"):
            agencies[name] = make_agency(server, slugs[name], f"State {name.upper()} Department of Education")

        # District A issues two micro-credentials to the teacher; provider B issues one, on its own server.
        a1, key1 = _earn(server, here, district)
        a2, key2 = _earn(server, here, district)
        b1, _ = _earn(b_server, at_b, provider)
        b_document = b1["credential"]
        b_did = b_document["issuer"]["id"]
        assert b_did.startswith("did:web:127.0.0.1%3A") and b_did.endswith(":issuers:provider-b")
        b_achievement = b_document["credentialSubject"]["achievement"]
        assert at_b.get(b1["revocation"]["list"]).headers["cache-control"] == "public, max-age=0"

        # B publishes a scoring quality statement of its micro-credential: the verifier here fetches it from
        # beside B's DID, checks it, and shows it next to B's credential; once B withdraws it, it is gone.
        b_key = b_achievement["id"].rsplit("/", 2)[-2]
        b_statement = at_b.post("/api/v1/quality/statements", json={"microcredential_key": b_key},
                                headers=provider.headers())
        assert b_statement.status_code == 201, b_statement.text
        label = _verify(here, b_document)["quality"]
        assert label["statement"] == b_statement.json()["url"] and "scoring agreement" in label["text"], label
        assert at_b.post(f"/api/v1/quality/statements/{b_statement.json()['id']}/withdraw",
                         headers=provider.headers()).status_code == 200
        assert _verify(here, b_document)["quality"] is None

        # State S recognises all three for Mathematics (B's by DID, achievement id and definition digest:
        # it is not a tenant here); state T recognises none itself but accepts S's registry.
        def local(key: str) -> dict[str, Any]:
            return {"microcredential": {"issuer": slugs["a"], "key": key, "version": 1}}

        credit = {"endorsement_areas": [AREA], "credit": {"kind": "count", "count": 1, "required": 3},
                  "effective_from": "2024-01-01", "effective_until": "2030-12-31"}
        registry_s = _publish_registry(here, agencies["s"], [
            {**local(key1), **credit}, {**local(key2), **credit},
            {"achievement_issuer": b_did, "achievement_id": b_achievement["id"],
             "definition_digest": definition_digest(b_achievement), **credit}], accepts=[])
        _publish_registry(here, agencies["t"], [], accepts=[{"agency": did_s}])

        # S vets district A's two: A nominates the first and S's reviewer accepts; S vets the second directly.
        with sessions() as session:
            mc_ids = {key: str(session.scalars(select(MicroCredential.id).where(
                MicroCredential.key == key, MicroCredential.version == 1)).one()) for key in (key1, key2)}
        nominated = here.post("/api/v1/vetting/nominations", headers=district.headers(), json={
            "agency": slugs["s"], "microcredential": local(key1)["microcredential"],
            "note": "Our coaches' first micro-credential; assessed by trained, calibrated assessors."})
        assert nominated.status_code == 201, nominated.text
        accepted = here.post(f"/api/v1/vetting/nominations/{nominated.json()['id']}/accept",
                             headers=agencies["s"].headers(), json={})
        assert accepted.status_code == 200, accepted.text
        direct = here.post("/api/v1/vetting/endorsements", headers=agencies["s"].headers(),
                           json={"microcredential": local(key2)["microcredential"]})
        assert direct.status_code == 201, direct.text
        for key in (key1, key2):
            read = here.get(f"/api/v1/microcredentials/{mc_ids[key]}", headers=district.headers()).json()
            assert [v["agency"] for v in read["vetted_by"]] == [did_s], read["vetted_by"]

        # The teacher brings B's credential to district A: verified (B's DID and status list fetched from B's
        # server) before it enters their record.
        added = here.post("/api/v1/stacks/external-credentials", json={"credential": b_document},
                          headers=district.headers(Role.EDUCATOR))
        assert added.status_code == 200, added.text

        # District A's stack: its two micro-credentials and B's; the designation is awarded on completion.
        assert here.patch("/api/v1/issuer", json={"auto_award_designations": True},
                          headers=district.headers()).status_code == 200
        stack = here.post("/api/v1/stacks", headers=district.headers(), json={
            "key": "math-coach", "name": "Mathematics Instructional Coach", "description": "Coaches colleagues.",
            "criteria": "Earn the three micro-credentials.", "achievement_type": "Certification",
            "role": "Instructional Coach", "components": [
                {"kind": "local", "key": key1, "versions": [1]}, {"kind": "local", "key": key2, "versions": [1]},
                {"kind": "external", "issuer_did": b_did, "achievement_id": b_achievement["id"]}]})
        assert stack.status_code == 201, stack.text
        assert here.post(f"/api/v1/stacks/{stack.json()['id']}/publish",
                         headers=district.headers()).status_code == 200
        decided = here.post("/api/v1/stacks/designations/evaluate", headers=district.headers(Role.EDUCATOR))
        assert decided.status_code == 200, decided.text
        [designation] = decided.json()
        assert designation["status"] == "awarded" and not designation["suspended"]
        assert {c["credential_id"] for c in designation["components"]} == {a1["url"], a2["url"], b_document["id"]}
        document = here.get(f"/api/v1/credentials/{designation['credential_id']}",
                            headers=district.headers()).json()["credential"]

        # The designation verifies in the Node reference (Digital Bazaar's vc) ...
        did_a = document["issuer"]["id"]
        assert node_reference.verify(document, {did_a: here.get(f"/issuers/{slugs['a']}/did.json").json()}) \
            == {"verified": True, "errors": []}
        # ... and here, with B's component presented beside it (A's own are read from A's database).
        with_b = _verify(here, _presentation(document, b_document))
        assert with_b["verified"] is True, with_b["summary"]
        components = _check(with_b, "components")
        assert components["outcome"] == "passed", components
        assert {c["id"] for c in components["details"]["components"]} == {a1["url"], a2["url"], b_document["id"]}
        # Not presented, B's component could not be checked: never "passed".
        alone = _check(_verify(here, document), "components")
        assert alone["outcome"] == "not_checked" and b_document["id"] in alone["message"], alone

        # Recognition, in plain words: by S, and by T through reciprocity with S; for B's credential too.
        for credential in (a1["credential"], b_document):
            answers = {a["state"]: a for a in _verify(here, credential)["recognition"]}
            assert answers[did_s]["outcome"] == "recognised", answers[did_s]
            assert answers[did_s]["messages"][0].startswith(
                f"Recognised by State S Department of Education for license renewal in {AREA}: counts 1 of the 3")
            assert answers[did_t]["outcome"] == "recognised_through_reciprocity", answers[did_t]
            assert "through reciprocity with State S Department of Education" in answers[did_t]["messages"][0]

        # B revokes its credential on its own server: the verifier here reports the revoked component ...
        revoked = at_b.post(f"/api/v1/credentials/{b1['id']}/revoke", json={"reason": "evidence not original"},
                            headers=provider.headers())
        assert revoked.status_code == 200, revoked.text
        after = _verify(here, _presentation(document, b_document))
        components = _check(after, "components")
        assert after["verified"] is False
        assert components["outcome"] == "failed" and b_document["id"] in components["message"]
        assert "revoked" in components["message"], components
        # ... and district A's re-check (scheduled, or an admin's) revokes the designation, saying why.
        rechecked = here.post("/api/v1/stacks/designations/recheck", headers=district.headers())
        assert rechecked.status_code == 200, rechecked.text
        [lapsed] = rechecked.json()
        assert lapsed["id"] == designation["id"] and lapsed["status"] == "lapsed"
        row = here.get(f"/api/v1/credentials/{designation['credential_id']}", headers=district.headers()).json()
        assert row["revoked"] is True and b_document["id"] in row["revocation_reason"], row["revocation_reason"]
        status = _check(_verify(here, document), "status")
        assert status["outcome"] == "failed" and "revoked" in status["message"], status
        again = here.post("/api/v1/stacks/designations/recheck", headers=district.headers())
        assert again.json() == []                             # idempotent: nothing more changes

        # B awards the teacher the same micro-credential again (a second attempt); brought to A, the substitute
        # completes the stack again: a new designation credential, which verifies with it.
        with b_server.app.state.services.sessions() as session, session.begin():
            mc_id = session.scalars(select(Submission.microcredential_id).where(
                Submission.id == uuid.UUID(b1["submission_id"]))).one()
            retry = assessed_submission(session, provider.educator, provider.assessor,
                                        session.get_one(MicroCredential, mc_id), b_server.settings.blob_dir,
                                        scores=AWARD_PASSING_SCORES, attempt=2).id
        b2 = at_b.post(f"/api/v1/submissions/{retry}/award", headers=provider.headers())
        assert b2.status_code == 201, b2.text
        b2_document = b2.json()["credential"]
        added = here.post("/api/v1/stacks/external-credentials", json={"credential": b2_document},
                          headers=district.headers(Role.EDUCATOR))
        assert added.status_code == 200, added.text
        [renewed] = added.json()["designations"]
        assert renewed["id"] == designation["id"] and renewed["status"] == "awarded"
        assert renewed["credential_id"] != designation["credential_id"]
        assert b2_document["id"] in {c["credential_id"] for c in renewed["components"]}
        new_document = here.get(f"/api/v1/credentials/{renewed['credential_id']}",
                                headers=district.headers()).json()["credential"]
        restored = _verify(here, _presentation(new_document, b2_document))
        assert restored["verified"] is True, restored["summary"]
        assert _check(restored, "components")["outcome"] == "passed"

        # S withdraws its registry (its status bit): S's recognition is gone, and T's through S with it.
        withdrawn = here.post(f"/api/v1/recognition-registries/{registry_s['id']}/withdraw",
                              headers=agencies["s"].headers())
        assert withdrawn.status_code == 200, withdrawn.text
        answers = {a["state"]: a for a in _verify(here, a2["credential"])["recognition"]}
        assert not answers[did_s]["recognised"] and not answers[did_t]["recognised"], answers

        # District A edits its first micro-credential: the new version is not vetted until S endorses it.
        edited = here.post(f"/api/v1/microcredentials/{mc_ids[key1]}/versions", headers=district.headers(),
                           json={"key_method": "Hinge questions, exit tickets and a re-teach plan."})
        assert edited.status_code == 201, edited.text
        assert edited.json()["version"] == 2 and edited.json()["vetted_by"] == []
        still = here.get(f"/api/v1/microcredentials/{mc_ids[key1]}", headers=district.headers()).json()
        assert [v["agency"] for v in still["vetted_by"]] == [did_s]      # version 1 stays vetted
    app.state.engine.dispose()
