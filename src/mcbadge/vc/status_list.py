"""W3C Bitstring Status List v1.0: status lists, their credentials and entries, and status checks.

The Recommendation (``tests/vectors/bitstring-status-list/vc-bitstring-status-list-REC-2025.html``)
puts the status of many credentials into one bitstring: a credential carries a
``BitstringStatusListEntry`` that names a list credential and an index, and the bit at that index
says whether the credential is, for instance, revoked.

This module is pure data handling:

* ``BitstringStatusList`` holds the bits and encodes/decodes ``encodedList`` (GZIP, then multibase
  base64url without padding). Decoding is bounded, because the list comes from the network and a
  few kilobytes of GZIP can expand to gigabytes.
* ``status_list_credential`` and ``status_entry`` build the JSON objects. The list credential is
  returned UNSIGNED; the caller secures it (e.g. ``data_integrity.sign_credential``) before
  publishing it.
* ``check_status`` reads one entry's bit out of a list credential the caller has already fetched
  and whose proof and issuer the caller has already verified.
* ``allocate_index`` picks a random free index for a new credential.

Only ``statusSize`` 1 (one bit per credential, the default) is supported. Multi-bit statuses exist
only for the ``message`` purpose, which this project does not issue; an entry or list declaring
another size is rejected with a ``StatusListError`` rather than read wrongly.
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import random
import re
import secrets
import zlib
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .data_integrity import parse_datetime
from .errors import StatusListError

#: The minimum list length of the Recommendation (131,072 entries = 16 KB), chosen there so that
#: each credential hides among at least that many others ("group privacy", section 6.1).
MIN_LENGTH = 131_072

#: Default cap on a decoded list: 16 MiB, i.e. 128 Mi entries, 1024 times the minimum. Far above
#: anything an issuer publishes, far below what would hurt a verifier process.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024

#: GZIP level for ``encode``. Not 9: on sparse lists level 9 spends its time in long match searches
#: through the runs of zero bytes for a modest gain. Measured for a 131,072-bit list (CPython 3.11,
#: zlib): 100 set bits 0.2 ms at 6 vs 1.1 ms at 9 (374 vs 279 bytes); 1,000 set bits 0.5 ms vs
#: 6.9 ms (~14×; 1.8 vs 1.5 KB). Lists are re-encoded on every revocation, so time matters more
#: than a few hundred bytes.
COMPRESS_LEVEL = 6

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_SUBJECT_TYPE = "BitstringStatusList"
ENTRY_TYPE = "BitstringStatusListEntry"

#: Purposes whose set bit means "do not accept this credential". The Recommendation also defines
#: ``refresh`` and ``message`` and lets issuers use any other string; those are read but never
#: make a credential invalid (see ``StatusResult.invalidates``).
VALIDITY_PURPOSES = frozenset({"revocation", "suspension"})

_GZIP_MAGIC = b"\x1f\x8b"
# wbits for zlib: 16 + 15 = accept a GZIP wrapper only (not raw deflate, not zlib), 32 KiB window.
_GZIP_WBITS = 16 + zlib.MAX_WBITS
# Decompress in slices of this size so peak memory is the cap plus one slice, not twice the cap.
_DECOMPRESS_STEP = 1024 * 1024
# The multibase 'u' alphabet: base64url, no '=' padding.
_BASE64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
# statusListIndex: base-10 digits, ASCII only (str.isdigit would accept '²' and Arabic digits).
CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of the verifier's clock a status list's validFrom may be (issuer and verifier clocks differ)."""

_INDEX_RE = re.compile(r"[0-9]+")


class BitstringStatusList:
    """A fixed-length list of status bits; index 0 is the most significant bit of byte 0.

    The length is a multiple of 8 (the list is stored and published as whole bytes) and at least
    ``min_length``, which defaults to the Recommendation's 131,072. Pass a lower ``min_length``
    only where an ecosystem sets a lower bound (the Recommendation allows this) or in tests.
    """

    __slots__ = ("_bits", "_length")

    def __init__(self, length: int = MIN_LENGTH, *, min_length: int = MIN_LENGTH) -> None:
        _check_length(length, min_length)
        self._length = length
        self._bits = bytearray(length // 8)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray, *, min_length: int = MIN_LENGTH) -> BitstringStatusList:
        """A list whose bits are ``data`` (uncompressed, MSB first); its length is ``8 * len(data)``."""
        _check_length(8 * len(data), min_length)
        obj = cls.__new__(cls)
        obj._length = 8 * len(data)
        obj._bits = bytearray(data)
        return obj

    @property
    def length(self) -> int:
        """Number of entries (bits)."""
        return self._length

    def __len__(self) -> int:
        return self._length

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BitstringStatusList):
            return NotImplemented
        return self._bits == other._bits

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"BitstringStatusList(length={self._length}, set={self.count_set()})"

    def to_bytes(self) -> bytes:
        """The uncompressed bitstring."""
        return bytes(self._bits)

    def count_set(self) -> int:
        """How many bits are set."""
        return int.from_bytes(self._bits, "big").bit_count()

    def get(self, index: int) -> bool:
        """The bit at ``index``; ``StatusListError`` if it is outside the list."""
        self._check_index(index)
        return bool(self._bits[index >> 3] & (0x80 >> (index & 7)))

    def set(self, index: int, value: bool) -> None:
        """Set (``True``) or clear (``False``) the bit at ``index``."""
        self._check_index(index)
        if not isinstance(value, bool):
            raise TypeError(f"status value must be a bool, got {type(value).__name__}")
        mask = 0x80 >> (index & 7)
        if value:
            self._bits[index >> 3] |= mask
        else:
            self._bits[index >> 3] &= ~mask & 0xFF

    def encode(self) -> str:
        """The ``encodedList`` value: ``'u'`` + base64url-without-padding of GZIP of the bits.

        Multibase is just a one-character prefix naming the base encoding, so the standard library
        suffices: ``'u'`` means RFC 4648 base64url with the ``=`` padding removed. ``mtime=0`` keeps
        the output a function of the bits alone (no timestamp), so unchanged lists re-encode to the
        same string and nothing about when the list was built leaks.
        """
        compressed = gzip.compress(bytes(self._bits), compresslevel=COMPRESS_LEVEL, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(
        cls,
        encoded: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        min_length: int = MIN_LENGTH,
    ) -> BitstringStatusList:
        """Parse an ``encodedList`` value, never holding more than ``max_bytes`` of decompressed bits.

        Raises ``StatusListError`` for: a prefix other than ``'u'``, anything but unpadded
        base64url, data that is not exactly one GZIP member (bad header, bad checksum, truncated,
        or followed by trailing bytes), more than ``max_bytes`` once decompressed, or fewer than
        ``min_length`` bits.

        Short lists are rejected by default, as the Recommendation's validate algorithm requires
        (``STATUS_LIST_LENGTH_ERROR``): a short list weakens the privacy of every holder on it, and
        accepting it silently would hide an issuer's mistake. A verifier in an ecosystem with a
        documented lower bound passes it as ``min_length``.
        """
        if not isinstance(encoded, str):
            raise StatusListError(f"encodedList must be a string, got {type(encoded).__name__}")
        if not encoded.startswith("u"):
            shown = repr(encoded[:1]) if encoded else "nothing"
            raise StatusListError(
                f"encodedList must be multibase base64url (prefix 'u'), but starts with {shown}"
            )
        body = encoded[1:]
        # A GZIP member of max_bytes never needs much more than max_bytes of compressed input
        # (stored blocks add 5 bytes per 64 KiB); refusing longer input before decoding keeps a
        # huge string from costing us another copy of itself. The margin is generous on purpose.
        max_compressed = max_bytes + max_bytes // 256 + 1024
        if len(body) > (max_compressed * 4) // 3 + 4:
            raise StatusListError(
                f"encodedList is {len(body)} characters, too long for a list of at most {max_bytes} bytes"
            )
        if not _BASE64URL_RE.fullmatch(body) or len(body) % 4 == 1:
            raise StatusListError(
                "encodedList is not base64url without padding (only A-Z a-z 0-9 - _ are allowed)"
            )
        try:
            compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError) as exc:  # pragma: no cover - the regex rules this out
            raise StatusListError(f"encodedList is not valid base64url: {exc}") from None
        data = _gunzip_bounded(compressed, max_bytes)
        if len(data) * 8 < min_length:
            raise StatusListError(
                f"status list has {len(data) * 8} entries, fewer than the minimum of {min_length}"
                " (a list this short gives its holders too little group privacy)"
            )
        obj = cls.__new__(cls)
        obj._length = len(data) * 8
        obj._bits = data
        return obj

    def _check_index(self, index: int) -> None:
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"status list index must be an int, got {type(index).__name__}")
        if not 0 <= index < self._length:
            raise StatusListError(
                f"index {index} is out of range for a status list of {self._length} entries"
                f" (valid: 0 to {self._length - 1})"
            )


def _check_length(length: int, min_length: int) -> None:
    if not isinstance(length, int) or isinstance(length, bool):
        raise TypeError(f"status list length must be an int, got {type(length).__name__}")
    if length <= 0 or length % 8:
        raise StatusListError(f"status list length must be a positive multiple of 8, got {length}")
    if length < min_length:
        raise StatusListError(
            f"status list length {length} is below the minimum of {min_length} entries"
        )


def _gunzip_bounded(compressed: bytes, max_bytes: int) -> bytearray:
    """Decompress exactly one GZIP member, refusing (not truncating) output beyond ``max_bytes``.

    ``gzip.decompress`` would happily allocate whatever the stream expands to; here each
    ``decompress`` call is given ``max_length`` so zlib stops producing output at the cap, and the
    rest of the input waits in ``unconsumed_tail`` until we ask again. We ask for one byte more
    than the cap allows, so "exactly at the cap" and "over it" can be told apart.
    """
    if not compressed.startswith(_GZIP_MAGIC):
        raise StatusListError("encodedList does not contain GZIP data (wrong magic bytes)")
    decomp = zlib.decompressobj(_GZIP_WBITS)
    out = bytearray()
    pending = compressed
    try:
        while not decomp.eof:
            want = min(_DECOMPRESS_STEP, max_bytes + 1 - len(out))
            chunk = decomp.decompress(pending, want)
            pending = decomp.unconsumed_tail
            out += chunk
            if len(out) > max_bytes:
                raise StatusListError(
                    f"status list expands to more than {max_bytes} bytes; refusing it"
                    " (the limit is a parameter of BitstringStatusList.decode)"
                )
            if not chunk and not pending and not decomp.eof:
                raise StatusListError("encodedList GZIP data is truncated")
    except zlib.error as exc:
        raise StatusListError(f"encodedList is not valid GZIP data: {exc}") from None
    if decomp.unused_data:
        # RFC 1952 allows several concatenated members, but no status list issuer writes them, and
        # refusing them means stray bytes after the list are always caught.
        raise StatusListError(
            f"encodedList has {len(decomp.unused_data)} unexpected bytes after the GZIP data"
        )
    return out


def _format_datetime(value: datetime, name: str) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        # XML Schema dateTimeStamp (what VC 2.0 requires) must carry a time zone.
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_list_credential(
    *,
    id: str,
    issuer: str | dict[str, Any],
    status_purpose: str | Sequence[str],
    encoded_list: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    ttl: int | None = None,
    min_length: int = MIN_LENGTH,
) -> dict[str, Any]:
    """An UNSIGNED VC 2.0 ``BitstringStatusListCredential`` (shaped like the Recommendation's Example 3).

    ``id`` is the URL the credential will be published at (it is what entries put in
    ``statusListCredential``); the subject gets ``{id}#list``. ``issuer`` is a URL/DID or an issuer
    object with an ``id``. ``encoded_list`` comes from ``BitstringStatusList.encode()`` and is
    decoded once here so a malformed list is never signed. ``ttl`` is the refresh hint in
    milliseconds (``credentialSubject.ttl``). ``min_length`` is as for ``BitstringStatusList``.
    The caller signs the result.
    """
    if not isinstance(id, str) or not id:
        raise StatusListError("a status list credential needs a non-empty id (its URL)")
    if isinstance(issuer, dict):
        if not isinstance(issuer.get("id"), str) or not issuer["id"]:
            raise StatusListError("an issuer object must have a non-empty string id")
    elif not isinstance(issuer, str) or not issuer:
        raise StatusListError("issuer must be a non-empty string or an object with an id")
    purposes = [status_purpose] if isinstance(status_purpose, str) else list(status_purpose)
    if not purposes or not all(isinstance(p, str) and p for p in purposes):
        raise StatusListError("statusPurpose must be one or more non-empty strings")
    # Decode once so a malformed or too-short list raises here instead of being signed.
    BitstringStatusList.decode(encoded_list, min_length=min_length)
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0):
        raise StatusListError(f"ttl must be a non-negative number of milliseconds, got {ttl!r}")

    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": id,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
    }
    if valid_from is not None:
        credential["validFrom"] = _format_datetime(valid_from, "valid_from")
    if valid_until is not None:
        credential["validUntil"] = _format_datetime(valid_until, "valid_until")
        if valid_from is not None and valid_until <= valid_from:
            raise StatusListError("valid_until must be later than valid_from")
    subject: dict[str, Any] = {
        "id": f"{id}#list",
        "type": LIST_SUBJECT_TYPE,
        "statusPurpose": purposes[0] if len(purposes) == 1 else purposes,
        "encodedList": encoded_list,
    }
    if ttl is not None:
        subject["ttl"] = ttl
    credential["credentialSubject"] = subject
    return credential


def status_entry(*, list_credential_url: str, index: int, purpose: str) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` for a credential's ``credentialStatus``.

    ``statusListIndex`` is written as a decimal string, as the Recommendation requires. The entry
    id is ``{list_credential_url}#{index}``: unique per entry, and not the list's own URL (which
    the Recommendation forbids).
    """
    if not isinstance(list_credential_url, str) or not list_credential_url:
        raise StatusListError("list_credential_url must be a non-empty string")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise StatusListError(f"status list index must be a non-negative int, got {index!r}")
    if not isinstance(purpose, str) or not purpose:
        raise StatusListError("statusPurpose must be a non-empty string")
    return {
        "id": f"{list_credential_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_credential_url,
    }


@dataclass(frozen=True)
class StatusResult:
    """The status bit of one credential for one purpose."""

    purpose: str
    index: int
    set: bool

    @property
    def invalidates(self) -> bool:
        """True when the bit is set and the purpose is ``revocation`` or ``suspension``.

        A set bit for ``refresh``, ``message`` or an issuer-defined purpose is information, not a
        reason to reject the credential; callers that care inspect ``purpose`` and ``set``.
        """
        return self.set and self.purpose in VALIDITY_PURPOSES


def _types(value: Any) -> list[Any]:
    # JSON-LD allows "type" to be a single string or an array.
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    return []


def _parse_datetime(value: Any, name: str) -> datetime:
    # The one reading of a credential's dates (XML Schema dateTimeStamp), as for the credential itself.
    if not isinstance(value, str):
        raise StatusListError(f"status list credential {name} must be a date-time string")
    parsed = parse_datetime(value)
    if parsed is None:
        raise StatusListError(f"status list credential {name} {value!r} is not a valid date-time (an XML Schema "
                              "dateTimeStamp, with its time zone)")
    return parsed


def _check_status_size(obj: dict[str, Any], where: str) -> None:
    if "statusSize" not in obj:
        return
    size = obj["statusSize"]
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise StatusListError(f"{where} statusSize must be a positive integer, got {size!r}")
    if size != 1:
        raise StatusListError(
            f"{where} has statusSize {size}; only statusSize 1 (one bit per credential) is supported"
        )


def check_status(
    entry: dict[str, Any],
    list_credential: dict[str, Any],
    *,
    now: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_length: int = MIN_LENGTH,
) -> StatusResult:
    """Read the status bit that ``entry`` (a ``BitstringStatusListEntry``) points at.

    Checks that the entry is well formed; that ``list_credential`` is a VC 2.0
    ``BitstringStatusListCredential`` whose ``id`` equals the entry's ``statusListCredential``,
    whose subject's ``statusPurpose`` includes the entry's purpose, and which is within its
    ``validFrom``/``validUntil`` period at ``now`` (timezone-aware); then decodes the list (bounded
    by ``max_bytes``, at least ``min_length`` entries) and reads the bit. Anything malformed,
    mismatched, expired or out of range raises ``StatusListError`` with a readable message.

    It does NOT verify the list credential's proof, nor who issued it: the caller must do both
    before trusting the result, and must check that the list's issuer is the credential's issuer
    (or another issuer it trusts for status). A set bit means "revoked"/"suspended" only for those
    purposes; see ``StatusResult.invalidates``.
    """
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")

    # --- the entry ---
    if not isinstance(entry, dict):
        raise StatusListError("credentialStatus entry must be a JSON object")
    if ENTRY_TYPE not in _types(entry.get("type")):
        raise StatusListError(
            f"credentialStatus type is {entry.get('type')!r}, expected {ENTRY_TYPE!r}"
        )
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise StatusListError("credentialStatus statusPurpose must be a non-empty string")
    raw_index = entry.get("statusListIndex")
    if not isinstance(raw_index, str) or not _INDEX_RE.fullmatch(raw_index):
        raise StatusListError(
            f"credentialStatus statusListIndex must be a string of decimal digits, got {raw_index!r}"
        )
    # No list is anywhere near 10**18 entries; checking the digit count first also keeps int()
    # away from Python's limit on converting very long digit strings.
    if len(raw_index.lstrip("0")) > 18:
        raise StatusListError(f"statusListIndex {raw_index} is out of range")
    index = int(raw_index)
    list_url = entry.get("statusListCredential")
    if not isinstance(list_url, str) or not list_url:
        raise StatusListError("credentialStatus statusListCredential must be a URL string")
    _check_status_size(entry, "credentialStatus")

    # --- the list credential ---
    if not isinstance(list_credential, dict):
        raise StatusListError("status list credential must be a JSON object")
    contexts = list_credential.get("@context")
    first_context = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first_context != VC_V2_CONTEXT:
        raise StatusListError(
            f"status list credential is not a VC 2.0 credential (first @context is {first_context!r})"
        )
    if LIST_CREDENTIAL_TYPE not in _types(list_credential.get("type")):
        raise StatusListError(
            f"status list credential type is {list_credential.get('type')!r},"
            f" expected it to include {LIST_CREDENTIAL_TYPE!r}"
        )
    if list_credential.get("id") != list_url:
        raise StatusListError(
            f"status list credential id {list_credential.get('id')!r} does not match the entry's"
            f" statusListCredential {list_url!r}"
        )
    valid_from = list_credential.get("validFrom")
    # Lists are (re)signed on the issuer's clock the moment they change; allow for clocks that differ.
    if "validFrom" in list_credential and now + CLOCK_SKEW < _parse_datetime(valid_from, "validFrom"):
        raise StatusListError(f"status list credential is not valid until {valid_from}")
    valid_until = list_credential.get("validUntil")
    if "validUntil" in list_credential and now > _parse_datetime(valid_until, "validUntil"):
        raise StatusListError(
            f"status list credential expired at {valid_until}; fetch a fresh one"
        )
    # JSON-LD reads a one-element array as its single value: [subject] is that subject. More than one would
    # leave it open which list is meant.
    subjects = list_credential.get("credentialSubject")
    subject = subjects[0] if isinstance(subjects, list) and len(subjects) == 1 else subjects
    if not isinstance(subject, dict):
        raise StatusListError("status list credential credentialSubject must be a single JSON object")
    if LIST_SUBJECT_TYPE not in _types(subject.get("type")):
        raise StatusListError(
            f"status list credentialSubject type is {subject.get('type')!r}, expected {LIST_SUBJECT_TYPE!r}"
        )
    list_purposes = _types(subject.get("statusPurpose"))
    if not list_purposes or not all(isinstance(p, str) for p in list_purposes):
        raise StatusListError("status list credentialSubject statusPurpose must be one or more strings")
    if purpose not in list_purposes:
        raise StatusListError(
            f"the entry's statusPurpose {purpose!r} is not a purpose of this status list"
            f" ({', '.join(map(repr, list_purposes))})"
        )
    _check_status_size(subject, "status list credentialSubject")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise StatusListError("status list credentialSubject encodedList must be a string")

    bits = BitstringStatusList.from_bytes(_decoded_list(encoded, max_bytes, min_length), min_length=min_length)
    return StatusResult(purpose=purpose, index=index, set=bits.get(index))


@functools.lru_cache(maxsize=32)
def _decoded_list(encoded: str, max_bytes: int, min_length: int) -> bytes:
    """The bits of an ``encodedList``, remembered: every credential of an issuer names the same few lists,
    so a verifier sees the same string again and again (a 16 KiB gunzip each time otherwise). Kept as
    immutable ``bytes``: a caller's list is a copy and cannot change what is remembered."""
    return BitstringStatusList.decode(encoded, max_bytes=max_bytes, min_length=min_length).to_bytes()


_SYSTEM_RANDOM: random.Random = secrets.SystemRandom()

# Random probes before falling back to a full scan. With half the list in use, 64 misses in a row
# happen with probability 2**-64; the scan is only ever reached for nearly full lists.
_RANDOM_PROBES = 64


def allocate_index(
    used: Callable[[int], bool] | Container[int],
    length: int,
    rng: random.Random = _SYSTEM_RANDOM,
) -> int:
    """A uniformly random index in ``range(length)`` that ``used`` does not report as taken.

    The Recommendation asks issuers to assign indexes at random, so an index tells nothing about
    when a credential was issued or how many were. ``used`` is a set (or other container) of taken
    indexes or a predicate ``used(i) -> bool`` (e.g. a database lookup). Raises ``StatusListError``
    when every index is taken: after a bounded number of random probes the remaining candidates are
    counted in one pass, so this never loops forever.

    Two issuing processes can draw the same index at once; the store that records allocations must
    enforce uniqueness and the caller retry on conflict.
    """
    if not isinstance(length, int) or isinstance(length, bool) or length <= 0:
        raise StatusListError(f"status list length must be a positive int, got {length!r}")
    is_used: Callable[[int], bool] = used if callable(used) else used.__contains__

    for _ in range(_RANDOM_PROBES):
        candidate = rng.randrange(length)
        if not is_used(candidate):
            return candidate

    # Nearly full: choose uniformly among what is left rather than probing on.
    free = [i for i in range(length) if not is_used(i)]
    if not free:
        raise StatusListError(f"status list is full: all {length} indexes are in use")
    return rng.choice(free)
