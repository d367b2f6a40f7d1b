"""Evidence digests: multihash/multibase encoding, SRI, the relatedResource design, file matching."""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

import pytest
from pyld import jsonld

from mcbadge.vc.contexts import PINNED_LOADER
from mcbadge.vc.evidence import (
    SUPPORTED_ALGORITHMS,
    DigestFormatError,
    check_file_against_credential,
    digest_multibase,
    digest_multibase_b58,
    digest_sri,
    evidence_entry,
    match_file,
    parse_digest_multibase,
    parse_digest_sri,
    split_evidence,
)
from mcbadge.vc.models import Evidence, RelatedResource

from tests.factories.credentials import EVIDENCE_FILES, rich_credential
from tests.reference_data import REPO, TESTS

CONTEXTS = REPO / "src/mcbadge/vc/contexts"
VIDEO_ID = "https://example.org/evidence/lesson-video"
REFLECTION_ID = "https://example.org/evidence/reflection"


# --------------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------------


def test_digest_multibase_reproduces_the_vc2_spec_examples() -> None:
    # VC Data Model 2.0, Example 26: digestMultibase (base64url-nopad sha2-256) of the two contexts.
    v2 = (CONTEXTS / "credentials-v2.jsonld").read_bytes()
    examples = (TESTS / "contexts/credentials-examples-v2.jsonld").read_bytes()
    assert digest_multibase(v2) == "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA"
    assert digest_multibase(examples) == "uEiBXOT-8adbvubm13Jy2uYgLCUQ2Cr_i6vRZyeWM8iedfA"


@pytest.mark.parametrize(
    ("algorithm", "code", "hashlib_name"),
    [
        ("sha2-256", 0x12, "sha256"),
        ("sha2-384", 0x20, "sha384"),
        ("sha2-512", 0x13, "sha512"),
        ("sha3-256", 0x16, "sha3_256"),
        ("sha3-384", 0x15, "sha3_384"),
        ("sha3-512", 0x14, "sha3_512"),
    ],
)
def test_multihash_codes_and_round_trip(algorithm: str, code: int, hashlib_name: str) -> None:
    data = b"lesson video bytes"
    expected = hashlib.new(hashlib_name, data).digest()
    value = digest_multibase(data, algorithm)
    assert value.startswith("u") and "=" not in value
    raw = base64.urlsafe_b64decode(value[1:] + "=" * (-len(value[1:]) % 4))
    assert raw == bytes([code, len(expected)]) + expected
    assert parse_digest_multibase(value) == (algorithm, expected)
    assert parse_digest_multibase(digest_multibase_b58(data, algorithm)) == (algorithm, expected)
    assert digest_multibase_b58(data, algorithm).startswith("z")


def test_supported_algorithms() -> None:
    assert SUPPORTED_ALGORITHMS[0] == "sha2-256"
    with pytest.raises(DigestFormatError, match="unsupported hash"):
        digest_multibase(b"x", "md5")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "non-empty"),
        ("m" + base64.b64encode(b"\x12\x20" + bytes(32)).decode(), "prefix"),
        ("u" + base64.urlsafe_b64encode(b"\x12\x20" + bytes(32)).decode(), "base64url"),  # padded
        ("uEiB" + "A" * 42 + "+", "base64url"),
        ("u" + base64.urlsafe_b64encode(b"\x12\x20" + bytes(31)).decode().rstrip("="), "32 bytes"),
        ("u" + base64.urlsafe_b64encode(b"\x11\x20" + bytes(32)).decode().rstrip("="), "code 0x11"),
        ("u" + base64.urlsafe_b64encode(b"\x12\x10" + bytes(32)).decode().rstrip("="), "32 bytes"),
        ("z0OIl", "base58"),
        ("u", "non-empty"),
    ],
)
def test_parse_rejects_bad_values(value: str, reason: str) -> None:
    with pytest.raises(DigestFormatError, match=reason):
        parse_digest_multibase(value)


def test_parse_rejects_non_canonical_base64url() -> None:
    good = digest_multibase(b"x")
    # Same bytes, but the last character carries non-zero padding bits: a second spelling of one digest.
    last = good[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    tweaked = good[:-1] + alphabet[alphabet.index(last) + 1]
    with pytest.raises(DigestFormatError):
        parse_digest_multibase(tweaked)


def test_digest_sri() -> None:
    # The well-known SRI value of the empty string.
    assert digest_sri(b"") == "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"
    both = digest_sri(b"x", "sha256") + " " + digest_sri(b"x", "sha512") + "?opt"
    assert [alg for alg, _ in parse_digest_sri(both)] == ["sha2-256", "sha2-512"]
    for bad in ("", "md5-AAAA", "sha256-!!!", "sha256-" + base64.b64encode(bytes(31)).decode()):
        with pytest.raises(DigestFormatError):
            parse_digest_sri(bad)


# --------------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------------


def test_evidence_entry_pairs_evidence_and_related_resource() -> None:
    entry = evidence_entry(
        evidence_id="urn:uuid:6a3e9c7d-7f3a-4a8e-b1f0-0c1d2e3f4a5b",
        data=b"student work",
        name="Student work samples",
        genre="Student work",
        media_type="application/pdf",
        algorithm="sha2-384",
    )
    assert isinstance(entry.evidence, Evidence) and isinstance(entry.related_resource, RelatedResource)
    assert entry.evidence.id == entry.related_resource.id
    assert entry.evidence.to_json_ld() == {
        "id": "urn:uuid:6a3e9c7d-7f3a-4a8e-b1f0-0c1d2e3f4a5b",
        "type": ["Evidence"],
        "name": "Student work samples",
        "genre": "Student work",
    }
    assert entry.related_resource.to_json_ld() == {
        "id": "urn:uuid:6a3e9c7d-7f3a-4a8e-b1f0-0c1d2e3f4a5b",
        "digestMultibase": digest_multibase(b"student work", "sha2-384"),
        "mediaType": "application/pdf",
    }
    evidence, related = split_evidence([entry, entry])
    assert evidence == [entry.evidence] * 2 and related == [entry.related_resource] * 2


# --------------------------------------------------------------------------------------------------
# The design decision, checked: both placements are standard terms; we use relatedResource
# --------------------------------------------------------------------------------------------------


def _expand(doc: dict[str, Any]) -> dict[str, Any]:
    return jsonld.expand(copy.deepcopy(doc), {"documentLoader": PINNED_LOADER})[0]


DIGEST = "https://w3id.org/security#digestMultibase"
RELATED = "https://www.w3.org/2018/credentials#relatedResource"
EVIDENCE = "https://www.w3.org/2018/credentials#evidence"


def test_related_resource_entries_survive_expansion() -> None:
    doc = rich_credential()
    expanded = _expand(doc)
    entries = {e["@id"]: e for e in expanded[RELATED]}
    assert set(entries) == {VIDEO_ID, REFLECTION_ID}
    assert entries[VIDEO_ID][DIGEST] == [
        {"@type": "https://w3id.org/security#multibase", "@value": doc["relatedResource"][0]["digestMultibase"]}
    ]
    assert entries[VIDEO_ID]["https://schema.org/encodingFormat"] == [{"@value": "video/mp4"}]


def test_inline_digest_on_evidence_also_survives_expansion() -> None:
    # The alternative (VC 2.0 "MAY annotate any object with an id"): digestMultibase is a top-level VC 2.0
    # term, and OB's Evidence scoped context does not shadow it.
    doc = rich_credential()
    doc["evidence"][0]["digestMultibase"] = doc["relatedResource"][0]["digestMultibase"]
    (video,) = [e for e in _expand(doc)[EVIDENCE] if e["@id"] == VIDEO_ID]
    assert DIGEST in video


def test_related_resource_is_only_defined_on_the_credential() -> None:
    # relatedResource lives in the VerifiableCredential type-scoped context: nested inside an Evidence
    # node it is an undefined term and would be dropped — which is why it goes at the top level.
    doc = rich_credential()
    doc["evidence"][0]["relatedResource"] = doc.pop("relatedResource")
    (video,) = [e for e in _expand(doc)[EVIDENCE] if e["@id"] == VIDEO_ID]
    assert RELATED not in video and DIGEST not in video


# --------------------------------------------------------------------------------------------------
# Checking files
# --------------------------------------------------------------------------------------------------


def test_check_file_matches_the_right_evidence() -> None:
    doc = rich_credential()
    match = check_file_against_credential(doc, VIDEO_ID, EVIDENCE_FILES["lesson-video"])
    assert match.matched
    assert match.checked == ("digestMultibase sha2-256",)
    assert match.evidence_name == "Recorded lesson: fractions on a number line"
    wrong = check_file_against_credential(doc, REFLECTION_ID, EVIDENCE_FILES["lesson-video"])
    assert not wrong.matched and "does not match" in wrong.reason


def test_one_changed_byte_does_not_match() -> None:
    data = bytearray(EVIDENCE_FILES["reflection"])
    data[-2] ^= 0x01
    assert not check_file_against_credential(rich_credential(), REFLECTION_ID, bytes(data)).matched


def test_unknown_evidence_or_missing_digest() -> None:
    doc = rich_credential()
    assert "no evidence item" in check_file_against_credential(doc, "urn:x:nope", b"").reason
    del doc["relatedResource"]
    assert "no digest" in check_file_against_credential(doc, VIDEO_ID, EVIDENCE_FILES["lesson-video"]).reason


def test_inline_and_sri_digests_are_honoured_and_all_must_match() -> None:
    doc = rich_credential()
    data = EVIDENCE_FILES["lesson-video"]
    del doc["relatedResource"]
    doc["evidence"][0]["digestMultibase"] = digest_multibase_b58(data, "sha2-512")
    assert check_file_against_credential(doc, VIDEO_ID, data).matched
    doc["relatedResource"] = [{"id": VIDEO_ID, "digestSRI": digest_sri(data)}]
    match = check_file_against_credential(doc, VIDEO_ID, data)
    assert match.matched and match.checked == ("digestSRI sha2-384", "digestMultibase sha2-512")
    # A second, different digest recorded for the same item: the file cannot be both, so no match.
    doc["relatedResource"][0]["digestSRI"] = digest_sri(b"other")
    assert not check_file_against_credential(doc, VIDEO_ID, data).matched


def test_unreadable_digest_fails_closed() -> None:
    doc = rich_credential()
    for bad in ("not-a-digest", 42, ["uAAAA"], None):
        doc["relatedResource"][0]["digestMultibase"] = bad
        match = check_file_against_credential(doc, VIDEO_ID, EVIDENCE_FILES["lesson-video"])
        assert not match.matched and "unreadable" in match.reason, bad


def test_match_file_finds_which_evidence_a_file_is() -> None:
    doc = rich_credential()
    assert [m.evidence_id for m in match_file(doc, EVIDENCE_FILES["reflection"])] == [REFLECTION_ID]
    assert [m.evidence_id for m in match_file(doc, EVIDENCE_FILES["lesson-video"])] == [VIDEO_ID]
    assert match_file(doc, b"some other file") == []
    assert match_file({"evidence": "junk", "relatedResource": 3}, b"") == []
