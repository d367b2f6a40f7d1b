"""The pre-issuance conformance gate's parts, with the award builder directly (no server): the sample award
of a sound definition passes; what the builder makes for an issuer that opted into suspension (two status
entries) is what the checks refuse; a definition the OB models cannot state is reported, not raised. The
gate over HTTP is in tests/catalog/test_catalog.py; every kind of issued credential in
tests/integration/test_issued_conformance.py."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timezone

from mcbadge.credentials.build import build_credential
from mcbadge.credentials.conformance import conformance_problems, sample_context, sample_problems
from mcbadge.db.models import Issuer, MicroCredential, MicroCredentialStatus
from mcbadge.identity import issuer_did
from mcbadge.vc.status_list import status_entry
from tests.factories.catalog import microcredential_body

BASE = "https://badges.example.org"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def _issuer() -> Issuer:
    return Issuer(id=uuid.uuid4(), slug="district-a", name="District A", url="https://district-a.example.org/",
                  email="badges@district-a.example.org", image_url="https://district-a.example.org/logo.png",
                  validity_days=1095)


def _version(issuer: Issuer, **overrides: object) -> MicroCredential:
    return MicroCredential(id=uuid.uuid4(), issuer_id=issuer.id, version=1, status=MicroCredentialStatus.DRAFT,
                           **microcredential_body(**overrides))


def test_the_sample_of_a_sound_definition_is_conformant() -> None:
    issuer = _issuer()
    mc = _version(issuer)
    assert sample_problems(issuer, mc, BASE) == []
    document = build_credential(sample_context(issuer, mc, BASE), public_base_url=BASE, valid_from=NOW)
    assert document["credentialStatus"]["statusPurpose"] == "revocation"
    assert {e.get("genre") for e in document["evidence"]} == {"File", "Link", "Reflection", "Assessment"}
    assert conformance_problems(document, issuer_did(BASE, issuer.slug)) == []


def test_the_checks_refuse_what_an_opted_in_issuer_issues() -> None:
    """The builder, given the suspension entry an opted-in issuer's awards carry, makes the VC 2.0 array the
    1EdTech schema refuses; the data model accepts it."""
    issuer = _issuer()
    context = sample_context(issuer, _version(issuer), BASE)
    suspension = status_entry(list_credential_url=f"{BASE}/issuers/district-a/status/suspension/1", index=0,
                              purpose="suspension")
    document = build_credential(dataclasses.replace(context, suspension_entry=suspension), public_base_url=BASE,
                                valid_from=NOW)
    assert [e["statusPurpose"] for e in document["credentialStatus"]] == ["revocation", "suspension"]
    [problem] = conformance_problems(document, issuer_did(BASE, issuer.slug))
    assert problem.startswith("1EdTech OB 3.0 schema: credentialStatus: must be of type 'object', got ["), problem


def test_what_cannot_be_stated_is_reported_with_where() -> None:
    issuer = _issuer()
    blank = [{"target_name": "InTASC 6", "target_url": "https://example.org/intasc-6", "target_framework": ""}]
    assert sample_problems(issuer, _version(issuer, alignments=blank), BASE) == [
        "the credential cannot be built: Alignment.targetFramework: String should have at least 1 character (got '')"]
    # A row written before the catalog checked its rubric (no level names) is reported, not raised.
    broken = {"levels": [{"key": "a"}, {"key": "b"}], "criteria": [{"key": "c", "name": "C", "required_level": "b"}]}
    [reason] = sample_problems(issuer, _version(issuer, rubric=broken), BASE)
    assert reason == "the credential cannot be built: KeyError('name')"
    # The issuer's own profile goes into every award: it is checked with the version.
    issuer.image_url = "https://district-a.example.org/{logo}.png"
    [reason] = sample_problems(issuer, _version(issuer), BASE)
    assert reason.startswith("the credential cannot be built: Image.id:") and "{logo}" in reason
