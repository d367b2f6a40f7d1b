"""Models: schema validity, JSON-LD safety (nothing dropped by expansion), serialisation, rubric outcome."""

from __future__ import annotations

import copy
import html
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError
from pyld import jsonld

from mcbadge.vc.canon import canonicalize
from mcbadge.vc.contexts import CREDENTIALS_V2, OB_EXTENSIONS, PINNED_LOADER
from mcbadge.vc.identity_hash import identity_matches, identity_object
from mcbadge.vc.models import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Alignment,
    CredentialSchema,
    Criteria,
    Image,
    Profile,
    RelatedResource,
    Result,
    ResultDescription,
    RubricCriterionLevel,
)
from mcbadge.vc.rubric import rubric_outcome
from mcbadge.vc.schema import (
    ACHIEVEMENT_CREDENTIAL_SCHEMA,
    ENDORSEMENT_CREDENTIAL_SCHEMA,
    SchemaProblem,
    applicable_schema,
    validate_achievement_credential,
    validate_as_json_ld,
    validate_credential_status,
    validate_endorsement_credential,
    validate_issued,
)

from tests.factories.credentials import CRITERIA, LEVELS, SUBJECT_EMAIL, rich_credential
from tests.reference_data import VECTORS

SPEC_EXAMPLES = VECTORS / "ob-v3p0/spec-examples"


def spec_example(name: str) -> dict[str, Any]:
    """The JSON of a 1EdTech spec example: a respec fragment in a JS template literal; JSON in its <pre>."""
    text = (SPEC_EXAMPLES / f"{name}.html").read_text("utf-8")
    opening = re.search(r"<pre\b[^>]*>", text)
    assert opening is not None
    # The closing tag is sometimes split across lines ("</pre\n>"), so decode just the first JSON value.
    doc, _ = json.JSONDecoder().raw_decode(html.unescape(text[opening.end() :]).lstrip())
    return doc


# --------------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------------


def test_rich_credential_is_schema_valid() -> None:
    assert validate_achievement_credential(rich_credential()) == []


def test_rich_credential_size_and_shape() -> None:
    doc = rich_credential()
    assert 3_500 < len(json.dumps(doc)) < 6_500
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert len(doc["evidence"]) == len(doc["relatedResource"]) == 2
    rubric = doc["credentialSubject"]["achievement"]["resultDescription"]
    assert [lvl["name"] for lvl in rubric[0]["rubricCriterionLevel"]] == [name for _, name in LEVELS]
    assert len(rubric) == len(CRITERIA) == 3
    assert doc["credentialStatus"]["statusListIndex"] == "94567"
    assert "proof" not in doc


@pytest.mark.parametrize(
    "name",
    [
        "basicOpenBadgeCredential",
        "fullOpenBadge",
        "achievementAlignmentCase",
        "achievementAlignmentCe",
        "skillAssertionCase",
        "skillAssertionCtdl",
    ],
)
def test_spec_examples_validate(name: str) -> None:
    assert validate_achievement_credential(spec_example(name)) == []


def test_spec_endorsement_validates() -> None:
    assert validate_endorsement_credential(spec_example("endorsement")) == []


def test_an_issued_credential_meets_the_schema_its_types_claim() -> None:
    """``validate_issued``: the unmodified schema an Open Badge or an endorsement claims, as the document is;
    a credential that is neither has no 1EdTech schema."""
    doc = rich_credential()
    assert applicable_schema(doc) == ACHIEVEMENT_CREDENTIAL_SCHEMA and validate_issued(doc) == []
    entry = doc["credentialStatus"]
    two = {**doc, "credentialStatus": [entry, {**entry, "statusPurpose": "suspension"}]}
    [problem] = validate_issued(two) or []
    assert problem.path == "credentialStatus" and problem.message.startswith("must be of type 'object', got [")
    endorsement = spec_example("endorsement")
    assert applicable_schema(endorsement) == ENDORSEMENT_CREDENTIAL_SCHEMA and validate_issued(endorsement) == []
    assert validate_issued({**endorsement, "type": ["VerifiableCredential", "EndorsementCredential",
                                                    "AchievementCredential"]})  # an Open Badge first
    plain = {"@context": [CREDENTIALS_V2], "type": ["VerifiableCredential", "RecognitionRegistryCredential"]}
    assert applicable_schema(plain) is None and validate_issued(plain) is None
    assert applicable_schema({**plain, "type": "OpenBadgeCredential"}) == ACHIEVEMENT_CREDENTIAL_SCHEMA


def test_broken_credential_yields_readable_problems() -> None:
    doc = rich_credential()
    del doc["issuer"]
    doc["type"] = "VerifiableCredential"
    doc["validFrom"] = "14 March 2025"
    doc["credentialSubject"]["achievement"]["type"] = ["Badge"]
    problems = validate_achievement_credential(doc)
    assert all(isinstance(p, SchemaProblem) for p in problems)
    rendered = [str(p) for p in problems]
    assert "(document): 'issuer' is a required property" in rendered
    assert 'type: must be of type \'array\', got "VerifiableCredential"' in rendered
    assert 'validFrom: "14 March 2025" is not a valid date-time' in rendered
    assert "credentialSubject.achievement.type: must contain 'Achievement'" in rendered
    # allOf repeats the credential ``type`` complaint per branch; it is reported once.
    assert len(rendered) == len(set(rendered))


def test_a_status_entry_alone_is_checked_as_in_a_credential() -> None:
    entry = rich_credential()["credentialStatus"]
    assert validate_credential_status(entry) == []
    in_credential = validate_achievement_credential({**rich_credential(), "credentialStatus": {**entry, "type": 7}})
    alone = validate_credential_status({**entry, "type": 7})
    assert [str(p) for p in alone] == [str(p) for p in in_credential] == [
        "credentialStatus.type: must be of type 'string', got 7"]
    assert [str(p) for p in validate_credential_status("not an object")] == [
        "credentialStatus: must be of type 'object', got \"not an object\""]


def test_problem_messages_do_not_dump_large_values() -> None:
    doc = rich_credential()
    doc["credentialSubject"]["achievement"]["resultDescription"] = {"huge": "x" * 10_000}
    (problem,) = validate_achievement_credential(doc)
    assert problem.path == "credentialSubject.achievement.resultDescription"
    assert len(problem.message) < 200


def test_schema_refuses_naive_and_impossible_timestamps() -> None:
    for bad in ("2025-03-14T15:09:26", "2025-02-30T00:00:00Z", "2025-03-14 15:09:26Z"):
        doc = rich_credential()
        doc["validFrom"] = bad
        assert [p.path for p in validate_achievement_credential(doc)] == ["validFrom"], bad
    doc = rich_credential()
    doc["validFrom"] = "2025-03-14T15:09:26.123+05:30"
    assert validate_achievement_credential(doc) == []


def test_array_positions_are_in_paths() -> None:
    doc = rich_credential()
    doc["evidence"][1]["type"] = "Evidence"
    assert [p.path for p in validate_achievement_credential(doc)] == ["evidence[1].type"]


# --------------------------------------------------------------------------------------------------
# JSON-LD: every emitted property is a defined term
# --------------------------------------------------------------------------------------------------


def _compact_leaves(value: Any, key: str | None = None) -> int:
    if key == "@context":
        return 0
    if isinstance(value, dict):
        return sum(_compact_leaves(v, k) for k, v in value.items())
    if isinstance(value, list):
        return sum(_compact_leaves(v) for v in value)
    return 1


def _expanded_leaves(value: Any) -> int:
    if isinstance(value, list):
        return sum(_expanded_leaves(v) for v in value)
    if not isinstance(value, dict):
        return 1
    if "@value" in value:
        return 1  # a literal; its @type/@language is part of the same leaf
    count = 0
    for key, item in value.items():
        if key == "@id":
            count += 1
        elif key == "@type":
            count += len(item)
        else:
            count += _expanded_leaves(item)
    return count


@pytest.mark.parametrize("text_extra", ["", " — Ünïcødé ✓ 教師", "\x00\x07\t\n\r\x1b\x7f tail"])
def test_expansion_keeps_every_value(text_extra: str) -> None:
    doc = rich_credential(text_extra=text_extra)
    expanded = jsonld.expand(copy.deepcopy(doc), {"documentLoader": PINNED_LOADER})
    # An undefined term is silently dropped by expansion; equal counts mean none was.
    assert _expanded_leaves(expanded) == _compact_leaves(doc)
    description = expanded[0]["https://schema.org/description"][0]["@value"]
    assert description.endswith(text_extra)


def test_leaf_counting_detects_a_dropped_term() -> None:
    doc = rich_credential()
    doc["credentialSubject"]["achievement"]["criteria"]["narative"] = "typo"
    expanded = jsonld.expand(copy.deepcopy(doc), {"documentLoader": PINNED_LOADER})
    assert _expanded_leaves(expanded) == _compact_leaves(doc) - 1


def test_rich_credential_canonicalizes_in_safe_mode() -> None:
    nquads = canonicalize(rich_credential(text_extra="\x0c✓"))
    assert "<https://w3id.org/security#digestMultibase>" in nquads
    assert "<https://www.w3.org/2018/credentials#relatedResource>" in nquads
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievedLevel>" in nquads


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------


def _credential(**changes: Any) -> AchievementCredential:
    doc = rich_credential()
    doc.update(changes)
    return AchievementCredential.model_validate(doc)


def test_round_trip_through_the_model_is_identity() -> None:
    doc = rich_credential()
    assert AchievementCredential.model_validate(doc).to_json_ld() == doc


def test_timestamps_are_utc_z_without_microseconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    cred = _credential(
        validFrom=datetime(2025, 3, 14, 17, 9, 26, 999_999, tzinfo=plus_two),
        validUntil="2030-01-01T00:00:00.5-05:00",
    )
    out = cred.to_json_ld()
    assert out["validFrom"] == "2025-03-14T15:09:26Z"
    assert out["validUntil"] == "2030-01-01T05:00:00Z"


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        _credential(validFrom=datetime(2025, 3, 14, 15, 9, 26))


def test_valid_until_must_follow_valid_from() -> None:
    with pytest.raises(ValidationError, match="validUntil"):
        _credential(validUntil="2025-03-14T15:09:26Z")


def test_typo_is_an_error() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        _credential(valdFrom="2025-03-14T15:09:26Z")
    with pytest.raises(ValidationError):
        Criteria.model_validate({"narative": "typo"})


def test_types_are_arrays_except_image_and_identity_object() -> None:
    doc = rich_credential()
    achievement = doc["credentialSubject"]["achievement"]
    assert achievement["image"]["type"] == "Image"
    assert doc["credentialSubject"]["identifier"][0]["type"] == "IdentityObject"
    assert doc["issuer"]["type"] == ["Profile"]
    assert achievement["alignment"][0]["type"] == ["Alignment"]
    assert doc["credentialStatus"]["type"] == "BitstringStatusListEntry"


def test_required_type_must_be_present() -> None:
    with pytest.raises(ValidationError, match="'Profile'"):
        Profile(id="did:web:example.org", name="X", type=["Organization"])
    with pytest.raises(ValidationError, match="OpenBadgeCredential"):
        _credential(type=["VerifiableCredential"])
    # AchievementCredential is the other name OB 3.0 accepts.
    assert _credential(type=["VerifiableCredential", "AchievementCredential"]).type[1] == "AchievementCredential"


def test_contexts_are_pinned_and_ordered() -> None:
    doc = rich_credential()
    with pytest.raises(ValidationError, match="@context must start"):
        _credential(**{"@context": list(reversed(doc["@context"]))})
    with pytest.raises(ValidationError, match="not pinned"):
        _credential(**{"@context": [*doc["@context"], "https://example.org/ctx.json"]})


def test_credential_schema_needs_the_extensions_context() -> None:
    schema = CredentialSchema(
        id="https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
    )
    with pytest.raises(ValidationError, match="extensions"):
        _credential(credentialSchema=[schema])
    doc = rich_credential()
    cred = _credential(credentialSchema=[schema], **{"@context": [*doc["@context"], OB_EXTENSIONS]})
    out = cred.to_json_ld()
    assert out["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"
    assert validate_achievement_credential(out) == []
    canonicalize(out)  # the extensions context defines the type, so safe mode accepts it


def test_relative_ids_are_refused() -> None:
    with pytest.raises(ValidationError):
        Image(id="images/badge.png")
    with pytest.raises(ValidationError):
        Profile(id="issuer-1", name="X")


def test_enumerations_and_extensions() -> None:
    criteria = Criteria(narrative="Do the thing.")
    with pytest.raises(ValidationError, match="achievement type"):
        Achievement(id="urn:x:1", name="n", description="d", criteria=criteria, achievementType="Microcredential")
    ok = Achievement(id="urn:x:1", name="n", description="d", criteria=criteria, achievementType="ext:TeacherBadge")
    assert ok.achievementType == "ext:TeacherBadge"
    with pytest.raises(ValidationError, match="alignment target type"):
        Alignment(targetName="n", targetUrl="https://x.example/", targetType="foo ext:x")


def test_rubric_consistency_is_checked_at_build_time() -> None:
    level = RubricCriterionLevel(id="urn:x:l0", name="Not yet", points=0)
    assert level.points == "0"  # the schema types points as a string
    with pytest.raises(ValidationError, match="requiredLevel"):
        ResultDescription(id="urn:x:rd", name="c", rubricCriterionLevel=[level])
    with pytest.raises(ValidationError, match="not one of the levels"):
        ResultDescription(id="urn:x:rd", name="c", rubricCriterionLevel=[level], requiredLevel="urn:x:l9")
    with pytest.raises(ValidationError, match="distinct ids"):
        ResultDescription(id="urn:x:rd", name="c", rubricCriterionLevel=[level, level], requiredLevel="urn:x:l0")


def test_results_must_point_into_the_achievement() -> None:
    doc = rich_credential()
    achievement = Achievement.model_validate(doc["credentialSubject"]["achievement"])
    rd_id = achievement.resultDescription[0].id  # type: ignore[index]
    with pytest.raises(ValidationError, match="does not define"):
        AchievementSubject(
            id="did:example:1", achievement=achievement, result=[Result(resultDescription="urn:x:nope")]
        )
    with pytest.raises(ValidationError, match="is not a level"):
        AchievementSubject(
            id="did:example:1",
            achievement=achievement,
            result=[Result(resultDescription=rd_id, achievedLevel="urn:x:l")],
        )


def test_subject_needs_id_or_identifier() -> None:
    achievement = Achievement.model_validate(rich_credential()["credentialSubject"]["achievement"])
    with pytest.raises(ValidationError, match="id or at least one identifier"):
        AchievementSubject(achievement=achievement)
    subject = AchievementSubject(achievement=achievement, identifier=[identity_object("t@example.org", "s")])
    assert "id" not in subject.to_json_ld()
    doc = rich_credential(subject_id=None)
    assert "id" not in doc["credentialSubject"]
    assert validate_achievement_credential(doc) == []


def test_related_resource_needs_a_digest() -> None:
    with pytest.raises(ValidationError, match="digestMultibase or digestSRI"):
        RelatedResource(id="https://example.org/evidence/1")


def test_empty_lists_and_none_are_not_emitted() -> None:
    achievement = Achievement(
        id="urn:x:1", name="n", description="d", criteria=Criteria(narrative="c"), alignment=[], tag=[]
    )
    assert achievement.to_json_ld() == {
        "id": "urn:x:1",
        "type": ["Achievement"],
        "name": "n",
        "description": "d",
        "criteria": {"narrative": "c"},
        "achievementType": "MicroCredential",
    }


def test_factory_parameters() -> None:
    doc = rich_credential(
        "did:web:issuer.example", credential_id="urn:uuid:00000000-0000-4000-8000-000000000000",
        subject_id="did:example:teacher", text_extra="!",
    )
    assert doc["issuer"]["id"] == "did:web:issuer.example"
    assert doc["id"] == "urn:uuid:00000000-0000-4000-8000-000000000000"
    assert doc["credentialSubject"]["id"] == "did:example:teacher"
    assert doc["description"].endswith("teaching.!")
    assert rich_credential() == rich_credential()  # deterministic
    assert rich_credential() is not rich_credential()


# --------------------------------------------------------------------------------------------------
# Hashed e-mail identity
# --------------------------------------------------------------------------------------------------


def test_identity_hash_matches_the_ob_spec_example() -> None:
    # OB 3.0 IdentityHash: 'sha256$b5809d8a…' is SHA-256 of 'a@example.comKosher'.
    identity = identity_object("a@example.com", "Kosher").to_json_ld()
    assert identity == {
        "type": "IdentityObject",
        "identityHash": "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "Kosher",
    }


def test_identity_normalisation_and_matching() -> None:
    identity = identity_object("  A@Example.COM ", "Kosher").to_json_ld()
    assert identity["identityHash"].endswith("b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399")
    assert identity_matches(identity, "a@example.com")
    assert not identity_matches(identity, "b@example.com")
    raw = identity_object("A@Example.com", "Kosher", normalize=False).to_json_ld()
    assert raw["identityHash"] != identity["identityHash"]
    subject_identity = rich_credential()["credentialSubject"]["identifier"][0]
    assert identity_matches(subject_identity, SUBJECT_EMAIL)


def test_identity_salt_is_random_by_default() -> None:
    first, second = identity_object("a@example.com"), identity_object("a@example.com")
    assert first.salt and second.salt and first.salt != second.salt
    assert first.identityHash != second.identityHash


def test_identity_matches_md5_and_plaintext() -> None:
    import hashlib

    md5 = {"identityHash": "md5$" + hashlib.md5(b"a@example.comx").hexdigest(), "hashed": True, "salt": "x"}
    assert identity_matches(md5, "a@example.com")
    assert identity_matches({"identityHash": "a@example.com", "hashed": False}, "A@example.com")
    assert not identity_matches({"identityHash": 5, "hashed": True}, "a@example.com")


# --------------------------------------------------------------------------------------------------
# Rubric outcome
# --------------------------------------------------------------------------------------------------


def _results(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["credentialSubject"]["result"]


def _rubric(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["credentialSubject"]["achievement"]["resultDescription"]


def test_rubric_met() -> None:
    outcome = rubric_outcome(rich_credential())
    assert outcome.met
    assert outcome.problems == ()
    assert [(c.name, c.achieved_level, c.required_level, c.met) for c in outcome.criteria] == [
        ("Uses varied checks for understanding", "Exemplary", "Proficient", True),
        ("Adjusts instruction to student evidence", "Proficient", "Proficient", True),
        ("Gathers evidence from every student", "Proficient", "Proficient", True),
    ]


def test_rubric_not_met() -> None:
    doc = rich_credential()
    _results(doc)[2]["achievedLevel"] = _rubric(doc)[2]["rubricCriterionLevel"][1]["id"]  # Developing
    outcome = rubric_outcome(doc)
    assert not outcome.met
    assert [c.met for c in outcome.criteria] == [True, True, False]
    assert outcome.criteria[2].achieved_level == "Developing"
    assert outcome.problems == ()


def test_rubric_unknown_level_is_a_problem_not_an_exception() -> None:
    doc = rich_credential()
    _results(doc)[0]["achievedLevel"] = "https://example.org/achievements/cfu#varied-9"
    outcome = rubric_outcome(doc)
    assert not outcome.met
    assert len(outcome.criteria) == 2
    (problem,) = outcome.problems
    assert problem.result_description_id == _rubric(doc)[0]["id"]
    assert "varied-9" in problem.message


def test_rubric_missing_and_dangling_ids() -> None:
    doc = rich_credential()
    del _results(doc)[1]["achievedLevel"]
    _results(doc)[2]["resultDescription"] = "https://example.org/achievements/cfu#nope"
    _rubric(doc)[0]["requiredLevel"] = "https://example.org/achievements/cfu#varied-7"
    messages = sorted(p.message for p in rubric_outcome(doc).problems)
    assert any("has no achievedLevel" in m for m in messages)
    assert any("unknown resultDescription" in m for m in messages)
    assert any("requiredLevel" in m and "varied-7" in m for m in messages)
    # The criterion whose only result now points elsewhere is reported as unassessed.
    assert any("'Gathers evidence from every student' has no result" in m for m in messages)


def test_rubric_ignores_non_rubric_results() -> None:
    doc = rich_credential()
    _rubric(doc).append(
        {"id": "urn:x:status", "type": ["ResultDescription"], "name": "Status", "resultType": "Status"}
    )
    _results(doc).append({"type": ["Result"], "resultDescription": "urn:x:status", "status": "Completed"})
    _results(doc).append({"type": ["Result"], "value": "A"})
    outcome = rubric_outcome(doc)
    assert outcome.met and len(outcome.criteria) == 3


def test_rubric_ranks_by_points_when_the_list_is_printed_highest_first() -> None:
    doc = rich_credential()
    for rd in _rubric(doc):
        rd["rubricCriterionLevel"].reverse()  # Exemplary first, as rubric tables are often printed
    outcome = rubric_outcome(doc)
    assert outcome.met
    assert {c.ordering for c in outcome.criteria} == {"points"}


def test_rubric_falls_back_to_position_without_distinct_points() -> None:
    doc = rich_credential()
    for rd in _rubric(doc):
        for level in rd["rubricCriterionLevel"]:
            level.pop("points")
    assert rubric_outcome(doc).met
    assert {c.ordering for c in rubric_outcome(doc).criteria} == {"position"}
    for rd in _rubric(doc):
        rd["rubricCriterionLevel"].reverse()  # now position says Exemplary is the lowest
    assert [c.met for c in rubric_outcome(doc).criteria] == [False, True, True]


def test_rubric_without_rubric_is_not_met_and_garbage_does_not_raise() -> None:
    basic = rubric_outcome(spec_example("basicOpenBadgeCredential"))
    assert basic.criteria == () and basic.problems == () and not basic.met
    for garbage in ({}, {"credentialSubject": 5}, {"credentialSubject": {"achievement": [], "result": "x"}},
                    {"credentialSubject": [{"result": [None, 3, {"resultDescription": ["a", "b"]}]}]}):
        assert not rubric_outcome(garbage).met


# --------------------------------------------------------------------------------------------------
# Read as JSON-LD: a single value and a one-element array alike
# --------------------------------------------------------------------------------------------------


def test_json_ld_reading_treats_one_value_and_a_one_element_array_alike() -> None:
    endorsement = {**spec_example("endorsement"), "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                                                              "proofPurpose": "assertionMethod", "proofValue": "z1",
                                                              "verificationMethod": "did:example:1#k"}}
    del endorsement["credentialStatus"]
    doc = rich_credential()
    doc["credentialSubject"]["achievement"]["type"] = "Achievement"  # strict: an array
    doc["credentialSubject"]["achievement"]["endorsement"] = endorsement  # strict: an array, whose proof too
    doc["credentialSubject"] = [doc["credentialSubject"]]  # strict: one object
    doc["proof"] = endorsement["proof"]  # strict: an array
    strict = [str(p) for p in validate_achievement_credential(doc)]
    assert any(p.startswith("proof: must be of type 'array'") for p in strict), strict
    assert any(p.startswith("credentialSubject: must be of type 'object'") for p in strict), strict
    assert validate_as_json_ld(doc, ACHIEVEMENT_CREDENTIAL_SCHEMA) == []
    # The proof of the embedded endorsement was reshaped too (it is only reached once the endorsement is).
    assert [str(p) for p in validate_endorsement_credential(endorsement)] == [
        "proof: must be of type 'array', got " + json.dumps(endorsement["proof"])[:79] + "…"]
    assert validate_as_json_ld(endorsement, ENDORSEMENT_CREDENTIAL_SCHEMA) == []
    # What is wrong still is: reshaping never makes a bad value good.
    doc["credentialSubject"][0]["achievement"]["endorsement"]["validFrom"] = "yesterday"
    assert [str(p) for p in validate_as_json_ld(doc, ACHIEVEMENT_CREDENTIAL_SCHEMA)] == [
        'credentialSubject.achievement.endorsement[0].validFrom: "yesterday" is not a valid date-time']  # as read
