"""verify(): the report an employer reads, and the tamper matrix (each attack fails with the right check)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from mcbadge.vc import evidence
from mcbadge.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXTS
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import (
    did_key_from_public,
    did_web_document,
    did_web_to_url,
)
from mcbadge.vc.jwt import encode_vc_jwt
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.verify import Outcome
from tests.factories.credentials import EVIDENCE_FILES, rich_credential
from tests.factories.world import BASE, ISSUER, STATUS_URL, World, now


@pytest.fixture
def world() -> World:
    return World()


def outcomes(report) -> dict[str, str]:
    return {c.code: c.outcome.value for c in report.checks}


def test_a_good_credential_passes_every_check(world):
    report = world.verify(world.credential(), evidence_files=[EVIDENCE_FILES["lesson-video"]])
    assert outcomes(report) == {
        "parse": "passed", "context": "passed", "schema": "passed", "issuer_key": "passed", "proof": "passed",
        "validity": "passed", "status": "passed", "evidence_digest": "passed", "rubric": "passed",
    }
    assert report.verified and report.summary == "Verified: every check passed."
    assert report.to_dict()["verified"] is True


def test_evidence_without_files_is_not_checked_and_the_summary_says_so(world):
    # Issue 14 part 2: recorded digests prove nothing about a file nobody gave: "not checked", never "passed".
    report = world.verify(world.credential())
    check = report.check("evidence_digest")
    assert check.outcome is Outcome.NOT_CHECKED
    assert check.message.startswith("not checked: give the files to compare")
    assert report.verified
    assert report.summary == ("Verified: every check passed. The evidence files were not compared: give them to "
                              "compare.")


def test_evidence_files_are_matched_against_their_digests(world):
    credential = world.credential()
    report = world.verify(credential, evidence_files=[EVIDENCE_FILES["lesson-video"]])
    assert report.check("evidence_digest").outcome is Outcome.PASSED
    assert "Recorded lesson" in report.check("evidence_digest").message
    # A file that is not the evidence is a verdict on that file (by its name), not on the credential.
    report = world.verify(credential, evidence_files=[evidence.GivenFile.of("other.mp4", b"a different video")])
    check = report.check("evidence_digest")
    assert check.outcome is Outcome.NOT_CHECKED
    assert "other.mp4 is not the evidence the assessor scored" in check.message
    assert check.details["files"] == [{"name": "other.mp4", "matched": False, "evidence": []}]
    assert report.verified
    report = world.verify(credential, evidence_files=[
        evidence.GivenFile.of("lesson.mp4", EVIDENCE_FILES["lesson-video"]),
        evidence.GivenFile.of("other.mp4", b"a different video")])
    check = report.check("evidence_digest")
    assert check.outcome is Outcome.PASSED and report.verified
    assert "lesson.mp4 (Recorded lesson" in check.message
    assert "other.mp4 is not the evidence the assessor scored" in check.message


def test_evidence_is_matched_by_a_sha256_digest_alone(world):
    credential = world.credential()
    digest = hashlib.sha256(EVIDENCE_FILES["lesson-video"]).digest()
    report = world.verify(credential, evidence_files=[evidence.GivenFile("lesson.mp4", digest)])
    assert report.check("evidence_digest").outcome is Outcome.PASSED
    assert "lesson.mp4 (Recorded lesson" in report.check("evidence_digest").message
    wrong = evidence.GivenFile("lesson.mp4", hashlib.sha256(b"x").digest())
    assert world.verify(credential, evidence_files=[wrong]).check("evidence_digest").outcome is Outcome.NOT_CHECKED


def test_revoked_credential_fails_status(world):
    credential = world.credential()
    index = int(credential["credentialStatus"]["statusListIndex"])
    world.status.set(index, True)
    world.publish_status()
    report = world.verify(credential)
    assert report.check("status").outcome is Outcome.FAILED
    assert "revoked" in report.check("status").message
    assert report.check("proof").outcome is Outcome.PASSED and not report.verified


def test_unreachable_status_list_is_not_checked_never_passed(world):
    del world.documents[STATUS_URL]
    report = world.verify(world.credential())
    assert report.check("status").outcome is Outcome.NOT_CHECKED
    assert "could not be checked" in report.check("status").message
    assert report.verified and "could not be made: status" in report.summary


def test_status_list_signed_by_someone_else_fails(world):
    mallory = Ed25519KeyPair.generate()
    mallory = mallory.bound(did_key_from_public(mallory.public_key))
    world.publish_status(signer=mallory, issuer=mallory.controller)
    report = world.verify(world.credential())
    assert report.check("status").outcome is Outcome.FAILED and "not trustworthy" in report.check("status").message


def test_status_list_with_forged_signature_fails(world):
    mallory = Ed25519KeyPair.generate().bound(ISSUER)  # claims to be the issuer, but is not in its DID document
    world.publish_status(signer=mallory)
    report = world.verify(world.credential())
    assert report.check("status").outcome is Outcome.FAILED


def test_expired_and_not_yet_valid(world):
    expired = rich_credential(issuer_id=ISSUER, base_url=BASE)
    expired["validUntil"] = "2025-06-01T00:00:00Z"
    report = world.verify(sign_credential(expired, world.key))
    assert report.check("validity").outcome is Outcome.FAILED and "expired" in report.check("validity").message
    future = world.credential(valid_from=now() + timedelta(days=3))
    assert world.verify(future).check("validity").outcome is Outcome.FAILED


def test_rubric_below_required_level_fails(world):
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE)
    result = unsigned["credentialSubject"]["result"][0]
    levels = next(rd for rd in unsigned["credentialSubject"]["achievement"]["resultDescription"]
                  if rd["id"] == result["resultDescription"])["rubricCriterionLevel"]
    result["achievedLevel"] = levels[0]["id"]
    report = world.verify(sign_credential(unsigned, world.key))
    assert report.check("rubric").outcome is Outcome.FAILED
    assert "below the required level" in report.check("rubric").message
    assert report.check("proof").outcome is Outcome.PASSED


def test_vc_jwt_is_verified_too(world):
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE)
    token = encode_vc_jwt(unsigned, world.key, now=now())
    report = world.verify(token)
    assert report.format == "jwt" and report.verified, report.summary
    envelope = {"@context": [CREDENTIALS_V2], "type": "EnvelopedVerifiableCredential",
                "id": "data:application/vc+jwt," + token}
    assert world.verify(envelope).verified
    header, payload, signature = token.split(".")
    forged = world.verify(f"{header}.{payload}.{signature[:-4]}AAAA")
    assert forged.check("proof").outcome is Outcome.FAILED and not forged.verified


@pytest.mark.parametrize("garbage", [None, 42, "not json", "{", b"\xff\xfe", [], {"type": ["Something"]}])
def test_garbage_is_a_failed_parse_not_an_exception(world, garbage):
    report = world.verify(garbage)
    assert report.check("parse").outcome is Outcome.FAILED and not report.verified


# -- the tamper matrix ---------------------------------------------------------------------------


def _set(path: str, value: Any):
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return mutate


SIGNED_FIELD_CHANGES = {
    "name": _set("name", "Master Teacher"),
    "description": _set("description", "Edited"),
    "validFrom": _set("validFrom", "2020-01-01T00:00:00Z"),
    "issuer.name": _set("issuer.name", "Another District"),
    "subject.id": _set("credentialSubject.id", "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"),
    "achievement.name": _set("credentialSubject.achievement.name", "Something else"),
    "criteria": _set("credentialSubject.achievement.criteria.narrative", "Nothing required"),
    "rubric.requiredLevel": _set("credentialSubject.achievement.resultDescription.0.name", "Edited criterion"),
    "evidence.name": _set("evidence.0.name", "Different video"),
    "evidence.digest": _set("relatedResource.0.digestMultibase", "uEiDm5x4Plb8hHk1Z1k0T2YvYVpS3xeHkE8c9xZk2Yl1kQw"),
    "status.index": _set("credentialStatus.statusListIndex", "1"),
}


@pytest.mark.parametrize("change", SIGNED_FIELD_CHANGES.values(), ids=SIGNED_FIELD_CHANGES.keys())
def test_changing_any_signed_field_fails_the_proof(world, change):
    credential = world.credential()
    change(credential)
    report = world.verify(credential)
    assert report.check("proof").outcome is Outcome.FAILED, report.summary
    assert not report.verified


def test_swapping_proofs_between_credentials_fails(world):
    a = world.credential()
    b = world.credential(credential_id="urn:uuid:00000000-0000-4000-8000-000000000002")
    a["proof"], b["proof"] = b["proof"], a["proof"]
    for doc in (a, b):
        assert world.verify(doc).check("proof").outcome is Outcome.FAILED


def test_resigning_with_another_did_key_under_the_victims_issuer_fails_issuer_key(world):
    mallory = Ed25519KeyPair.generate()
    mallory = mallory.bound(did_key_from_public(mallory.public_key))
    forged = sign_credential(rich_credential(issuer_id=ISSUER, base_url=BASE), mallory)
    report = world.verify(forged)
    assert report.check("issuer_key").outcome is Outcome.FAILED
    assert not report.verified


def test_key_claimed_under_the_issuers_did_but_not_listed_fails_issuer_key(world):
    mallory = Ed25519KeyPair.generate().bound(ISSUER)  # verificationMethod did:web:district.example#z6Mk<mallory>
    forged = sign_credential(rich_credential(issuer_id=ISSUER, base_url=BASE), mallory)
    report = world.verify(forged)
    assert report.check("issuer_key").outcome is Outcome.FAILED and not report.verified


def test_key_listed_only_for_authentication_fails_issuer_key(world):
    world.documents[did_web_to_url(ISSUER)] = did_web_document(ISSUER, [world.key.public_key], assertion=False)
    report = world.verify(world.credential())
    assert report.check("issuer_key").outcome is Outcome.FAILED and "assertionMethod" in report.check("issuer_key").message


@pytest.mark.parametrize("suite", ["ecdsa-rdfc-2019", "eddsa-jcs-2022", "eddsa-2022"])
def test_relabelled_cryptosuite_fails_the_proof(world, suite):
    credential = world.credential()
    credential["proof"]["cryptosuite"] = suite
    assert world.verify(credential).check("proof").outcome is Outcome.FAILED


def test_changed_proof_purpose_fails_the_proof(world):
    credential = world.credential()
    credential["proof"]["proofPurpose"] = "authentication"
    report = world.verify(credential)
    assert report.check("proof").outcome is Outcome.FAILED and "proofPurpose" in report.check("proof").message


def test_swapped_context_version_fails_the_proof(world):
    credential = world.credential()
    credential["@context"] = [CREDENTIALS_V2, OB_V3P0_CONTEXTS[2]]  # 3.0.3 -> 3.0.2
    report = world.verify(credential)
    assert report.check("proof").outcome is Outcome.FAILED


def test_added_undefined_property_fails_context_and_proof(world):
    credential = world.credential()
    credential["credentialSubject"]["gpa"] = "4.0"
    report = world.verify(credential)
    assert report.check("context").outcome is Outcome.FAILED and "'gpa'" in report.check("context").message
    assert report.check("proof").outcome is Outcome.FAILED and not report.verified


def test_unsigned_credential_fails(world):
    report = world.verify(rich_credential(issuer_id=ISSUER, base_url=BASE))
    assert report.check("proof").outcome is Outcome.FAILED and "not signed" in report.check("proof").message


def test_vc_jwt_signed_by_a_key_the_issuer_does_not_list_fails_issuer_key(world):
    mallory = Ed25519KeyPair.generate().bound(ISSUER)
    token = encode_vc_jwt(rich_credential(issuer_id=ISSUER, base_url=BASE), mallory, now=now())
    report = world.verify(token)
    assert report.check("issuer_key").outcome is Outcome.FAILED and not report.verified


def test_vc_1_1_credential_as_standard_suites_send_it(world):
    v1 = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/security/data-integrity/v2"],
        "id": "urn:uuid:9d6a3f80-2f8e-4c57-8c0c-0c0c0c0c0c0c",
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "issuanceDate": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:teacher"},
    }
    report = world.verify(sign_credential(v1, world.key))
    assert report.verified, report.summary
    assert report.check("validity").outcome is Outcome.PASSED
    undefined = {**v1, "credentialSubject": {"id": "did:example:teacher", "undefinedTerm": 1}}
    with pytest.raises(Exception, match="undefinedTerm"):
        sign_credential(undefined, world.key)


def test_each_of_several_status_entries_is_checked_against_the_schema(world):
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE)
    entry = unsigned["credentialStatus"]
    unsigned["credentialStatus"] = [entry, {**entry, "id": entry["id"] + "0", "statusPurpose": "suspension"}]
    world.documents[STATUS_URL]  # the revocation list exists; the suspension entry points at the same URL
    assert world.verify(sign_credential(unsigned, world.key)).check("schema").outcome is Outcome.PASSED
    unsigned["credentialStatus"] = [entry, {"type": "BitstringStatusListEntry"}]
    schema_check = world.verify(sign_credential(unsigned, world.key)).check("schema")
    assert schema_check.outcome is Outcome.FAILED
    assert schema_check.details["problems"] == ["credentialStatus: 'id' is a required property"]
    unsigned["credentialStatus"] = [{"type": "BitstringStatusListEntry"}, entry]  # the first one, too
    assert world.verify(sign_credential(unsigned, world.key)).check("schema").outcome is Outcome.FAILED


def test_status_list_signatures_are_checked_once_but_their_keys_every_time(world):
    cache: dict[bytes, bool] = {}
    credential = world.credential()
    assert world.verify(credential, status_list_cache=cache).verified and len(cache) == 1
    assert world.verify(credential, status_list_cache=cache).verified and len(cache) == 1
    # A list re-signed by a key the issuer does not list fails, cache or not.
    world.publish_status(signer=Ed25519KeyPair.generate().bound(ISSUER))
    assert world.verify(credential, status_list_cache=cache).check("status").outcome is Outcome.FAILED
    # The issuer drops its key from the DID document: the cached signature no longer helps.
    world.publish_status()
    other = Ed25519KeyPair.generate()
    world.documents[did_web_to_url(ISSUER)] = did_web_document(ISSUER, [other.public_key])
    report = world.verify(credential, status_list_cache=cache)
    assert report.check("status").outcome is Outcome.FAILED and report.check("issuer_key").outcome is Outcome.FAILED
    # A changed list (revocation) is a different document: checked afresh, and its bit is read.
    world.documents[did_web_to_url(ISSUER)] = did_web_document(ISSUER, [world.key.public_key])
    world.status.set(int(credential["credentialStatus"]["statusListIndex"]), True)
    world.publish_status()
    assert "revoked" in world.verify(credential, status_list_cache=cache).check("status").message
