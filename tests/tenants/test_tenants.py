"""The platform operator: organisations created, listed, disabled and enabled, access recovered and people
imported, through the command line (run in this process on the server's database and keys: tests/command_line.py)
and the operator API (real HTTP), on SQLite and PostgreSQL. A disabled organisation's keys and tokens are refused
while what it issued keeps verifying."""

from __future__ import annotations

from pathlib import Path

import httpx

from mcbadge.db.session import transaction
from mcbadge.principal import issue_operator_key
from tests.assertions import verify_live
from tests.command_line import Ran, mcbadge_in_process
from tests.factories.credentials import award_one
from tests.factories.tenants import Tenant
from tests.live_server import TEST_PASSPHRASE, LiveServer, cli_env


def _mcbadge(server: LiveServer, *args: str) -> Ran:
    """The ``mcbadge`` command run in this process, on the server's database and keys."""
    return mcbadge_in_process(cli_env(server), *args)


def _printed_key(output: str) -> str:
    [key] = [word for line in output.splitlines() if "API key:" in line for word in line.split() if word.startswith("mcb_")]
    return key


def _operator(server: LiveServer) -> dict[str, str]:
    with server.app.state.services.sessions() as session, transaction(session):
        key = issue_operator_key(session, "test operator")
    return {"Authorization": f"Bearer {key}"}


def test_the_command_line_creates_an_organisation_whose_admin_can_work_at_once(server: LiveServer,
                                                                                client: httpx.Client) -> None:
    created = _mcbadge(server, "tenants", "create", "ks-ed", "--name", "Kansas State Department of Education",
                       "--kind", "state_agency", "--admin-email", "ada@ksde.example.org", "--admin-name", "Ada Admin")
    assert created.returncode == 0, created.stderr
    assert f"DID: did:web:127.0.0.1%3A{server.base_url.rsplit(':', 1)[1]}:issuers:ks-ed" in created.stdout
    key = _printed_key(created.stdout)
    assert "PRIVATE" not in created.stdout + created.stderr and TEST_PASSPHRASE not in created.stdout

    issuer = client.get("/api/v1/issuer", headers={"Authorization": f"Bearer {key}"})
    assert issuer.status_code == 200, issuer.text
    assert issuer.json()["slug"] == "ks-ed" and issuer.json()["state_agency"] is True
    did_document = client.get("/issuers/ks-ed/did.json")
    assert did_document.status_code == 200 and did_document.json()["assertionMethod"]  # its key exists already

    again = _mcbadge(server, "tenants", "create", "ks-ed", "--name", "Again", "--admin-email", "x@y.org",
                     "--admin-name", "X")
    assert again.returncode == 2 and again.stderr.strip() == "mcbadge: error: an organisation 'ks-ed' already exists"
    bad = _mcbadge(server, "tenants", "create", "Not A Slug", "--name", "X", "--admin-email", "x@y.org",
                   "--admin-name", "X")
    assert bad.returncode == 2 and bad.stderr.startswith("mcbadge: error: slug:") and "Traceback" not in bad.stderr


def test_disabling_refuses_keys_and_keeps_credentials_verifying_and_a_new_key_recovers_access(
        server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    issued = award_one(server, tenant)
    slug = tenant.issuer.slug
    disabled = _mcbadge(server, "tenants", "disable", slug)
    assert disabled.returncode == 0, disabled.stderr
    refused = client.get("/api/v1/issuer", headers=tenant.headers())
    assert refused.status_code == 403 and refused.json()["type"].endswith("tenant-disabled"), refused.text
    # What it issued keeps verifying: its DID document and status lists are still served.
    assert verify_live(server, issued.document).verified
    assert client.post("/verify", json=issued.document).json()["verified"] is True
    listed = _mcbadge(server, "tenants", "list")
    assert any(line.startswith(slug) and " disabled " in line for line in listed.stdout.splitlines()), listed.stdout

    assert _mcbadge(server, "tenants", "enable", slug).returncode == 0
    assert client.get("/api/v1/issuer", headers=tenant.headers()).status_code == 200

    # The admin's key is lost: the operator issues a new one where the data and keys are.
    recovered = _mcbadge(server, "keys", "create", "--tenant", slug, "--person", tenant.admin.email, "--role", "admin")
    assert recovered.returncode == 0, recovered.stderr
    new_key = _printed_key(recovered.stdout)
    assert client.get("/api/v1/issuer", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200
    wrong_role = _mcbadge(server, "keys", "create", "--tenant", slug, "--person", tenant.admin.email, "--role", "educator")
    assert wrong_role.returncode == 2 and f"{tenant.admin.email} is registered at {slug} as admin, not educator" in wrong_role.stderr
    unknown = _mcbadge(server, "keys", "create", "--tenant", slug, "--person", "new@x.org", "--role", "admin")
    assert unknown.returncode == 2 and "give a name to create them" in unknown.stderr


def test_people_import_reports_bad_rows_and_is_idempotent(server: LiveServer, client: httpx.Client, tenant: Tenant,
                                                          tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("\ufeffEmail,Name,Role\n"
                      "erin.two@d.example.org,Erin Two,educator\n"
                      "not-an-address,Bob,educator\n"
                      "sam.two@d.example.org,Sam Two,wizard\n"
                      "\n"
                      "ann@d.example.org,Ann Assessor,ASSESSOR\n", encoding="utf-8")
    first = _mcbadge(server, "people", "import", str(people), "--tenant", tenant.issuer.slug)
    assert first.returncode == 1, first.stderr
    assert first.stdout.splitlines() == [
        "row 3: email: String should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'",
        "row 4: role must be one of admin, assessor, educator, integrator",
        "2 added, 0 already there, 2 refused"]
    second = _mcbadge(server, "people", "import", str(people), "--tenant", tenant.issuer.slug)
    assert second.stdout.splitlines()[-1] == "0 added, 2 already there, 2 refused"
    listed = client.get("/api/v1/people", params={"role": "assessor"}, headers=tenant.headers()).json()["items"]
    assert "ann@d.example.org" in {p["email"] for p in listed}
    missing = _mcbadge(server, "people", "import", str(tmp_path / "nope.csv"), "--tenant", tenant.issuer.slug)
    assert missing.returncode == 2 and missing.stderr.startswith("mcbadge: error: cannot read")
    headless = tmp_path / "headless.csv"
    headless.write_text("a@b.org,A,admin\n")
    refused = _mcbadge(server, "people", "import", str(headless), "--tenant", tenant.issuer.slug)
    assert refused.returncode == 2 and "the first row must name the columns" in refused.stderr


def test_the_operator_api(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    operator = _operator(server)
    body = {"slug": "provider-b", "name": "Provider B", "kind": "provider",
            "admin": {"name": "Pat Provider", "email": "pat@provider-b.example.org"}}
    # Only an operator key: none, a tenant's admin key and a made-up operator key are all refused.
    assert client.post("/api/v1/operator/tenants", json=body).status_code == 401
    assert client.post("/api/v1/operator/tenants", json=body, headers=tenant.headers()).status_code == 401
    assert client.post("/api/v1/operator/tenants", json=body,
                       headers={"Authorization": "Bearer mcbop_000000000000_nope"}).status_code == 401

    created = client.post("/api/v1/operator/tenants", json=body, headers=operator)
    assert created.status_code == 201, created.text
    admin_key = created.json()["admin_key"]
    assert created.json()["tenant"]["kind"] == "provider" and created.json()["tenant"]["disabled"] is False
    assert client.get("/api/v1/issuer", headers={"Authorization": f"Bearer {admin_key}"}).status_code == 200
    duplicate = client.post("/api/v1/operator/tenants", json=body, headers=operator)
    assert duplicate.status_code == 409 and duplicate.headers["content-type"] == "application/problem+json"
    invalid = client.post("/api/v1/operator/tenants", json={**body, "slug": "UPPER"}, headers=operator)
    assert invalid.status_code == 422

    listed = client.get("/api/v1/operator/tenants", headers=operator).json()
    assert {"provider-b", tenant.issuer.slug} <= {t["slug"] for t in listed["items"]}
    off = client.post("/api/v1/operator/tenants/provider-b/disable", headers=operator)
    assert off.status_code == 200 and off.json()["disabled"] is True
    assert client.get("/api/v1/issuer", headers={"Authorization": f"Bearer {admin_key}"}).status_code == 403
    assert client.post("/api/v1/operator/tenants/provider-b/enable", headers=operator).json()["disabled"] is False
    assert client.post("/api/v1/operator/tenants/nobody/disable", headers=operator).status_code == 404

    key = client.post("/api/v1/operator/tenants/provider-b/keys", headers=operator,
                      json={"email": "erin@provider-b.example.org", "role": "educator", "name": "Erin"})
    assert key.status_code == 201 and key.json()["created_person"] is True, key.text
    assert client.get("/api/v1/issuer", headers={"Authorization": f"Bearer {key.json()['key']}"}).status_code == 200
    imported = client.post("/api/v1/operator/tenants/provider-b/people/import", headers={**operator,
                           "Content-Type": "text/csv"}, content=b"email,name,role\nann@p.org,Ann,assessor\nx,Y,admin\n")
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 1 and [p["row"] for p in imported.json()["problems"]] == [3]


def test_an_organisation_cannot_make_itself_a_state_agency(server: LiveServer, client: httpx.Client,
                                                           tenant: Tenant) -> None:
    """Vetting and recognition registries are a state agency's acts: only the operator sets an organisation's
    kind, so a district's admin cannot declare theirs one."""
    refused = client.patch("/api/v1/issuer", json={"state_agency": True}, headers=tenant.headers())
    assert refused.status_code == 422, refused.text
    read = client.get("/api/v1/issuer", headers=tenant.headers()).json()
    assert read["kind"] == "district" and read["state_agency"] is False
    vetting = client.post("/api/v1/vetting/endorsements", headers=tenant.headers(),
                          json={"microcredential": {"issuer": tenant.issuer.slug, "key": "any", "version": 1}})
    assert vetting.status_code == 403, vetting.text
