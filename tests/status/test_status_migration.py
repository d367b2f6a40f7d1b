"""Migration 0004 (one status-list implementation) on a database written at revision 0003.

The code that wrote 0003's tables is gone, so the rows are put in as 0003 had them: award lists in
``status_lists`` with the indexes on ``credentials``, VC API lists and entries in their own tables; every
list and credential signed with the issuer's real key by the credential library. Then the real app starts
(which migrates to head) and serves them over HTTP: every list URL must serve the very bytes stored before
(same bits, same signature), every credential must verify as before (revoked ones revoked, suspended ones
suspended), and the migrated lists must keep working (a new revocation, a new issue into an old list).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command

from mcbadge.api.app import create_app
from mcbadge.credentials import service as credentials
from mcbadge.db import make_engine
from mcbadge.db.migrate import alembic_config
from mcbadge.db.models import ExactJson, JsonData, Timestamp
from mcbadge.identity import issuer_did
from mcbadge.keystore import keystore_from_settings
from mcbadge.vc.contexts import CREDENTIALS_V2
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.status_list import BitstringStatusList, status_entry, status_list_credential
from mcbadge.vcapi import service as vcapi
from mcbadge.vcapi.schemas import IssueRequest

from tests.live_server import free_socket, make_settings, serve

SLUG = "legacy-district"
LENGTH = 131_072
SUBJECT = "did:example:teacher"


def _signed_list(signer: Any, did: str, url: str, purpose: str, bits: BitstringStatusList,
                 when: datetime) -> dict[str, Any]:
    unsigned = status_list_credential(id=url, issuer=did, status_purpose=purpose, encoded_list=bits.encode(),
                                      valid_from=when, ttl=300_000, min_length=LENGTH)
    return sign_credential(unsigned, signer, created=when)


def _signed_credential(signer: Any, did: str, credential_id: str, entries: list[dict[str, Any]],
                       when: datetime) -> dict[str, Any]:
    document = {"@context": [CREDENTIALS_V2], "id": credential_id, "type": ["VerifiableCredential"],
                "issuer": did, "validFrom": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "credentialSubject": {"id": SUBJECT}, "credentialStatus": entries}
    return sign_credential(document, signer, created=when)


_UUIDS = {"id", "issuer_id", "educator_id", "microcredential_id", "submission_id", "revocation_list_id",
          "suspension_list_id", "status_list_id", "issued_id"}
_SIGNED = {"signed", "document"}  # stored as json: the exact text
_JSONB = {"resources", "requirements", "rubric", "alignments", "tags"}


def _insert(db: sa.Connection, table: str, *rows: dict[str, Any]) -> None:
    """Insert ``rows`` into 0003's ``table``, typed as its migrations made it (the ORM models describe head,
    not 0003): a column's type follows from its name, or else from its value."""
    def kind(column: str, value: Any) -> Any:
        if column in _UUIDS or isinstance(value, uuid.UUID):
            return sa.Uuid()
        if column in _SIGNED:
            return ExactJson
        if column in _JSONB:
            return JsonData
        if column.endswith("_at"):
            return Timestamp(timezone=True)
        if isinstance(value, bool):
            return sa.Boolean()
        if isinstance(value, int):
            return sa.Integer()
        if isinstance(value, bytes):
            return sa.LargeBinary()
        return sa.String()

    columns = [sa.column(name, kind(name, value)) for name, value in rows[0].items()]
    db.execute(sa.table(table, *columns).insert(), list(rows))


def _populate_at_0003(engine: sa.Engine, base: str, signer: Any, did: str) -> dict[str, Any]:
    """Rows as revision 0003 had them: three awards (plain, revoked, suspended) and three VC API credentials
    (the same), their lists signed with the bits set. Returns what the test checks afterwards."""
    when = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
    issuer_id, educator_id, mc_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    names = ["award-revocation", "award-suspension", "api-revocation", "api-suspension"]
    ids = {name: uuid.uuid4() for name in names}
    urls = {"award-revocation": f"{base}/issuers/{SLUG}/status/revocation/1",
            "award-suspension": f"{base}/issuers/{SLUG}/status/suspension/1",
            "api-revocation": f"{base}/status-lists/old-revocations",
            "api-suspension": f"{base}/status-lists/old-suspensions"}
    bits = {name: BitstringStatusList(LENGTH) for name in names}
    awards = {"plain": (10, 20), "revoked": (11, 21), "suspended": (12, 22)}  # (revocation, suspension) index
    api = {"plain": (30, None), "revoked": (31, None), "suspended": (None, 40)}
    bits["award-revocation"].set(awards["revoked"][0], True)
    bits["award-suspension"].set(awards["suspended"][1], True)
    bits["api-revocation"].set(api["revoked"][0], True)
    bits["api-suspension"].set(api["suspended"][1], True)
    signed = {name: _signed_list(signer, did, urls[name], name.split("-")[1], bits[name], when) for name in names}

    documents: dict[str, dict[str, Any]] = {}
    with engine.begin() as db:
        _insert(db, "issuers", dict(id=issuer_id, slug=SLUG, name="Legacy District", auto_approve=False,
                                                second_scoring=False, created_at=when))
        _insert(db, "people", dict(id=educator_id, issuer_id=issuer_id, role="educator", name="Ed",
                                               email="ed@example.org", created_at=when))
        _insert(db, "microcredentials", dict(
            id=mc_id, issuer_id=issuer_id, key="mc", version=1, status="published", title="MC", competency="c",
            key_method="k", resources=[], requirements=[], rubric=[], alignments=[], tags=[], created_at=when))
        for name in ("award-revocation", "award-suspension"):
            _insert(db, "status_lists", dict(
                id=ids[name], issuer_id=issuer_id, purpose=name.split("-")[1], seq=1, length=LENGTH, allocated=3,
                bits=bits[name].to_bytes(), revision=2, signed=signed[name], signed_revision=2, updated_at=when))
        for name, key in (("api-revocation", "old-revocations"), ("api-suspension", "old-suspensions")):
            _insert(db, "vcapi_status_lists", dict(
                id=ids[name], key=key, issuer_id=issuer_id, purpose=name.split("-")[1], length=LENGTH,
                allocated=2 if name == "api-revocation" else 1, bits=bits[name].to_bytes(), revision=2,
                signed=signed[name], signed_revision=2, created_at=when, updated_at=when))
        for attempt, (kind, (revocation, suspension)) in enumerate(awards.items(), start=1):
            submission_id, credential_id = uuid.uuid4(), uuid.uuid4()
            _insert(db, "submissions", dict(
                id=submission_id, issuer_id=issuer_id, microcredential_id=mc_id, educator_id=educator_id,
                attempt=attempt, status="awarded", created_at=when))
            entries = [status_entry(list_credential_url=urls["award-revocation"], index=revocation,
                                    purpose="revocation"),
                       status_entry(list_credential_url=urls["award-suspension"], index=suspension,
                                    purpose="suspension")]
            document = _signed_credential(signer, did, f"{base}/credentials/{credential_id}", entries, when)
            documents[f"award-{kind}"] = document
            _insert(db, "credentials", dict(
                id=credential_id, issuer_id=issuer_id, submission_id=submission_id, microcredential_id=mc_id,
                educator_id=educator_id, revocation_list_id=ids["award-revocation"], revocation_index=revocation,
                suspension_list_id=ids["award-suspension"], suspension_index=suspension, format="ldp",
                document=document, issued_at=when, revoked_at=when if kind == "revoked" else None,
                suspended=kind == "suspended", public=True, show_evidence=False))
        for kind, (revocation, suspension) in api.items():
            issued_id, credential_id = uuid.uuid4(), f"urn:uuid:{uuid.uuid4()}"
            entries, rows = [], []
            for purpose, index in (("revocation", revocation), ("suspension", suspension)):
                if index is None:
                    continue
                entries.append(status_entry(list_credential_url=urls[f"api-{purpose}"], index=index, purpose=purpose))
                rows.append({"id": uuid.uuid4(), "issuer_id": issuer_id, "issued_id": issued_id,
                             "credential_id": credential_id, "purpose": purpose,
                             "status_list_id": ids[f"api-{purpose}"], "status_index": index,
                             "revoked_at": when if kind == "revoked" else None})
            document = _signed_credential(signer, did, credential_id, entries, when)
            documents[f"api-{kind}"] = document
            _insert(db, "issued_credentials", dict(
                id=issued_id, issuer_id=issuer_id, credential_id=credential_id, format="ldp", document=document,
                issued_at=when))
            _insert(db, "vcapi_status_entries", *rows)
    return {"issuer_id": issuer_id, "urls": urls, "signed": signed, "documents": documents, "ids": ids}


def _stored(engine: sa.Engine) -> dict[str, tuple[bytes, str]]:
    """Every list's bits and signed credential exactly as stored (the JSON column's text), by list id."""
    tables = sa.inspect(engine).get_table_names()
    sources = [name for name in ("status_lists", "vcapi_status_lists") if name in tables]
    out: dict[str, tuple[bytes, str]] = {}
    with engine.connect() as db:
        for table in sources:
            rows = db.execute(sa.text(f"SELECT id, bits, CAST(signed AS TEXT) FROM {table}")).all()
            out.update({str(uuid.UUID(str(row[0]))): (bytes(row[1]), row[2]) for row in rows})
    return out


def _positions_at_0003(engine: sa.Engine) -> set[tuple[Any, ...]]:
    """Where each credential's bits are, as 0003 keeps them (awards and VC API entries)."""
    with engine.connect() as db:
        awards = db.execute(sa.text("SELECT id, revocation_list_id, revocation_index, suspension_list_id,"
                                    " suspension_index, revoked_at, suspended FROM credentials")).all()
        api = db.execute(sa.text("SELECT id, issued_id, credential_id, purpose, status_list_id, status_index,"
                                 " revoked_at FROM vcapi_status_entries")).all()
    return {("award", *map(str, row)) for row in awards} | {("api", *map(str, row)) for row in api}


def _status_message(client: httpx.Client, document: dict[str, Any]) -> tuple[bool, str]:
    response = client.post("/credentials/verify", json={"verifiableCredential": document})
    assert response.status_code in (200, 422), response.text
    body = response.json()
    status = {c["code"]: c for c in body["checks"]}["status"]
    return body["verified"], status["message"]


def _migrate_and_check(tmp_path: Path, database_url: str) -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    settings = make_settings(tmp_path, public_base_url=f"http://127.0.0.1:{port}", port=port,
                             database_url=database_url)
    base = settings.public_base_url
    did = issuer_did(base, SLUG)
    signer = keystore_from_settings(settings).load_or_create(SLUG, did)

    engine = make_engine(database_url)
    try:
        command.upgrade(alembic_config(engine), "0003")
        legacy = _populate_at_0003(engine, base, signer, did)
        before, positions = _stored(engine), _positions_at_0003(engine)
        # The way back: up and down again gives 0003's rows unchanged (and the app migrates up once more).
        command.upgrade(alembic_config(engine), "head")
        command.downgrade(alembic_config(engine), "0003")
        assert (_stored(engine), _positions_at_0003(engine)) == (before, positions)
    finally:
        engine.dispose()
    assert len(before) == 4 and len(positions) == 6

    app = create_app(settings)  # migrates to head
    with serve(app, sock) as served, httpx.Client(base_url=served, trust_env=False, timeout=30) as client:
        assert _stored(app.state.engine) == before  # the same bits and the same stored text, row by row

        for name, url in legacy["urls"].items():
            response = client.get(url)
            assert response.status_code == 200, (name, response.text)
            expected = json.dumps(legacy["signed"][name], ensure_ascii=False, separators=(",", ":")).encode()
            assert response.content == expected, name  # same bits, same signature, same bytes
            assert response.json()["proof"]["proofValue"] == legacy["signed"][name]["proof"]["proofValue"]

        for kind in ("award", "api"):
            verified, message = _status_message(client, legacy["documents"][f"{kind}-plain"])
            assert verified, (kind, message)
            verified, message = _status_message(client, legacy["documents"][f"{kind}-revoked"])
            assert not verified and "revoked" in message, (kind, message)
            verified, message = _status_message(client, legacy["documents"][f"{kind}-suspended"])
            assert not verified and "suspended" in message, (kind, message)

        # The migrated lists keep working: a revocation re-signs the old award list...
        services = app.state.services
        plain_award = legacy["documents"]["award-plain"]["id"].rsplit("/", 1)[-1]
        with services.sessions() as session:
            credentials.revoke(session, services, issuer_id=legacy["issuer_id"], actor_id=None,
                               credential_id=uuid.UUID(plain_award), reason="after the migration")
        verified, message = _status_message(client, legacy["documents"]["award-plain"])
        assert not verified and "revoked" in message
        changed = client.get(legacy["urls"]["award-revocation"]).json()
        assert changed["proof"]["proofValue"] != legacy["signed"]["award-revocation"]["proof"]["proofValue"]
        # ...and a new VC API credential takes a free bit of the old VC API list named in its request.
        caller = vcapi.Caller(issuer_id=legacy["issuer_id"], issuer_slug=SLUG)
        body = IssueRequest.model_validate({
            "credential": {"@context": [CREDENTIALS_V2], "id": "urn:uuid:" + str(uuid.uuid4()),
                           "type": ["VerifiableCredential"], "issuer": did, "credentialSubject": {"id": SUBJECT}},
            "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                                             "statusListCredential": legacy["urls"]["api-revocation"]}}})
        with services.sessions() as session:
            issued = vcapi.issue(session, services, caller, body)["verifiableCredential"]
        entry = issued["credentialStatus"]
        assert entry["statusListCredential"] == legacy["urls"]["api-revocation"]
        assert int(entry["statusListIndex"]) not in (30, 31)
        assert _status_message(client, issued)[0] is True


def test_migration_keeps_status_lists_on_sqlite(tmp_path: Path) -> None:
    _migrate_and_check(tmp_path, f"sqlite:///{tmp_path / 'legacy.db'}")


@pytest.mark.postgres
def test_migration_keeps_status_lists_on_postgresql(tmp_path: Path, postgres_cluster: Any) -> None:
    _migrate_and_check(tmp_path, postgres_cluster.create_database("status_migration"))
