"""Key rotation: a new key signs new credentials; credentials signed with the old key keep verifying."""

from __future__ import annotations

from datetime import datetime, timezone

from mcbadge.identity import local_resolver
from mcbadge.credentials import service as credentials
from mcbadge.vc.verify import verify

from tests.command_line import mcbadge_in_process
from tests.factories.tenants import make_tenant, passing_submissions


def test_rotation_keeps_old_credentials_verifiable(server):
    services = server.app.state.services
    tenant = make_tenant(services.sessions, "rotating-district")
    first_id, second_id = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 2)
    with services.sessions() as session:
        old = credentials.award(session, services, first_id, approved_by=None).credential.document
    server.keystore.rotate("rotating-district")
    with services.sessions() as session:
        new = credentials.award(session, services, second_id, approved_by=None).credential.document
    assert old["proof"][0]["verificationMethod"].endswith("#key-1")
    assert new["proof"][0]["verificationMethod"].endswith("#key-2")
    resolver = local_resolver(server.keystore, server.settings.public_base_url)
    for document in (old, new):
        report = verify(document, resolver=resolver, now=datetime.now(timezone.utc))
        assert report.check("proof").outcome.value == "passed" and report.check("issuer_key").outcome.value == "passed"


def test_rotate_key_command(tmp_path):
    """``mcbadge rotate-key``, run in this process (tests/command_line.py: a subprocess costs seconds)."""
    env = {"MCBADGE_KEYS_DIR": str(tmp_path / "keys"), "MCBADGE_KEY_PASSPHRASE": "p"}
    first = mcbadge_in_process(env, "rotate-key", "--issuer", "some-district")
    second = mcbadge_in_process(env, "rotate-key", "--issuer", "some-district")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "key-1" in first.stdout and "key-2" in second.stdout
    assert "PRIVATE" not in first.stdout + second.stdout
