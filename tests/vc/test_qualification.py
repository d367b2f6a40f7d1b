"""vc.qualification and verify()'s ``assessor_qualification`` check, in memory: what an award must cite, and
each way a cited qualification can fail to hold at the time of the assessment."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_key_from_public
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.qualification import (
    QualificationError,
    QualificationRecord,
    assessor_pseudonym,
    qualification_credential,
    qualification_digest,
    qualification_references,
)
from mcbadge.vc.status_list import BitstringStatusList, status_list_credential
from tests.factories.credentials import rich_credential
from tests.factories.world import BASE, ISSUER, STATUS_URL, World

KEY_URL = f"{BASE}/issuers/d/microcredentials/cfu"
QUALIFICATION = f"{BASE}/issuers/d/qualifications/1"
AWARDED = datetime(2025, 3, 14, 15, 9, 26, tzinfo=timezone.utc)
"""The award's validFrom: the time of the assessment the check judges at."""


def _qualification(signer: Ed25519KeyPair, *, issuer: str = ISSUER, key_url: str = KEY_URL,
                   valid_from: datetime = AWARDED - timedelta(days=30), days: int = 365,
                   status_url: str = STATUS_URL, index: int = 40) -> dict[str, Any]:
    unsigned = qualification_credential(
        id=QUALIFICATION, issuer=issuer, issuer_name="District D", key_url=key_url,
        microcredential_title="Checking for Understanding", pseudonym=assessor_pseudonym(b"s" * 32, "person-1"),
        assessor_name=None, valid_from=valid_from, valid_until=valid_from + timedelta(days=days),
        exact_percent=83, adjacent_percent=100, criteria="Calibrated.",
        credential_status={"id": f"{status_url}#{index}", "type": "BitstringStatusListEntry",
                           "statusPurpose": "revocation", "statusListIndex": str(index),
                           "statusListCredential": status_url})
    return sign_credential(unsigned, signer)


def _award(world: World, qualification: dict[str, Any], *, digest: str | None = None,
           issuer_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE, valid_from=AWARDED)
    unsigned["credentialSubject"]["achievement"]["id"] = f"{KEY_URL}/v2"
    unsigned["evidence"].append({"id": QUALIFICATION, "type": ["Evidence"], "genre": "Assessment",
                                 "name": "Assessor qualification", "description": "Scored by assessor x."})
    unsigned["relatedResource"].append({"id": QUALIFICATION, "mediaType": "application/ld+json",
                                        "digestMultibase": digest or qualification_digest(qualification)})
    unsigned["issuer"].update(issuer_extra or {})
    return sign_credential(unsigned, world.key)


def _check(world: World, award: dict[str, Any], record: QualificationRecord | None, **kwargs: Any):
    fetcher = None if record is None else (lambda url: record)
    report = world.verify(award, qualification_fetcher=fetcher, **kwargs)
    found = report.check("assessor_qualification")
    assert found is not None, [c.code for c in report.checks]
    return report, found


def test_a_qualification_valid_and_not_revoked_at_the_assessment_passes():
    world = World()
    qualification = _qualification(world.key)
    award = _award(world, qualification)
    assert [r.id for r in qualification_references(award)] == [QUALIFICATION]
    report, found = _check(world, award, QualificationRecord(qualification))
    assert found.outcome.value == "passed", found.message
    assert report.verified and "warnings" not in found.details
    assert found.details["qualifications"][0]["assessor"] == assessor_pseudonym(b"s" * 32, "person-1")
    # Without a source of qualifications: not checked, never passed.
    report, found = _check(world, award, None)
    assert found.outcome.value == "not_checked" and report.verified


def test_a_credential_citing_none_gets_no_check():
    world = World()
    assert world.verify(world.credential()).check("assessor_qualification") is None


def test_revocation_dates_decide_between_warning_failure_and_not_checked():
    world = World()
    qualification = _qualification(world.key, index=41)
    award = _award(world, qualification)
    world.status.set(41, True)
    world.publish_status()
    later, earlier = AWARDED + timedelta(days=3), AWARDED - timedelta(days=3)
    report, found = _check(world, award, QualificationRecord(qualification, revoked_from=later))
    assert found.outcome.value == "passed" and report.verified
    assert found.details["warnings"] == [f"the qualification of {found.details['qualifications'][0]['assessor']} "
                                         "was revoked on 2025-03-17T15:09:26Z, after the assessment"]
    assert report.summary.endswith(f"Warning: {found.details['warnings'][0]}.")
    report, found = _check(world, award, QualificationRecord(qualification, revoked_from=earlier))
    assert found.outcome.value == "failed" and "before the assessment" in found.message and not report.verified
    # Revoked now by the status list, and the source cannot date it: it cannot be ruled out either way.
    report, found = _check(world, award, QualificationRecord(qualification, revocation_known=False))
    assert found.outcome.value == "not_checked" and report.verified


def test_validity_is_judged_at_the_assessment_not_now():
    world = World()
    # Expired long before now, but valid at the assessment: passes.
    held = _qualification(world.key, valid_from=AWARDED - timedelta(days=300), days=365)
    assert _check(world, _award(world, held), QualificationRecord(held))[1].outcome.value == "passed"
    # Expired before the assessment, or issued after it: fails.
    for lapsed in (_qualification(world.key, valid_from=AWARDED - timedelta(days=400), days=365),
                   _qualification(world.key, valid_from=AWARDED + timedelta(days=1))):
        found = _check(world, _award(world, lapsed), QualificationRecord(lapsed))[1]
        assert found.outcome.value == "failed" and "not valid at the time of the assessment" in found.message


def test_the_issuer_the_micro_credential_and_the_digest_must_match():
    world = World()
    other = Ed25519KeyPair.generate()
    other_did = did_key_from_public(other.public_key)
    other = other.bound(other_did)
    other_list = "https://state.example/status/1"
    world.documents[other_list] = sign_credential(status_list_credential(
        id=other_list, issuer=other_did, status_purpose="revocation",
        encoded_list=BitstringStatusList().encode()), other)
    foreign = _qualification(other, issuer=other_did, status_url=other_list)
    found = _check(world, _award(world, foreign), QualificationRecord(foreign))[1]
    assert found.outcome.value == "failed" and f"issued by {other_did}" in found.message
    # ...unless the award's issuer names that issuer as its parent organisation (a state that qualifies
    # the assessors of its districts).
    named = _award(world, foreign, issuer_extra={"parentOrg": {"id": other_did, "type": ["Profile"],
                                                               "name": "State S"}})
    found = _check(world, named, QualificationRecord(foreign))[1]
    assert found.outcome.value == "passed", found.message

    elsewhere = _qualification(world.key, key_url=f"{BASE}/issuers/d/microcredentials/another")
    found = _check(world, _award(world, elsewhere), QualificationRecord(elsewhere))[1]
    assert found.outcome.value == "failed" and "not a qualification to assess this micro-credential" in found.message

    qualification = _qualification(world.key)
    wrong = _award(world, qualification, digest=qualification_digest({"another": "document"}))
    found = _check(world, wrong, QualificationRecord(qualification))[1]
    assert found.outcome.value == "failed" and "digest does not match" in found.message
    tampered = {**qualification, "validUntil": "2099-01-01T00:00:00Z"}
    found = _check(world, _award(world, tampered), QualificationRecord(tampered))[1]
    assert found.outcome.value == "failed" and "does not verify" in found.message


def test_the_pseudonym_is_keyed_and_the_builder_refuses_a_bad_qualification():
    assert assessor_pseudonym(b"k" * 32, "p") == assessor_pseudonym(b"k" * 32, "p")
    assert assessor_pseudonym(b"k" * 32, "p") != assessor_pseudonym(b"j" * 32, "p")
    assert len(assessor_pseudonym(b"k" * 32, "p")) == 26
    with pytest.raises(QualificationError):
        assessor_pseudonym(b"short", "p")
    with pytest.raises(QualificationError):
        _qualification(Ed25519KeyPair.generate().bound(ISSUER), days=0)  # validUntil must follow validFrom
