"""``mcbadge backup``, ``mcbadge restore`` and ``mcbadge export credentials`` (issue 13, part 7), on SQLite and on
PostgreSQL: a small world is backed up while its server runs, restored into an empty installation, and served
there at the same address; every credential verifies, every status list serves the same bits, every evidence file
matches its digest. The commands run in this process (typer's runner: the same command, settings from the
environment); a subprocess would cost seconds of start-up under load."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mcbadge.api.app import create_app
from mcbadge.blobs import blob_path
from mcbadge.db.models import Blob
from mcbadge.vc.evidence import digest_multibase
from mcbadge.vc.json_values import as_list
from tests.command_line import mcbadge_in_process
from tests.factories.credentials import award_one
from tests.factories.tenants import Tenant
from tests.live_server import LiveServer, cli_env, make_settings


def _status_lists(credentials: list[dict[str, Any]]) -> set[str]:
    return {entry["statusListCredential"] for c in credentials for entry in as_list(c["credentialStatus"])}


def _restored_database(server: LiveServer, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if server.settings.database_url.startswith("postgresql"):
        return request.getfixturevalue("postgres_cluster").create_database(f"restored_{uuid.uuid4().hex[:12]}")
    return f"sqlite:///{tmp_path / 'restored' / 'mcbadge.db'}"


def test_a_backup_restored_into_an_empty_installation_serves_the_same_credentials(
        server: LiveServer, client: httpx.Client, tenant: Tenant, tmp_path: Path, request: pytest.FixtureRequest,
        http_switch: Any) -> None:
    awarded = [award_one(server, tenant) for _ in range(2)]
    credentials = [a.document for a in awarded]
    revoked = client.post(f"/api/v1/credentials/{awarded[0].id}/revoke",
                          json={"reason": "awarded in error"}, headers=tenant.headers())
    assert revoked.status_code == 200, revoked.text
    lists = {url: client.get(url).json() for url in _status_lists(credentials)}

    env = cli_env(server)
    made = mcbadge_in_process(env, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    database_file = "database.pgdump" if server.settings.database_url.startswith("postgresql") else "database.sqlite3"
    assert manifest["database_file"] == database_file and database_file in manifest["files"]
    assert any(name.startswith("keys/test-district/key-1.pem") for name in manifest["files"])
    assert any(name.startswith("blobs/") for name in manifest["files"])
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((tmp_path / "backup" / name).read_bytes()).hexdigest() == entry["sha256"]
    assert mcbadge_in_process(env, "backup", str(tmp_path / "backup")).returncode == 2  # never into a non-empty directory

    target = make_settings(tmp_path / "restored", public_base_url=server.base_url, port=http_switch.port,
                           database_url=_restored_database(server, request, tmp_path))
    target_env = {**env, "MCBADGE_DATABASE_URL": target.database_url, "MCBADGE_KEYS_DIR": str(target.keys_dir),
                  "MCBADGE_BLOB_DIR": str(target.blob_dir)}
    restored = mcbadge_in_process(target_env, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    again = mcbadge_in_process(target_env, "restore", str(tmp_path / "backup"))
    assert again.returncode == 2 and "already hold data" in again.stderr and "--force" in again.stderr

    # The restored installation, alone behind the same address (its own database, keys and blobs).
    app = create_app(target)
    try:
        with http_switch.serving(app):
            for n, credential in enumerate(credentials):
                result = client.post("/verify", json=credential).json()
                revocation = next(c for c in result["checks"] if c["code"] == "status")
                if n == 0:
                    assert result["verified"] is False and "revoked" in revocation["message"].lower(), result
                else:
                    assert result["verified"] is True, result
            for url, published in lists.items():
                served = client.get(url).json()
                assert served["credentialSubject"]["encodedList"] == published["credentialSubject"]["encodedList"]
                assert served == published  # the same signed list, not a re-signed one
            with app.state.services.sessions() as session:
                blobs = session.scalars(select(Blob)).all()
            assert blobs
            for blob in blobs:
                data = blob_path(target.blob_dir, blob.sha256).read_bytes()
                assert hashlib.sha256(data).hexdigest() == blob.sha256
            digests = {digest_multibase(blob_path(target.blob_dir, b.sha256).read_bytes()) for b in blobs}
            files = [r for c in credentials for r in c["relatedResource"] if r.get("mediaType") == "application/pdf"]
            assert files and all(r["digestMultibase"] in digests for r in files)
    finally:
        app.state.engine.dispose()

    exported = mcbadge_in_process(target_env, "export", "credentials", "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    assert {r["url"] for r in records} == {c["id"] for c in credentials}
    assert {r["url"]: r["status"] for r in records}[credentials[0]["id"]] == "revoked"
    assert {r["url"]: r["credential"] for r in records} == {c["id"]: c for c in credentials}
    as_csv = mcbadge_in_process(target_env, "export", "credentials", "--format", "csv", "--tenant", "test-district")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["url"] for r in rows] == [r["url"] for r in records]
    assert json.loads(rows[1]["credential"]) == credentials[1]
    assert mcbadge_in_process(target_env, "export", "credentials", "--tenant", "nobody").returncode == 2


def test_restore_checks_every_file_against_the_manifest_first(server: LiveServer, tenant: Tenant,
                                                              tmp_path: Path) -> None:
    award_one(server, tenant)
    env = cli_env(server)
    assert mcbadge_in_process(env, "backup", str(tmp_path / "backup")).returncode == 0
    blob = next(p for p in (tmp_path / "backup" / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"!")
    target_env = {**env, "MCBADGE_DATABASE_URL": f"sqlite:///{tmp_path / 'elsewhere.db'}",
                  "MCBADGE_KEYS_DIR": str(tmp_path / "keys2"), "MCBADGE_BLOB_DIR": str(tmp_path / "blobs2")}
    refused = mcbadge_in_process(target_env, "restore", str(tmp_path / "backup"))
    assert refused.returncode == 2 and "does not match its SHA-256" in refused.stderr
    assert not (tmp_path / "elsewhere.db").exists() and not (tmp_path / "keys2").exists()
