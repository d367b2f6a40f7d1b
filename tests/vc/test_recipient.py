"""The ``recipient`` check: an identifier a verifier typed, compared with how a credential names its recipient
(OB 3.0 IdentityObject, hashed with a salt or not; the subject's DID; OB 2.0's recipient)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from mcbadge.vc.identity_hash import identity_object
from mcbadge.vc.recipient import identifier_kind, ob2_recipient_check, recipient_check
from mcbadge.vc.verify import Outcome

DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _credential(*identifiers: dict[str, Any], subject_id: str | None = None) -> dict[str, Any]:
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "identifier": list(identifiers)}
    if subject_id:
        subject["id"] = subject_id
    return {"credentialSubject": subject}


def _identity(kind: str, value: str, *, salt: str | None = "s4lt", algorithm: str = "sha256") -> dict[str, Any]:
    if salt is None:
        return {"type": "IdentityObject", "identityType": kind, "hashed": False, "identityHash": value}
    digest = hashlib.new(algorithm, (value + salt).encode()).hexdigest()
    return {"type": "IdentityObject", "identityType": kind, "hashed": True, "salt": salt,
            "identityHash": f"{algorithm}${digest}"}


@pytest.mark.parametrize(("typed", "kind"), [
    ("teacher@example.org", "email"), ("https://teacher.example.org/", "url"), ("+1 (555) 010-0100", "telephone"),
    (DID, "did"),
])
def test_the_kind_is_read_from_what_was_typed(typed: str, kind: str) -> None:
    assert identifier_kind(typed) == kind


def test_hashed_email_with_salt_in_any_case_and_md5() -> None:
    credential = _credential(identity_object("Teacher@Example.org", "pepper").to_json_ld())
    check = recipient_check(credential, "  TEACHER@example.org ")
    assert check.outcome is Outcome.PASSED and "salted hash" in check.message
    md5 = _credential(_identity("emailAddress", "teacher@example.org", algorithm="md5"))
    assert recipient_check(md5, "teacher@example.org").outcome is Outcome.PASSED
    wrong = recipient_check(credential, "other@example.org")
    assert wrong.outcome is Outcome.FAILED
    assert "other@example.org" not in wrong.message and "teacher" not in wrong.message.lower()


def test_plain_identities_did_url_and_telephone() -> None:
    plain = _credential(_identity("emailAddress", "teacher@example.org", salt=None))
    check = recipient_check(plain, "Teacher@Example.org")
    assert check.outcome is Outcome.PASSED and "teacher@example.org" not in check.message  # never shown in clear
    assert recipient_check(_credential(subject_id=DID), DID).outcome is Outcome.PASSED
    assert recipient_check(_credential(subject_id=DID), "did:key:z6Mkother").outcome is Outcome.FAILED
    url = _credential(_identity("url", "https://teacher.example.org/"))
    assert recipient_check(url, "https://teacher.example.org/").outcome is Outcome.PASSED
    phone = _credential(_identity("phone", "+15550100100"))
    assert recipient_check(phone, "+1 555-010-0100").outcome is Outcome.PASSED


def test_nothing_of_that_kind_is_not_checked() -> None:
    credential = _credential(identity_object("teacher@example.org").to_json_ld())
    check = recipient_check(credential, "+1 555 010 0100")
    assert check.outcome is Outcome.NOT_CHECKED and "telephone number" in check.message
    assert recipient_check({}, "teacher@example.org").outcome is Outcome.NOT_CHECKED


def test_ob2_recipient_hashed_and_plain() -> None:
    hashed = {"recipient": {"type": "email", "hashed": True, "salt": "deadsea",
                            "identity": "sha256$" + hashlib.sha256(b"ada@example.org" + b"deadsea").hexdigest()}}
    assert ob2_recipient_check(hashed, "Ada@Example.org").outcome is Outcome.PASSED
    assert ob2_recipient_check(hashed, "bob@example.org").outcome is Outcome.FAILED
    plain = {"recipient": {"type": "telephone", "hashed": False, "identity": "+15550100100"}}
    assert ob2_recipient_check(plain, "+1 555 010 0100").outcome is Outcome.PASSED
    assert ob2_recipient_check(plain, "ada@example.org").outcome is Outcome.NOT_CHECKED
