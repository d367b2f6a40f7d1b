"""Evidence bound to the exact bytes the assessor saw.

A teacher's micro-credential is awarded on evidence — a lesson video, student work samples, a reflection.
The credential lists each item as an OB ``Evidence`` object, and a verifier holding a file can ask "is this
the file the badge was awarded on?" because the signed credential carries a cryptographic digest of it.

Where the digest goes — the design decision
-------------------------------------------
VC Data Model 2.0 §5.3 ("Integrity of Related Resources") offers two standard places:

1. the credential's top-level ``relatedResource`` list, one ``{id, digestMultibase, mediaType?}`` per
   resource — the mechanism §5.3 defines, with a normative verifier rule: a conforming verifier that uses
   a resource listed there MUST compute its digest and MUST raise an error on a mismatch;
2. ``digestMultibase`` directly on any object that has an ``id`` ("MAY be annotated"), with no verifier rule.

mcbadge emits (1): each evidence file gets a ``relatedResource`` entry whose ``id`` equals the Evidence
item's ``id``. Reasons:

* it is the mechanism generic VC 2.0 verifiers are required to honour, not an optional annotation;
* the Evidence objects stay exactly OB Evidence, so OB tooling that checks Evidence for unknown
  properties sees nothing new;
* nothing is lost in JSON-LD: ``relatedResource`` is defined in the VC 2.0 context's
  ``VerifiableCredential`` scope (so only at the top level of the credential, where we put it), and
  ``digestMultibase``/``mediaType`` are top-level VC 2.0 terms. Under the pinned contexts both placements
  expand without dropping anything (``tests/vc/test_evidence.py`` checks with pyld), and since JSON-LD merges
  nodes by ``@id``, the entry's digest is a statement about the very same node as the Evidence item — in
  RDF the two designs differ only by the ``relatedResource`` link itself.

When *checking* a file, digests found in either place are honoured (a credential from another issuer
may use (2)); every digest recorded for the item must match, and at least one must be present.

Digest format: ``digestMultibase`` = multibase(multihash(digest)), emitted as ``u`` (base64url, no padding)
like the VC 2.0 examples, with multihash header ``<code> <length>`` (sha2-256 = 0x12, sha2-384 = 0x20,
sha2-512 = 0x13, sha3-* = 0x16/0x15/0x14 in the multicodec table). Parsing also accepts ``z`` (base58btc).
``digestSRI`` (``sha384-<base64>``) is read when checking, and can be produced with ``digest_sri``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .errors import CredentialError, KeyFormatError
from .keys import multibase_b58_decode, multibase_b58_encode
from .models import Evidence, RelatedResource

# multicodec code -> (name, hashlib constructor name, digest length)
_MULTIHASH: dict[int, tuple[str, str, int]] = {
    0x12: ("sha2-256", "sha256", 32),
    0x20: ("sha2-384", "sha384", 48),
    0x13: ("sha2-512", "sha512", 64),
    0x16: ("sha3-256", "sha3_256", 32),
    0x15: ("sha3-384", "sha3_384", 48),
    0x14: ("sha3-512", "sha3_512", 64),
}
_CODE_BY_NAME = {name: code for code, (name, _, _) in _MULTIHASH.items()}
_HASHLIB_BY_NAME = {name: hashlib_name for name, hashlib_name, _ in _MULTIHASH.values()}
SUPPORTED_ALGORITHMS: tuple[str, ...] = tuple(_CODE_BY_NAME)
"""Multihash names ``digest_multibase`` accepts: sha2-256 (default), sha2-384, sha2-512, sha3-256/384/512."""

# SRI names (W3C Subresource Integrity) -> our multihash names
_SRI_ALGORITHMS = {"sha256": "sha2-256", "sha384": "sha2-384", "sha512": "sha2-512"}
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


class DigestFormatError(CredentialError, ValueError):
    """A digestMultibase / digestSRI value that cannot be decoded, or names an unsupported hash."""


def _hash(algorithm: str, data: bytes) -> bytes:
    try:
        return hashlib.new(_HASHLIB_BY_NAME[algorithm], data).digest()
    except KeyError:
        raise DigestFormatError(
            f"unsupported hash {algorithm!r}; use one of {', '.join(SUPPORTED_ALGORITHMS)}"
        ) from None


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    for index in range(offset, min(len(data), offset + 9)):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and index > offset:
                raise DigestFormatError("multihash varint is not minimally encoded")
            return value, index + 1
        shift += 7
    raise DigestFormatError("truncated or oversized multihash varint")


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    # Strict: base64url alphabet only, no padding, and canonical (re-encoding gives the same text), so one
    # digest has exactly one spelling.
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise DigestFormatError("not base64url without padding")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64url_encode(data) != text:
        raise DigestFormatError("non-canonical base64url")
    return data


def digest_multibase(data: bytes, algorithm: str = "sha2-256") -> str:
    """``"u"`` + base64url-nopad(multihash(hash(data))): the VC 2.0 ``digestMultibase`` of ``data``.

    ``algorithm`` is a multihash name from ``SUPPORTED_ALGORITHMS``. (VC 2.0 notes that, at its time of
    writing, sha2-384 "SHOULD be considered the minimum strength"; sha2-256 is the default here because it
    is what the OB/VC examples and most verifiers use.)
    """
    return encode_digest_multibase(_hash(algorithm, data), algorithm)


def encode_digest_multibase(digest: bytes, algorithm: str = "sha2-256") -> str:
    """The ``digestMultibase`` of a digest already computed (a stored SHA-256 of an uploaded file, say)."""
    sizes = {name: size for name, _, size in _MULTIHASH.values()}
    if algorithm not in sizes:
        raise DigestFormatError(f"unsupported hash {algorithm!r}; use one of {', '.join(SUPPORTED_ALGORITHMS)}")
    if len(digest) != sizes[algorithm]:
        raise DigestFormatError(f"a {algorithm} digest is {sizes[algorithm]} bytes, not {len(digest)}")
    return "u" + _b64url_encode(_varint(_CODE_BY_NAME[algorithm]) + _varint(len(digest)) + digest)


def digest_multibase_b58(data: bytes, algorithm: str = "sha2-256") -> str:
    """The same multihash as ``digest_multibase`` but in base58btc (``z...``), for interop tests."""
    digest = _hash(algorithm, data)
    return multibase_b58_encode(_varint(_CODE_BY_NAME[algorithm]) + _varint(len(digest)) + digest)


def parse_digest_multibase(value: str) -> tuple[str, bytes]:
    """Decode a ``digestMultibase`` into (multihash name, raw digest). Raises ``DigestFormatError``.

    Accepts multibase ``u`` (base64url, no padding) and ``z`` (base58btc); the multihash must name a
    supported hash and its length must equal that hash's digest size.
    """
    if not isinstance(value, str) or len(value) < 2:
        raise DigestFormatError("digestMultibase must be a non-empty multibase string")
    prefix, body = value[0], value[1:]
    if prefix == "u":
        raw = _b64url_decode(body)
    elif prefix == "z":
        try:
            raw = multibase_b58_decode(value)
        except KeyFormatError as exc:
            raise DigestFormatError(str(exc)) from None
    else:
        raise DigestFormatError(f"unsupported multibase prefix {prefix!r} (expected 'u' or 'z')")
    code, offset = _read_varint(raw, 0)
    length, offset = _read_varint(raw, offset)
    if code not in _MULTIHASH:
        raise DigestFormatError(f"unsupported multihash code 0x{code:x}")
    name, _, size = _MULTIHASH[code]
    digest = raw[offset:]
    if length != size or len(digest) != size:
        raise DigestFormatError(f"{name} digest must be {size} bytes, got length {length}/{len(digest)}")
    return name, digest


def digest_sri(data: bytes, algorithm: str = "sha384") -> str:
    """A Subresource Integrity hash expression (``sha384-<base64>``), the VC 2.0 ``digestSRI`` form."""
    if algorithm not in _SRI_ALGORITHMS:
        raise DigestFormatError(f"unsupported SRI hash {algorithm!r}")
    return f"{algorithm}-" + base64.b64encode(_hash(_SRI_ALGORITHMS[algorithm], data)).decode("ascii")


def parse_digest_sri(value: str) -> list[tuple[str, bytes]]:
    """Decode a ``digestSRI`` (one or more space-separated ``alg-base64[?opt]``) into (multihash name, digest)."""
    if not isinstance(value, str) or not value.strip():
        raise DigestFormatError("digestSRI must be a non-empty string")
    out: list[tuple[str, bytes]] = []
    for expression in value.split():
        algorithm, sep, rest = expression.partition("-")
        encoded = rest.split("?", 1)[0]
        if not sep or algorithm not in _SRI_ALGORITHMS or not _B64.match(encoded):
            raise DigestFormatError(f"unreadable SRI hash expression {expression!r}")
        try:
            digest = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise DigestFormatError(f"unreadable SRI hash expression {expression!r}") from None
        name = _SRI_ALGORITHMS[algorithm]
        if len(digest) != hashlib.new(_HASHLIB_BY_NAME[name]).digest_size:
            raise DigestFormatError(f"{algorithm} digest has the wrong length in {expression!r}")
        out.append((name, digest))
    return out


# --------------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------------


class EvidenceWithDigest(NamedTuple):
    """An Evidence item for ``credential.evidence`` and its digest entry for ``credential.relatedResource``."""

    evidence: Evidence
    related_resource: RelatedResource


def evidence_entry(
    *,
    evidence_id: str,
    data: bytes,
    name: str,
    description: str | None = None,
    narrative: str | None = None,
    genre: str | None = None,
    audience: str | None = None,
    media_type: str | None = None,
    algorithm: str = "sha2-256",
) -> EvidenceWithDigest:
    """One evidence file as the credential builder needs it: the OB Evidence item and, under the same id,
    the ``relatedResource`` entry holding the digest of ``data`` (the bytes the assessor reviewed)."""
    evidence = Evidence(
        id=evidence_id, name=name, description=description, narrative=narrative, genre=genre, audience=audience
    )
    related = RelatedResource(
        id=evidence_id, digestMultibase=digest_multibase(data, algorithm), mediaType=media_type
    )
    return EvidenceWithDigest(evidence, related)


def split_evidence(entries: Iterable[EvidenceWithDigest]) -> tuple[list[Evidence], list[RelatedResource]]:
    """The ``evidence`` and ``relatedResource`` lists of an ``AchievementCredential``, from ``evidence_entry``s."""
    evidence: list[Evidence] = []
    related: list[RelatedResource] = []
    for entry in entries:
        evidence.append(entry.evidence)
        related.append(entry.related_resource)
    return evidence, related


# --------------------------------------------------------------------------------------------------
# Checking (on JSON, for the verifier)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestMatch:
    """Whether a file is the one an evidence item's digest(s) describe.

    ``matched`` is True only when at least one digest is recorded and every recorded digest matches.
    ``checked`` lists the digests compared as ``"<property> <algorithm>"``; ``reason`` explains a failure.
    """

    evidence_id: str
    matched: bool
    checked: tuple[str, ...] = ()
    reason: str = ""
    evidence_name: str | None = None


def _items(value: Any) -> Iterator[Mapping[str, Any]]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, Mapping):
            yield item


def _strings(value: Any) -> list[str]:
    # VC 2.0 allows "one or more" digests; accept a string or a list of strings.
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _recorded_digests(
    credential: Mapping[str, Any], evidence: Mapping[str, Any], evidence_id: str
) -> list[tuple[str, Any]]:
    """(property, raw value) pairs: relatedResource entries with this id first, then inline on the item."""
    found: list[tuple[str, Any]] = []
    holders = [r for r in _items(credential.get("relatedResource")) if r.get("id") == evidence_id]
    holders.append(evidence)
    for holder in holders:
        for prop in ("digestSRI", "digestMultibase"):
            if prop in holder:
                # A value that is neither a string nor a list of strings is kept as is, so that parsing it
                # fails and the check fails closed instead of ignoring it.
                found += [(prop, v) for v in _strings(holder[prop]) or [holder[prop]]]
    return found


HashOf = Callable[[str], bytes | None]
"""``hash_of(multihash name)`` -> the file's digest with that hash, or None when it cannot be computed (only a
digest of the file was given, not its bytes)."""


def _hashes_of(data: bytes) -> HashOf:
    cache: dict[str, bytes] = {}  # hash the file once per algorithm, however many items there are

    def hash_of(algorithm: str) -> bytes:
        if algorithm not in cache:
            cache[algorithm] = _hash(algorithm, data)
        return cache[algorithm]

    return hash_of


def _check(
    credential: Mapping[str, Any],
    evidence: Mapping[str, Any],
    evidence_id: str,
    hash_of: HashOf,
) -> DigestMatch:
    name = evidence.get("name") if isinstance(evidence.get("name"), str) else None
    recorded = _recorded_digests(credential, evidence, evidence_id)
    if not recorded:
        reason = "no digest is recorded for this evidence"
        return DigestMatch(evidence_id, False, reason=reason, evidence_name=name)
    checked: list[str] = []
    for prop, raw in recorded:
        try:
            expected = [parse_digest_multibase(raw)] if prop == "digestMultibase" else parse_digest_sri(raw)
        except DigestFormatError as exc:
            # Fail closed: a digest we cannot read is not evidence that the file is the right one.
            return DigestMatch(evidence_id, False, tuple(checked), f"unreadable {prop}: {exc}", name)
        for algorithm, digest in expected:
            actual = hash_of(algorithm)
            if actual is None:
                return DigestMatch(evidence_id, False, tuple(checked),
                                   f"only a SHA-256 digest of the file was given, and {prop} is {algorithm}", name)
            checked.append(f"{prop} {algorithm}")
            if not hmac.compare_digest(actual, digest):
                return DigestMatch(evidence_id, False, tuple(checked), f"{prop} {algorithm} does not match", name)
    return DigestMatch(evidence_id, True, tuple(checked), "", name)


def check_file_against_credential(credential: Mapping[str, Any], evidence_id: str, data: bytes) -> DigestMatch:
    """Is ``data`` the file of the credential's evidence item ``evidence_id``? Never raises on bad input."""
    for evidence in _items(credential.get("evidence")):
        if evidence.get("id") == evidence_id:
            return _check(credential, evidence, evidence_id, _hashes_of(data))
    return DigestMatch(evidence_id, False, reason="the credential has no evidence item with this id")


def match_file(credential: Mapping[str, Any], data: bytes) -> list[DigestMatch]:
    """The evidence items (as matched ``DigestMatch``es, in credential order) whose digests ``data`` matches.

    Items without an id or without a digest cannot match; an empty list means "not evidence of this badge".
    """
    return _matches(credential, _hashes_of(data))


def match_sha256(credential: Mapping[str, Any], sha256: bytes) -> list[DigestMatch]:
    """As :func:`match_file`, for a file of which only its SHA-256 digest is known (a verifier's browser hashed
    it, and the file never left that computer). An item whose digests use another hash cannot match."""
    return _matches(credential, lambda algorithm: sha256 if algorithm == "sha2-256" else None)


def _matches(credential: Mapping[str, Any], hash_of: HashOf) -> list[DigestMatch]:
    matches: list[DigestMatch] = []
    for evidence in _items(credential.get("evidence")):
        evidence_id = evidence.get("id")
        if isinstance(evidence_id, str):
            result = _check(credential, evidence, evidence_id, hash_of)
            if result.matched:
                matches.append(result)
    return matches


@dataclass(frozen=True)
class GivenFile:
    """A file a verifier gives to compare with a credential's evidence: its name, its SHA-256 digest and size,
    and its bytes when they were sent (None when only the digest came: hashed in the verifier's browser)."""

    name: str
    sha256: bytes
    size: int | None = None
    data: bytes | None = None

    @classmethod
    def of(cls, name: str, data: bytes) -> GivenFile:
        return cls(name, hashlib.sha256(data).digest(), len(data), data)

    def matches(self, credential: Mapping[str, Any]) -> list[DigestMatch]:
        """The evidence items of ``credential`` this file is (by their recorded digests)."""
        return match_file(credential, self.data) if self.data is not None else match_sha256(credential, self.sha256)


__all__ = [
    "SUPPORTED_ALGORITHMS",
    "DigestFormatError",
    "DigestMatch",
    "EvidenceWithDigest",
    "GivenFile",
    "check_file_against_credential",
    "digest_multibase",
    "digest_multibase_b58",
    "digest_sri",
    "evidence_entry",
    "match_file",
    "match_sha256",
    "parse_digest_multibase",
    "parse_digest_sri",
    "split_evidence",
]
