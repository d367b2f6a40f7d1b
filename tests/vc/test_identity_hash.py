"""Whose credential is it: a subject's hashed or plain e-mail identity, matched against an address."""

from __future__ import annotations

from mcbadge.vc.identity_hash import identity_object, issued_to


def _credential(*identifiers: dict, many_subjects: bool = False) -> dict:
    subject = {"type": ["AchievementSubject"], "identifier": list(identifiers)}
    return {"credentialSubject": [{"type": ["AchievementSubject"]}, subject] if many_subjects else subject}


def test_a_hashed_address_names_its_holder_in_any_case_and_spacing():
    credential = _credential(identity_object("Teacher@Example.org").to_json_ld())
    assert issued_to(credential, " teacher@example.ORG ")
    assert not issued_to(credential, "someone.else@example.org")


def test_a_plain_address_and_any_subject_of_several():
    plain = {"type": "IdentityObject", "identityType": "emailAddress", "hashed": False,
             "identityHash": "teacher@example.org"}
    assert issued_to(_credential(plain, many_subjects=True), "Teacher@example.org")


def test_only_email_identities_count():
    other = identity_object("teacher@example.org").to_json_ld() | {"identityType": "sourcedId"}
    assert not issued_to(_credential(other), "teacher@example.org")
    assert not issued_to({"credentialSubject": "not an object"}, "teacher@example.org")
    assert not issued_to({}, "teacher@example.org")
