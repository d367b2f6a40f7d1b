"""Every kind of credential mcbadge issues, exactly as issued, against the UNMODIFIED 1EdTech OB 3.0 JSON
Schemas (``schemas/ob-v3p0``, byte-exact; validated with ``jsonschema`` through ``mcbadge.vc.schema``) and
the VC data model (``vc.data_model.check_issued_credential``): ``credentials.conformance.
conformance_problems``, the checks the pre-issuance gate applies. Nothing is removed or adjusted before
validating: this is what a conformant host receives. Over real HTTP, on SQLite (a check above the database).

Which 1EdTech schema applies to which kind:

* awards (Data Integrity, and the credential in a VC-JWT's ``vc`` claim), designations and Open Badges
  issued through the VC API: ``achievementcredential.json``;
* vetting endorsements: ``endorsementcredential.json``;
* recognition registries, other VC API credentials and Bitstring Status List credentials are VC 2.0
  credentials that are not Open Badges: no 1EdTech schema applies (the test asserts that none is claimed), so
  they are held to the VC data model: contexts, types, issuer, subject, typed members, each status entry
  (a well-formed ``BitstringStatusListEntry``) and proof, dates.

Suspension is an issuer's opt-in whose cost is that its credentials fail the 1EdTech schema: the last test
shows that failure, as the setting's description says.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from mcbadge.credentials.conformance import conformance_problems
from mcbadge.db.models import Role
from mcbadge.identity import issuer_did
from mcbadge.vc.jwt import parse_unverified
from mcbadge.vc.schema import (
    ACHIEVEMENT_CREDENTIAL_SCHEMA,
    ENDORSEMENT_CREDENTIAL_SCHEMA,
    applicable_schema,
)
from tests.factories.catalog import microcredential_body
from tests.factories.credentials import rich_credential, vc2
from tests.factories.recognition import make_agency, publish_registry, registry_entry
from tests.factories.stacks import (
    auto_award,
    award_over_api,
    designations,
    publish_stack,
    submission_key,
)
from tests.factories.tenants import Tenant, passing_submissions, turn_suspension
from tests.live_server import SQLITE_ONLY, LiveServer

pytestmark = SQLITE_ONLY  # what is issued is checked against schemas, above the database


def assert_conformant(document: dict[str, Any], schema: str | None, issuer: str) -> None:
    """``document`` claims ``schema`` (None: no 1EdTech schema applies) and passes it and the data model."""
    assert applicable_schema(document) == schema
    assert conformance_problems(document, issuer) == []


def _served(client: httpx.Client, server: LiveServer, url: str) -> dict[str, Any]:
    response = client.get(url.removeprefix(server.base_url))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    document: dict[str, Any] = response.json()
    return document


def _award(client: httpx.Client, tenant: Tenant, submission_id: uuid.UUID, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/submissions/{submission_id}/award", json=body or None, headers=tenant.headers())
    assert response.status_code == 201, response.text
    award: dict[str, Any] = response.json()
    return award


def test_awards_designations_and_their_status_lists(server: LiveServer, client: httpx.Client,
                                                     tenant: Tenant) -> None:
    did = issuer_did(server.base_url, tenant.issuer.slug)
    sessions = server.app.state.services.sessions
    auto_award(client, tenant, True)
    [ldp_submission] = passing_submissions(sessions, tenant, server.settings.blob_dir, 1)
    [jwt_submission] = passing_submissions(sessions, tenant, server.settings.blob_dir, 1)
    publish_stack(client, tenant, [{"kind": "local", "key": submission_key(server, ldp_submission), "versions": [1]}])

    # An award as its public URL serves it (what a wallet or a host fetches).
    award = award_over_api(client, tenant, ldp_submission)
    assert_conformant(_served(client, server, award["url"]), ACHIEVEMENT_CREDENTIAL_SCHEMA, did)

    # A VC-JWT award: the credential its payload carries (the ``vc`` claim).
    jwt_award = _award(client, tenant, jwt_submission, format="jwt")
    _, payload = parse_unverified(jwt_award["jwt"])
    assert payload["iss"] == did and payload["jti"] == jwt_award["url"]
    assert_conformant(payload["vc"], ACHIEVEMENT_CREDENTIAL_SCHEMA, did)

    # The designation the stack awarded on the first award.
    [designation] = designations(client, tenant)
    served = _served(client, server, f"{server.base_url}/credentials/{designation['credential_id']}")
    assert served["credentialSubject"]["achievement"]["achievementType"] == "Certification"
    assert_conformant(served, ACHIEVEMENT_CREDENTIAL_SCHEMA, did)

    # The revocation list they name: a BitstringStatusListCredential.
    assert award["suspension"] is None
    assert_conformant(_served(client, server, award["revocation"]["list"]), None, did)


def test_registries_and_endorsements_of_a_state_agency(server: LiveServer, client: httpx.Client,
                                                       tenant: Tenant) -> None:
    agency = make_agency(server, "state-s")
    agency_did = issuer_did(server.base_url, agency.issuer.slug)
    created = client.post("/api/v1/microcredentials", json=microcredential_body(key="conformant"),
                          headers=tenant.headers())
    assert created.status_code == 201, created.text
    published = client.post(f"/api/v1/microcredentials/{created.json()['id']}/publish", headers=tenant.headers())
    assert published.status_code == 200, published.text

    # A recognition registry (VC 2.0, not an Open Badge), as served at its URL.
    registry = publish_registry(client, agency, [registry_entry(tenant.issuer.slug, "conformant")])
    document = _served(client, server, registry["url"])
    assert document == registry["document"]
    assert_conformant(document, None, agency_did)
    status_entries = document["credentialStatus"]
    for entry in status_entries if isinstance(status_entries, list) else [status_entries]:
        assert_conformant(_served(client, server, entry["statusListCredential"]), None, agency_did)

    # A vetting endorsement: an OB 3.0 EndorsementCredential.
    vetted = client.post("/api/v1/vetting/endorsements", headers=agency.headers(), json={
        "microcredential": {"issuer": tenant.issuer.slug, "key": "conformant", "version": 1}})
    assert vetted.status_code == 201, vetted.text
    assert_conformant(_served(client, server, vetted.json()["url"]), ENDORSEMENT_CREDENTIAL_SCHEMA, agency_did)


def test_vc_api_credentials_and_lists(server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    did = issuer_did(server.base_url, tenant.issuer.slug)
    revocation = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}

    def issue(credential: dict[str, Any], **options: Any) -> dict[str, Any]:
        response = client.post("/credentials/issue", json={"credential": credential, "options": options},
                               headers=tenant.headers())
        assert response.status_code == 201, response.text
        issued: dict[str, Any] = response.json()["verifiableCredential"]
        return issued

    open_badge = rich_credential(issuer_id=did, credential_id=f"urn:uuid:{uuid.uuid4()}")
    del open_badge["credentialStatus"]
    issued = issue(open_badge, credentialStatus=revocation)
    assert_conformant(issued, ACHIEVEMENT_CREDENTIAL_SCHEMA, did)
    enveloped = issue({**open_badge, "id": f"urn:uuid:{uuid.uuid4()}"}, credentialStatus=revocation, format="vc-jwt")
    _, payload = parse_unverified(enveloped["id"].removeprefix("data:application/vc+jwt,"))
    assert_conformant(payload["vc"], ACHIEVEMENT_CREDENTIAL_SCHEMA, did)

    # A credential that is not an Open Badge (what the W3C suites send), with both status purposes.
    plain = issue(vc2(did), credentialStatus=[revocation, {**revocation, "statusPurpose": "suspension"}])
    assert_conformant(plain, None, did)
    for entry in plain["credentialStatus"]:
        assert_conformant(_served(client, server, entry["statusListCredential"]), None, did)
    created = client.post("/status-lists", headers=tenant.headers(), json={"statusPurpose": "revocation"})
    assert created.status_code == 201, created.text
    assert_conformant(created.json()["verifiableCredential"], None, did)


def test_suspension_costs_schema_conformance_as_its_setting_says(server: LiveServer, client: httpx.Client,
                                                                 tenant: Tenant) -> None:
    """With suspension turned on, awards carry two status entries: the 1EdTech schema refuses exactly that
    (and the VC data model does not), which is why it is off by default."""
    did = issuer_did(server.base_url, tenant.issuer.slug)
    setting = client.get("/api/v1/issuer", headers=tenant.headers(Role.ADMIN)).json()
    assert setting["suspension_status"] is False
    turn_suspension(client, tenant, True)
    [submission] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    document = _served(client, server, _award(client, tenant, submission)["url"])
    [problem] = conformance_problems(document, did)
    assert problem.startswith("1EdTech OB 3.0 schema: credentialStatus: must be of type 'object'"), problem
    described = client.get("/openapi.json").json()["components"]["schemas"]["IssuerUpdate"]["properties"]
    assert "1EdTech Open Badges 3.0 JSON Schema allows one" in described["suspension_status"]["description"]
