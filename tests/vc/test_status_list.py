"""Tests for the Bitstring Status List module against the W3C Recommendation and hostile input."""

from __future__ import annotations

import base64
import gzip
import json
import random
import struct
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from mcbadge.vc.errors import StatusListError
from mcbadge.vc.status_list import (
    DEFAULT_MAX_BYTES,
    MIN_LENGTH,
    BitstringStatusList,
    StatusResult,
    allocate_index,
    check_status,
    status_entry,
    status_list_credential,
)
from tests.reference_data import VECTORS

REC = VECTORS / "bitstring-status-list" / "vc-bitstring-status-list-REC-2025.html"

# The encodedList of Example 3 and Appendix A.2 of the Recommendation: 131,072 zero bits.
SPEC_ENCODED_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"

LIST_URL = "https://badges.example.org/status/1"
ISSUER = "did:web:badges.example.org"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# --- examples from the Recommendation --------------------------------------------------------


class _PreCollector(HTMLParser):
    """Collects the text of every <pre> element (the examples), tags inside them stripped."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            if self._depth == 0:
                self.blocks.append("")
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.blocks[-1] += data


def spec_json_examples() -> list[dict]:
    parser = _PreCollector()
    parser.feed(REC.read_text(encoding="utf-8"))
    examples = []
    for block in parser.blocks:
        try:
            value = json.loads(block)
        except ValueError:
            continue  # examples with "..." or // comments are illustrations, not JSON
        if isinstance(value, dict):
            examples.append(value)
    return examples


def spec_list_credentials() -> list[dict]:
    return [
        ex for ex in spec_json_examples()
        if "BitstringStatusListCredential" in ex.get("type", [])
    ]


def test_spec_example_encoded_list_is_131072_zero_bits() -> None:
    bits = BitstringStatusList.decode(SPEC_ENCODED_LIST)
    assert bits.length == MIN_LENGTH == 131_072
    assert bits.to_bytes() == bytes(16_384)
    assert bits.count_set() == 0
    assert not bits.get(0) and not bits.get(131_071)


def test_spec_list_credentials_decode() -> None:
    creds = spec_list_credentials()
    # Example 3 plus the unsigned and signed (Data Integrity) variants of Appendix A.2.
    assert len(creds) >= 3
    for cred in creds:
        bits = BitstringStatusList.decode(cred["credentialSubject"]["encodedList"])
        assert bits.length == 131_072 and bits.count_set() == 0


def test_spec_revocable_credential_checks_against_spec_list() -> None:
    # Appendix A.1's credential points at index 94567 of .../status/3, which A.2 publishes.
    examples = spec_json_examples()
    credential = next(
        ex for ex in examples
        if isinstance(ex.get("credentialStatus"), dict) and "proof" not in ex
        and ex["credentialStatus"].get("statusListCredential") == "https://example.com/credentials/status/3"
    )
    list_cred = next(ex for ex in spec_list_credentials() if "proof" not in ex)
    result = check_status(credential["credentialStatus"], list_cred, now=NOW)
    assert result == StatusResult(purpose="revocation", index=94567, set=False)
    assert not result.invalidates


# --- bits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 7, 8, 131_071])
def test_set_get_round_trip(index: int) -> None:
    bits = BitstringStatusList()
    assert not bits.get(index)
    bits.set(index, True)
    assert bits.get(index)
    assert bits.count_set() == 1
    assert [i for i in (0, 7, 8, 131_071) if bits.get(i)] == [index]
    bits.set(index, False)
    assert not bits.get(index) and bits.count_set() == 0


def test_bit_order_is_msb_first() -> None:
    bits = BitstringStatusList()
    bits.set(0, True)
    assert bits.to_bytes()[0] == 0x80
    bits.set(7, True)
    assert bits.to_bytes()[0] == 0x81
    bits.set(8, True)
    assert bits.to_bytes()[:2] == b"\x81\x80"
    bits.set(131_071, True)
    assert bits.to_bytes()[-1] == 0x01


def test_encode_decode_round_trip() -> None:
    rng = random.Random(7)
    bits = BitstringStatusList()
    chosen = rng.sample(range(bits.length), 100)
    for i in chosen:
        bits.set(i, True)
    encoded = bits.encode()
    assert encoded.startswith("u") and "=" not in encoded
    decoded = BitstringStatusList.decode(encoded)
    assert decoded == bits
    assert sorted(i for i in range(decoded.length) if decoded.get(i)) == sorted(chosen)
    # Deterministic: no timestamp in the GZIP header.
    assert bits.encode() == encoded


def test_encode_is_standard_gzip() -> None:
    bits = BitstringStatusList()
    bits.set(3, True)
    raw = base64.urlsafe_b64decode(bits.encode()[1:] + "==")
    assert gzip.decompress(raw) == bits.to_bytes()


def test_larger_list_round_trips() -> None:
    bits = BitstringStatusList(8 * MIN_LENGTH)
    bits.set(8 * MIN_LENGTH - 1, True)
    assert BitstringStatusList.decode(bits.encode()).get(8 * MIN_LENGTH - 1)


@pytest.mark.parametrize("length", [0, -8, 131_073, 131_072 + 4])
def test_bad_lengths(length: int) -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList(length)


def test_short_list_needs_explicit_lower_minimum() -> None:
    with pytest.raises(StatusListError, match="minimum"):
        BitstringStatusList(64)
    small = BitstringStatusList(64, min_length=8)
    small.set(63, True)
    encoded = small.encode()
    with pytest.raises(StatusListError, match="fewer than the minimum"):
        BitstringStatusList.decode(encoded)
    assert BitstringStatusList.decode(encoded, min_length=64).get(63)


@pytest.mark.parametrize("index", [-1, 131_072, 10**30])
def test_index_out_of_range(index: int) -> None:
    bits = BitstringStatusList()
    with pytest.raises(StatusListError, match="out of range"):
        bits.get(index)
    with pytest.raises(StatusListError, match="out of range"):
        bits.set(index, True)


def test_index_and_value_types() -> None:
    bits = BitstringStatusList()
    with pytest.raises(TypeError):
        bits.get("3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bits.set(3, 1)  # type: ignore[arg-type]


# --- hostile or malformed encodedList --------------------------------------------------------


@pytest.mark.parametrize(
    "encoded, message",
    [
        ("z" + SPEC_ENCODED_LIST[1:], "prefix 'u'"),
        ("U" + SPEC_ENCODED_LIST[1:], "prefix 'u'"),
        (SPEC_ENCODED_LIST[1:], "prefix 'u'"),
        ("", "prefix 'u'"),
        ("u" + SPEC_ENCODED_LIST[1:] + "==", "base64url"),  # padding is not allowed
        ("uH4sI+AAA/AAA", "base64url"),  # standard alphabet, not url-safe
        ("uH4s IAAA", "base64url"),
        ("uH", "base64url"),  # one character left over (len % 4 == 1) is never valid base64
        ("u" + b64u(b"not gzip at all, just text"), "GZIP"),
        ("u" + b64u(zlib.compress(bytes(16_384))), "GZIP"),  # zlib wrapper, not gzip
        ("u" + b64u(gzip.compress(bytes(16_384), mtime=0)[:-4]), "truncated"),
        ("u" + b64u(gzip.compress(bytes(16_384), mtime=0) + b"junk"), "after the GZIP data"),
        ("u" + b64u(gzip.compress(bytes(16_384), mtime=0) * 2), "after the GZIP data"),
    ],
)
def test_malformed_encoded_lists(encoded: str, message: str) -> None:
    with pytest.raises(StatusListError, match=message):
        BitstringStatusList.decode(encoded)


def test_bad_crc_is_rejected() -> None:
    data = bytearray(gzip.compress(bytes(16_384), mtime=0))
    data[-8] ^= 0xFF  # CRC32 in the trailer
    with pytest.raises(StatusListError, match="GZIP"):
        BitstringStatusList.decode("u" + b64u(bytes(data)))


def test_not_a_string() -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList.decode(b"uH4sI")  # type: ignore[arg-type]


def _gzip_bomb(total: int) -> bytes:
    """A valid GZIP member of ``total`` zero bytes (a multiple of 1 MiB), built in ~1 MiB of memory.

    Each 1 MiB of zeros is compressed with a full flush, which resets the compressor, so every
    block after the first has identical bytes and can simply be repeated; the CRC is computed
    chunk by chunk. A 1 GiB bomb comes out at about 1 MiB.
    """
    zeros = bytes(1 << 20)
    count = total >> 20
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate; we write the wrapper
    first = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    repeat = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, total & 0xFFFFFFFF)
    return header + first + repeat * (count - 1) + comp.flush() + trailer


def test_gzip_bomb_is_refused_quickly_and_in_bounded_memory() -> None:
    bomb = _gzip_bomb(1 << 30)  # 1 GiB of zeros
    assert len(bomb) < 2 << 20
    encoded = "u" + b64u(bomb)
    del bomb

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(StatusListError, match="more than"):
            BitstringStatusList.decode(encoded)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
    assert elapsed < 5


def test_bomb_sanity_is_a_real_gzip() -> None:
    # The bomb builder must make valid GZIP, or the test above could pass for the wrong reason.
    small = _gzip_bomb(4 << 20)
    assert gzip.decompress(small) == bytes(4 << 20)


def test_max_bytes_is_a_parameter_and_exact_cap_is_allowed() -> None:
    encoded = BitstringStatusList().encode()
    assert BitstringStatusList.decode(encoded, max_bytes=16_384).length == MIN_LENGTH
    with pytest.raises(StatusListError, match="more than 16383 bytes"):
        BitstringStatusList.decode(encoded, max_bytes=16_383)
    assert DEFAULT_MAX_BYTES == 16 * 1024 * 1024


def test_overlong_encoded_string_rejected_before_decoding() -> None:
    with pytest.raises(StatusListError, match="too long"):
        BitstringStatusList.decode("u" + "A" * 100_000, max_bytes=16_384)


# --- credentials and entries -----------------------------------------------------------------


def make_list(*set_indexes: int) -> str:
    bits = BitstringStatusList()
    for i in set_indexes:
        bits.set(i, True)
    return bits.encode()


def make_list_credential(encoded: str, purpose: str = "revocation", **kwargs) -> dict:
    return status_list_credential(
        id=LIST_URL, issuer=ISSUER, status_purpose=purpose, encoded_list=encoded, **kwargs
    )


def test_status_list_credential_shape() -> None:
    encoded = make_list(5)
    cred = make_list_credential(
        encoded,
        valid_from=datetime(2025, 1, 1, tzinfo=timezone.utc),
        valid_until=datetime(2025, 1, 2, 1, 0, 0, 123, tzinfo=timezone(timedelta(hours=1))),
        ttl=300_000,
    )
    assert cred == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER,
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2025-01-02T00:00:00Z",
        "credentialSubject": {
            "id": LIST_URL + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
            "ttl": 300_000,
        },
    }
    assert "proof" not in cred
    json.dumps(cred)


def test_status_list_credential_rejects_bad_input() -> None:
    with pytest.raises(StatusListError):
        make_list_credential("uNOTGZIP")
    with pytest.raises(StatusListError):
        make_list_credential(make_list(), purpose="")
    with pytest.raises(StatusListError):
        make_list_credential(make_list(), ttl=-1)
    with pytest.raises(ValueError):
        make_list_credential(make_list(), valid_from=datetime(2025, 1, 1))  # naive
    with pytest.raises(StatusListError):
        make_list_credential(
            make_list(),
            valid_from=datetime(2025, 1, 2, tzinfo=timezone.utc),
            valid_until=datetime(2025, 1, 1, tzinfo=timezone.utc),
        )


def test_status_entry_shape() -> None:
    assert status_entry(list_credential_url=LIST_URL, index=94567, purpose="revocation") == {
        "id": LIST_URL + "#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    with pytest.raises(StatusListError):
        status_entry(list_credential_url=LIST_URL, index=-1, purpose="revocation")


# --- check_status ----------------------------------------------------------------------------


def entry(index: int = 42, purpose: str = "revocation", **overrides) -> dict:
    e = status_entry(list_credential_url=LIST_URL, index=index, purpose=purpose)
    e.update(overrides)
    return e


def test_check_status_revoked_and_not_revoked() -> None:
    cred = make_list_credential(make_list(42, 131_071))
    revoked = check_status(entry(42), cred, now=NOW)
    assert revoked == StatusResult(purpose="revocation", index=42, set=True)
    assert revoked.invalidates
    assert check_status(entry(131_071), cred, now=NOW).set
    fine = check_status(entry(43), cred, now=NOW)
    assert fine == StatusResult(purpose="revocation", index=43, set=False)
    assert not fine.invalidates


def test_check_status_suspension_and_multi_purpose_list() -> None:
    cred = make_list_credential(make_list(7), purpose=["revocation", "suspension"])
    assert check_status(entry(7, "suspension"), cred, now=NOW).invalidates


def test_check_status_refresh_purpose_is_read_but_does_not_invalidate() -> None:
    cred = make_list_credential(make_list(7), purpose="refresh")
    result = check_status(entry(7, "refresh"), cred, now=NOW)
    assert result.set and not result.invalidates


def test_check_status_purpose_mismatch() -> None:
    cred = make_list_credential(make_list(42), purpose="suspension")
    with pytest.raises(StatusListError, match="not a purpose of this status list"):
        check_status(entry(42, "revocation"), cred, now=NOW)


def test_check_status_id_mismatch() -> None:
    cred = make_list_credential(make_list(42))
    with pytest.raises(StatusListError, match="does not match"):
        check_status(entry(42, statusListCredential=LIST_URL + "/other"), cred, now=NOW)
    del cred["id"]
    with pytest.raises(StatusListError, match="does not match"):
        check_status(entry(42), cred, now=NOW)


def test_check_status_validity_period() -> None:
    cred = make_list_credential(
        make_list(42),
        valid_from=datetime(2025, 6, 1, tzinfo=timezone.utc),
        valid_until=datetime(2025, 6, 2, tzinfo=timezone.utc),
    )
    assert check_status(entry(42), cred, now=NOW).set
    with pytest.raises(StatusListError, match="expired"):
        check_status(entry(42), cred, now=datetime(2025, 6, 2, 0, 0, 1, tzinfo=timezone.utc))
    with pytest.raises(StatusListError, match="not valid until"):
        check_status(entry(42), cred, now=datetime(2025, 5, 31, tzinfo=timezone.utc))
    # A list signed a moment ago on a clock a little ahead of ours is accepted (five minutes of skew).
    assert check_status(entry(42), cred, now=datetime(2025, 5, 31, 23, 56, tzinfo=timezone.utc)).set
    with pytest.raises(StatusListError, match="not valid until"):
        check_status(entry(42), cred, now=datetime(2025, 5, 31, 23, 54, tzinfo=timezone.utc))
    with pytest.raises(ValueError):
        check_status(entry(42), cred, now=datetime(2025, 6, 1, 12))  # naive
    cred["validUntil"] = "tomorrow"
    with pytest.raises(StatusListError, match="not a valid date-time"):
        check_status(entry(42), cred, now=NOW)


def test_check_status_index_out_of_range() -> None:
    cred = make_list_credential(make_list())
    with pytest.raises(StatusListError, match="out of range"):
        check_status(entry(131_072), cred, now=NOW)
    with pytest.raises(StatusListError, match="out of range"):
        check_status(entry(statusListIndex="9" * 5000), cred, now=NOW)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"type": "StatusList2021Entry"}, "expected 'BitstringStatusListEntry'"),
        ({"statusListIndex": 42}, "string of decimal digits"),
        ({"statusListIndex": "-1"}, "string of decimal digits"),
        ({"statusListIndex": "4 2"}, "string of decimal digits"),
        ({"statusListIndex": "\u0664\u0662"}, "string of decimal digits"),  # Arabic-Indic digits
        ({"statusListIndex": ""}, "string of decimal digits"),
        ({"statusPurpose": None}, "statusPurpose"),
        ({"statusListCredential": 5}, "statusListCredential"),
        ({"statusSize": 2}, "only statusSize 1"),
        ({"statusSize": 0}, "positive integer"),
    ],
)
def test_check_status_malformed_entry(overrides: dict, message: str) -> None:
    cred = make_list_credential(make_list())
    with pytest.raises(StatusListError, match=message):
        check_status(entry(42, **overrides), cred, now=NOW)


def test_check_status_accepts_explicit_status_size_1() -> None:
    cred = make_list_credential(make_list(42))
    assert check_status(entry(42, statusSize=1), cred, now=NOW).set


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c.update(type=["VerifiableCredential"]), "BitstringStatusListCredential"),
        (lambda c: c.update({"@context": ["https://www.w3.org/2018/credentials/v1"]}), "VC 2.0"),
        (lambda c: c.update(credentialSubject=[c["credentialSubject"], c["credentialSubject"]]), "single JSON object"),
        (lambda c: c["credentialSubject"].update(type="StatusList2021"), "'BitstringStatusList'"),
        (lambda c: c["credentialSubject"].update(encodedList=None), "encodedList must be a string"),
        (lambda c: c["credentialSubject"].update(encodedList="uAAAA"), "GZIP"),
        (lambda c: c["credentialSubject"].update(statusSize=2), "only statusSize 1"),
        (lambda c: c["credentialSubject"].update(statusPurpose=[]), "one or more strings"),
    ],
)
def test_check_status_malformed_list_credential(mutate, message: str) -> None:
    cred = make_list_credential(make_list())
    mutate(cred)
    with pytest.raises(StatusListError, match=message):
        check_status(entry(42), cred, now=NOW)


def test_check_status_reads_a_one_element_subject_array_as_the_subject() -> None:
    # JSON-LD: a single value and a one-element array are the same statement.
    cred = make_list_credential(make_list(42))
    cred["credentialSubject"] = [cred["credentialSubject"]]
    assert check_status(entry(42), cred, now=NOW).set
    assert not check_status(entry(41), cred, now=NOW).set


def test_check_status_rejects_short_list_unless_allowed() -> None:
    small = BitstringStatusList(1024, min_length=8)
    small.set(42, True)
    cred = make_list_credential(small.encode(), min_length=1024)
    with pytest.raises(StatusListError, match="fewer than the minimum"):
        check_status(entry(42), cred, now=NOW)
    assert check_status(entry(42), cred, now=NOW, min_length=1024).set


# --- allocate_index --------------------------------------------------------------------------


def test_allocate_index_gives_distinct_indexes_until_full() -> None:
    used: set[int] = set()
    for _ in range(64):
        index = allocate_index(used, 64)
        assert 0 <= index < 64 and index not in used
        used.add(index)
    assert used == set(range(64))
    with pytest.raises(StatusListError, match="full"):
        allocate_index(used, 64)


def test_allocate_index_with_predicate_and_seeded_rng() -> None:
    taken = set(range(0, 131_072, 2))
    calls = 0

    def is_used(i: int) -> bool:
        nonlocal calls
        calls += 1
        return i in taken

    index = allocate_index(is_used, MIN_LENGTH, random.Random(1))
    assert index % 2 == 1
    assert calls < 100  # random probing, no full scan when half is free
    with pytest.raises(StatusListError, match="full"):
        allocate_index(lambda i: True, 16)


def test_allocate_index_nearly_full_list_finds_the_last_slot() -> None:
    used = set(range(10_000)) - {9_876}
    assert allocate_index(used, 10_000, random.Random(3)) == 9_876


def test_allocate_index_is_spread_out() -> None:
    rng = random.Random(5)
    picks = [allocate_index(set(), MIN_LENGTH, rng) for _ in range(200)]
    assert len(set(picks)) > 190
    assert min(picks) < MIN_LENGTH // 4 and max(picks) > 3 * MIN_LENGTH // 4


def test_allocate_index_bad_length() -> None:
    with pytest.raises(StatusListError):
        allocate_index(set(), 0)
