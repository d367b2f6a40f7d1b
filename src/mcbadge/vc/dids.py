"""DIDs: did:key and did:web identifiers, DID documents, and a resolver with no network code of its own.

What lives here:

* ``did:key`` (Ed25519 ``z6Mk…`` and P-256 ``zDn…``): identifiers and their DID documents, built
  offline following the did:key method v0.7 with a single ``Multikey`` verification method.
* ``did:jwk`` (the did:jwk method: the DID is base64url of a public JWK): its DID document, built offline,
  with one ``JsonWebKey2020`` method ``<did>#0``. Keys are read by :func:`~mcbadge.vc.keys.public_key_from_jwk`
  (Ed25519, P-256, RSA >= 2048 bits; private members refused).
* ``did:web``: the DID <-> HTTPS URL mapping of the did:web method, strict about anything that
  could make a DID point somewhere its text does not say (userinfo, ``..``, encoded slashes), and
  the DID document the issuing service publishes.
* :class:`DidResolver`: DID -> DID document, and DID URL -> :class:`VerificationMethod`.
  did:key and did:jwk are answered offline. did:web goes through a ``fetch_json(url)`` callable the caller
  injects (normally an SSRF-guarded HTTP client with timeouts and size limits); this module never
  opens a socket, so it cannot be turned into a network client by a hostile DID.

For tests, or to pin documents, a plain dict is a fetcher::

    docs = {"https://issuer.example/.well-known/did.json": did_web_document("did:web:issuer.example", [pk])}
    resolver = DidResolver(fetch_json=docs.__getitem__)

A missing URL raises ``KeyError`` inside the fetcher, which the resolver reports as a
DidResolutionError like any other fetch failure.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import base58
from jwcrypto.common import base64url_decode

from .contexts import DID_V1, MULTIKEY_V1
from .errors import DidResolutionError, KeyFormatError
from .json_values import DuplicateMember, strict_loads
from .keys import PublicKey, VerificationKey, decode_multikey, public_key_from_jwk

__all__ = [
    "RELATIONSHIPS",
    "DidResolver",
    "DocumentCache",
    "TtlCache",
    "VerificationMethod",
    "did_jwk_document",
    "did_key_document",
    "did_key_from_public",
    "did_web_document",
    "did_web_from_url",
    "did_web_to_url",
    "find_verification_method",
    "split_did_url",
]

RELATIONSHIPS = (
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
    "keyAgreement",
)
"""The DID Core verification relationships a :class:`VerificationMethod` may be listed under."""

# DID Core §3.1: did = "did:" method-name ":" method-specific-id. We only need a syntax check that
# keeps junk (spaces, slashes, fragments) out of identifiers before any method-specific parsing.
_DID_RE = re.compile(r"^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})$")
# RFC 3986 fragment characters we accept in a key id (a practical subset: no '/', '?', spaces).
_FRAGMENT_RE = re.compile(r"^(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})+$")
# did:web method-specific-id characters (did:web spec: idchar / pct-encoded, ':' as separator).
_WEB_SEGMENT_RE = re.compile(r"^(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+$")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"^{_HOST_LABEL}(?:\.{_HOST_LABEL})*$")


# --------------------------------------------------------------------------------------------------
# What resolving a DID URL gives
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationMethod:
    """A verification method found in a DID document, with its key decoded.

    ``relationships`` names every verification relationship (``assertionMethod``,
    ``authentication``, …) under which the document lists this method, by reference or embedded.
    A verifier must check the one its proof needs: a key that is only under ``authentication`` must
    not be accepted for a credential (``assertionMethod``).
    """

    id: str
    controller: str
    type: str
    public_key: VerificationKey
    relationships: frozenset[str]


# --------------------------------------------------------------------------------------------------
# DID syntax helpers
# --------------------------------------------------------------------------------------------------


def split_did_url(did_url: str) -> tuple[str, str | None]:
    """Split a DID URL into ``(did, fragment)``; the fragment is ``None`` when absent.

    Paths and queries are rejected: no verification method we resolve is addressed that way, and
    accepting them would make two different strings name the same key.
    """
    if not isinstance(did_url, str):
        raise DidResolutionError("a DID URL must be a string")
    did, sep, fragment = did_url.partition("#")
    if not _DID_RE.match(did):
        raise DidResolutionError(f"not a valid DID: {did!r}")
    if not sep:
        return did, None
    if not _FRAGMENT_RE.match(fragment):
        raise DidResolutionError(f"not a valid DID URL fragment: {did_url!r}")
    return did, fragment


def _absolute(ref: str, did: str) -> str:
    """Resolve a verification method reference against ``did``: ``#key-1`` -> ``did#key-1``."""
    return did + ref if ref.startswith("#") else ref


# --------------------------------------------------------------------------------------------------
# did:key
# --------------------------------------------------------------------------------------------------


def did_key_from_public(public_key: PublicKey) -> str:
    """The ``did:key`` of an Ed25519 (``did:key:z6Mk…``) or P-256 (``did:key:zDn…``) public key."""
    if not isinstance(public_key, PublicKey) or public_key.kind not in ("Ed25519", "P-256"):
        raise KeyFormatError("did:key needs an Ed25519 or P-256 public key")
    return "did:key:" + public_key.multibase


def _did_key_public(did: str) -> PublicKey:
    if not isinstance(did, str) or not did.startswith("did:key:"):
        raise DidResolutionError(f"not a did:key: {did!r}")
    multikey = did[len("did:key:") :]
    try:
        key = decode_multikey(multikey)
    except KeyFormatError as exc:
        raise DidResolutionError(f"cannot decode {did!r}: {exc}") from None
    # One key must have exactly one did:key; a non-canonical spelling would be a second identity.
    if key.multibase != multikey:
        raise DidResolutionError(f"{did!r} is not the canonical encoding of its key")
    return key


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of a ``did:key`` (Ed25519 or P-256), built offline.

    Follows the did:key method v0.7 with the Multikey representation: one verification method
    ``<did>#<multikey>`` of type ``Multikey``, referenced from ``authentication``,
    ``assertionMethod``, ``capabilityInvocation`` and ``capabilityDelegation``. No X25519
    ``keyAgreement`` key is derived (``enableEncryptionKeyDerivation`` is off; we never encrypt).
    """
    key = _did_key_public(did)
    vm_id = f"{did}#{key.multibase}"
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": [
            {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": key.multibase}
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityInvocation": [vm_id],
        "capabilityDelegation": [vm_id],
    }


# --------------------------------------------------------------------------------------------------
# did:jwk
# --------------------------------------------------------------------------------------------------

JWS_2020_V1 = "https://w3id.org/security/suites/jws-2020/v1"
"""The context the did:jwk method gives its documents (a label here: DID documents are read as JSON)."""
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def did_jwk_document(did: str) -> dict[str, Any]:
    """The DID document of a ``did:jwk`` (did:jwk method specification), built offline.

    The method-specific id is the base64url (no padding) of a public JWK's UTF-8 JSON. One verification
    method ``<did>#0`` of type ``JsonWebKey2020``; a JWK with ``use: "enc"`` is listed only under
    ``keyAgreement`` (it may not sign), any other under the four signing relationships. The JWK is checked
    as any key from a DID document when a method is resolved (:func:`find_verification_method`): private
    members, weak RSA and an ``alg`` that does not fit the key are refused there.
    """
    if not isinstance(did, str) or not did.startswith("did:jwk:"):
        raise DidResolutionError(f"not a did:jwk: {did!r}")
    encoded = did[len("did:jwk:"):]
    if not _B64URL_RE.match(encoded):
        raise DidResolutionError(f"{did!r}: the method-specific id is not base64url without padding")
    try:
        jwk = strict_loads(base64url_decode(encoded).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, DuplicateMember, RecursionError):
        raise DidResolutionError(f"{did!r} does not encode a JSON Web Key") from None
    if not isinstance(jwk, dict):
        raise DidResolutionError(f"{did!r} does not encode a JSON Web Key")
    vm_id = f"{did}#0"
    document: dict[str, Any] = {
        "@context": [DID_V1, JWS_2020_V1],
        "id": did,
        "verificationMethod": [{"id": vm_id, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk}],
    }
    signing = ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation")
    for relationship in ("keyAgreement",) if jwk.get("use") == "enc" else signing:
        document[relationship] = [vm_id]
    return document


# --------------------------------------------------------------------------------------------------
# did:web
# --------------------------------------------------------------------------------------------------


def _check_host(host: str, port: str | None, source: str) -> None:
    if not host or not _HOST_RE.match(host):
        raise DidResolutionError(f"{source}: not a valid host name: {host!r}")
    if port is not None and (not port.isdigit() or not 0 < int(port) < 65536 or port.startswith("0")):
        raise DidResolutionError(f"{source}: not a valid port: {port!r}")


def _check_path_segment(segment: str, source: str) -> None:
    """A did:web path segment must stay one URL path segment after the server percent-decodes it."""
    if not segment or not _WEB_SEGMENT_RE.match(segment):
        raise DidResolutionError(f"{source}: invalid path segment {segment!r}")
    decoded = unquote(segment)
    # '..' would climb out of the DID's directory; an encoded '/' or '\' would split a segment in two
    # on servers that decode before routing; a decoded '%' means double encoding, which some servers
    # decode twice. All of these let a DID resolve to a path its text does not show.
    if decoded in (".", "..") or any(ch in "/\\%?#" or ord(ch) < 0x20 for ch in decoded):
        raise DidResolutionError(f"{source}: path segment {segment!r} is not allowed")


def did_web_from_url(base_url: str) -> str:
    """The ``did:web`` identifier for an issuer's base URL.

    ``https://badges.example.org`` -> ``did:web:badges.example.org``;
    ``https://example.com:3000/user/alice`` -> ``did:web:example.com%3A3000:user:alice``.
    The host is lower-cased and a trailing ``/`` ignored. ``http://`` is accepted (local
    development), but did:web always resolves over https. URLs with userinfo, query, fragment,
    empty or dot segments are rejected (DidResolutionError).
    """
    try:
        parts = urlsplit(base_url)
        port = parts.port  # ValueError for a non-numeric or out-of-range port
    except (ValueError, AttributeError, TypeError):
        raise DidResolutionError(f"not a URL: {base_url!r}") from None
    if parts.scheme not in ("https", "http"):
        raise DidResolutionError(f"did:web needs an https URL, got {base_url!r}")
    if "@" in parts.netloc:
        raise DidResolutionError("did:web URLs must not contain userinfo")
    if parts.query or parts.fragment or base_url.endswith(("?", "#")):
        raise DidResolutionError("did:web URLs must not have a query or fragment")
    host = (parts.hostname or "").lower()
    _check_host(host, None if port is None else str(port), base_url)
    msid = host if port is None else f"{host}%3A{port}"
    path = parts.path.rstrip("/")
    if path:
        segments = path[1:].split("/")
        for segment in segments:
            # A ':' inside a segment is the separator in the DID, so it must be percent-encoded.
            segment = segment.replace(":", "%3A")
            _check_path_segment(segment, base_url)
            msid += ":" + segment
    return "did:web:" + msid


def did_web_to_url(did: str) -> str:
    """The HTTPS URL of a ``did:web`` DID document (did:web method spec, "Read").

    ``did:web:w3c-ccg.github.io`` -> ``https://w3c-ccg.github.io/.well-known/did.json``;
    ``did:web:w3c-ccg.github.io:user:alice`` -> ``https://w3c-ccg.github.io/user/alice/did.json``;
    ``did:web:example.com%3A3000:user:alice`` -> ``https://example.com:3000/user/alice/did.json``.

    Raises DidResolutionError for anything that is not a plain DID (fragments, paths, queries),
    an empty or malformed host, userinfo, a bad port, and path segments that are empty, ``.``/``..``
    or decode to a slash, backslash or another percent sign.
    """
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise DidResolutionError(f"not a did:web: {did!r}")
    msid = did[len("did:web:") :]
    if not msid or not _DID_RE.match(did):
        raise DidResolutionError(f"not a valid did:web: {did!r}")
    host_part, *segments = msid.split(":")
    # The only percent-encoding allowed in the host part is the port separator.
    host, sep, port = host_part.partition("%3A") if "%3A" in host_part else host_part.partition("%3a")
    if "%" in host:
        raise DidResolutionError(f"{did}: the host must not be percent-encoded (no userinfo, no odd hosts)")
    _check_host(host, port if sep else None, did)
    for segment in segments:
        _check_path_segment(segment, did)
    authority = host.lower() + (f":{port}" if sep else "")
    path = "/" + "/".join(segments) + "/did.json" if segments else "/.well-known/did.json"
    return f"https://{authority}{path}"


def did_web_document(
    did: str,
    keys: Sequence[PublicKey],
    *,
    key_ids: Sequence[str | None] | None = None,
    assertion: bool = True,
    authentication: bool = True,
) -> dict[str, Any]:
    """The did:web DID document the issuing service serves at :func:`did_web_to_url` of ``did``.

    Each key becomes a ``Multikey`` verification method ``<did>#<fragment>``, where the fragment is
    the key's multibase unless ``key_ids`` gives one (``"key-1"`` or ``"#key-1"``; ``None`` entries
    fall back to the multibase). Every method is listed, by reference, under ``assertionMethod``
    (signing credentials) and ``authentication`` unless switched off. Keeping retired keys in the
    list (with ``assertion=True``) is how old credentials stay verifiable after a key rotation.
    """
    did_web_to_url(did)  # validates the DID
    if not keys:
        raise KeyFormatError("a DID document needs at least one key")
    if key_ids is not None and len(key_ids) != len(keys):
        raise KeyFormatError("key_ids must have one entry per key")
    methods: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if not isinstance(key, PublicKey) or key.kind not in ("Ed25519", "P-256"):
            raise KeyFormatError("did:web documents publish Ed25519 or P-256 Multikeys only")
        fragment = (key_ids[index] if key_ids is not None else None) or key.multibase
        fragment = fragment.removeprefix("#")
        if not _FRAGMENT_RE.match(fragment):
            raise KeyFormatError(f"invalid key id {fragment!r}")
        if fragment in seen:
            raise KeyFormatError(f"duplicate key id {fragment!r}")
        seen.add(fragment)
        methods.append(
            {
                "id": f"{did}#{fragment}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.multibase,
            }
        )
    document: dict[str, Any] = {"@context": [DID_V1, MULTIKEY_V1], "id": did, "verificationMethod": methods}
    refs = [method["id"] for method in methods]
    if assertion:
        document["assertionMethod"] = list(refs)
    if authentication:
        document["authentication"] = list(refs)
    return document


# --------------------------------------------------------------------------------------------------
# Verification methods inside a DID document
# --------------------------------------------------------------------------------------------------


def _decode_method_key(method: Mapping[str, Any]) -> VerificationKey:
    vm_type = method.get("type")
    materials = [m for m in ("publicKeyMultibase", "publicKeyJwk", "publicKeyBase58") if m in method]
    if len(materials) != 1:
        # Two encodings of "the" key in one method is ambiguous: which one did the signer mean?
        raise KeyFormatError("a verification method must carry exactly one public key representation")
    material = materials[0]
    if vm_type == "Multikey" and material == "publicKeyMultibase":
        return decode_multikey(method["publicKeyMultibase"])
    if vm_type == "Ed25519VerificationKey2020" and material == "publicKeyMultibase":
        key = decode_multikey(method["publicKeyMultibase"])
        if key.kind != "Ed25519":
            raise KeyFormatError("Ed25519VerificationKey2020 carries a non-Ed25519 key")
        return key
    if vm_type == "Ed25519VerificationKey2018" and material == "publicKeyBase58":
        # Legacy (did:key vectors, older issuers): raw 32 bytes in base58btc without a multicodec prefix.
        value = method["publicKeyBase58"]
        try:
            raw = base58.b58decode(value) if isinstance(value, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise KeyFormatError("Ed25519VerificationKey2018 publicKeyBase58 is not a 32-byte key")
        return PublicKey("Ed25519", raw)
    if vm_type in ("JsonWebKey", "JsonWebKey2020") and material == "publicKeyJwk":
        return public_key_from_jwk(method["publicKeyJwk"])
    raise KeyFormatError(f"unsupported verification method type {vm_type!r} with {material}")


def _iter_methods(document: Mapping[str, Any], did: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every verification method object in the document: top-level ones and ones embedded in relationships."""
    sources: list[Any] = [document.get("verificationMethod", [])]
    sources += [document.get(rel, []) for rel in RELATIONSHIPS]
    for source in sources:
        if not isinstance(source, list):
            raise DidResolutionError("verification methods and relationships must be arrays")
        for entry in source:
            if isinstance(entry, Mapping):
                vm_id = entry.get("id")
                if not isinstance(vm_id, str):
                    raise DidResolutionError("a verification method has no id")
                yield _absolute(vm_id, did), entry
            elif not isinstance(entry, str):
                raise DidResolutionError("a verification relationship entry is neither a reference nor a method")


def _relationships_of(document: Mapping[str, Any], did: str, vm_id: str) -> frozenset[str]:
    found = set()
    for rel in RELATIONSHIPS:
        for entry in document.get(rel, []):
            ref = entry if isinstance(entry, str) else entry.get("id") if isinstance(entry, Mapping) else None
            if isinstance(ref, str) and _absolute(ref, did) == vm_id:
                found.add(rel)
    return frozenset(found)


def find_verification_method(document: Mapping[str, Any], did_url: str) -> VerificationMethod:
    """The verification method ``did_url`` names inside an already-resolved DID ``document``.

    ``did_url`` is absolute (``did:web:x#key-1``); method ids in the document may be relative
    (``#key-1``) and are resolved against the document's DID. The method's ``controller`` must be
    that DID: a document cannot vouch for a key it says someone else controls. Two different
    methods with the same id are refused as ambiguous. Raises DidResolutionError.
    """
    did, fragment = split_did_url(did_url)
    if fragment is None:
        raise DidResolutionError(f"{did_url!r} does not name a verification method (no fragment)")
    if document.get("id") != did:
        raise DidResolutionError(f"DID document id {document.get('id')!r} is not {did!r}")
    matches = [method for vm_id, method in _iter_methods(document, did) if vm_id == did_url]
    if not matches:
        raise DidResolutionError(f"{did_url!r} is not in the DID document")
    if any(method != matches[0] for method in matches[1:]):
        raise DidResolutionError(f"{did_url!r} is defined more than once, differently")
    method = matches[0]
    controller = method.get("controller")
    if controller != did:
        raise DidResolutionError(f"{did_url!r} is controlled by {controller!r}, not by {did!r}")
    try:
        key = _decode_method_key(method)
    except KeyFormatError as exc:
        raise DidResolutionError(f"{did_url!r}: {exc}") from None
    return VerificationMethod(
        id=did_url,
        controller=did,
        type=str(method.get("type")),
        public_key=key,
        relationships=_relationships_of(document, did, did_url),
    )


# --------------------------------------------------------------------------------------------------
# Resolver
# --------------------------------------------------------------------------------------------------


_MAX_REMEMBERED_METHODS = 1024


class DocumentCache(Protocol):
    """Where a :class:`DidResolver` keeps fetched did:web documents."""

    def get(self, did: str) -> dict[str, Any] | None: ...

    def put(self, did: str, document: dict[str, Any]) -> None: ...


class TtlCache:
    """A small thread-safe in-memory :class:`DocumentCache` with expiry and a size bound.

    Expiry matters: an issuer that rotates or withdraws a compromised key must be believed within
    ``ttl_s`` seconds, not at the next process restart.
    """

    def __init__(self, ttl_s: float = 300.0, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, did: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(did)
            if entry is None:
                return None
            expires, document = entry
            if self._clock() >= expires:
                del self._entries[did]
                return None
            self._entries.move_to_end(did)
            return document

    def put(self, did: str, document: dict[str, Any]) -> None:
        with self._lock:
            self._entries[did] = (self._clock() + self._ttl, document)
            self._entries.move_to_end(did)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


class DidResolver:
    """Resolves DIDs to DID documents and DID URLs to verification methods.

    * ``did:key`` is resolved offline (:func:`did_key_document`).
    * ``did:web`` is fetched with ``fetch_json(url)`` at :func:`did_web_to_url` — a callable the
      caller injects, normally an SSRF-guarded HTTP client. The resolver does no I/O itself.
      Without a fetcher, did:web raises DidResolutionError. Exceptions from the fetcher become
      DidResolutionError. A dict works as a fetcher in tests: ``DidResolver(fetch_json=docs.__getitem__)``.
    * ``cache`` (optional, e.g. :class:`TtlCache`) keeps fetched did:web documents; ``None`` fetches
      every time. Callers always get a fresh copy, so they cannot alter what is cached.

    Other DID methods raise DidResolutionError.
    """

    def __init__(
        self,
        fetch_json: Callable[[str], Any] | None = None,
        cache: DocumentCache | None = None,
    ) -> None:
        self._fetch_json = fetch_json
        self._cache = cache
        # did URL -> (the document it was found in, the method): decoding a key is the costly part of
        # finding a method, and verifiers ask for the same few issuers' keys over and over. An entry is
        # used only while the freshly resolved document still equals the one it came from.
        self._methods: dict[str, tuple[Mapping[str, Any], VerificationMethod]] = {}

    def resolve(self, did: str) -> dict[str, Any]:
        """The DID document of ``did`` (a plain DID, no fragment). Raises DidResolutionError."""
        plain, fragment = split_did_url(did)
        if fragment is not None:
            raise DidResolutionError(f"resolve() takes a DID, not a DID URL: {did!r}")
        if plain.startswith("did:key:"):
            return did_key_document(plain)
        if plain.startswith("did:jwk:"):
            return did_jwk_document(plain)
        if plain.startswith("did:web:"):
            return copy.deepcopy(self._resolve_web(plain))
        method = plain.split(":", 2)[1]
        raise DidResolutionError(f"unsupported DID method {method!r}")

    def _resolve_web(self, did: str) -> dict[str, Any]:
        url = did_web_to_url(did)
        if self._cache is not None:
            cached = self._cache.get(did)
            if cached is not None:
                return cached
        if self._fetch_json is None:
            raise DidResolutionError("did:web resolution needs a fetcher")
        try:
            document = self._fetch_json(url)
        except DidResolutionError:
            raise
        except Exception as exc:  # noqa: BLE001 - any fetch failure is "cannot resolve", never a crash
            raise DidResolutionError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(document, dict):
            raise DidResolutionError(f"{url} did not return a JSON object")
        # did:web spec: the document's id must be the DID that was resolved. Otherwise whoever can
        # put a file at that URL could make this DID stand for another identity.
        if document.get("id") != did:
            raise DidResolutionError(f"DID document at {url} has id {document.get('id')!r}, expected {did!r}")
        if self._cache is not None:
            document = copy.deepcopy(document)  # the fetcher's object stays the fetcher's
            self._cache.put(did, document)
        return document

    def resolve_verification_method(self, did_url: str) -> VerificationMethod:
        """The verification method at ``did_url`` (``did:…#fragment``), key decoded.

        A bare ``did:key`` or ``did:jwk`` (no fragment) names its only key. Checks: the document's id, the
        method's controller equals the DID, a supported type (Multikey, JsonWebKey/JsonWebKey2020,
        Ed25519VerificationKey2020/2018). ``relationships`` tells which purposes the document
        allows; checking the needed one is the caller's job. Raises DidResolutionError.
        """
        did, fragment = split_did_url(did_url)
        if fragment is None and did.startswith("did:key:"):
            did_url = f"{did}#{did[len('did:key:'):]}"
        elif fragment is None and did.startswith("did:jwk:"):
            did_url = f"{did}#0"
        document = self._resolve_web(did) if did.startswith("did:web:") else self.resolve(did)
        # Read-only use of a did:web document: no defensive copy (``resolve`` gives callers their own).
        remembered = self._methods.get(did_url)
        if remembered is not None and remembered[0] == document:
            return remembered[1]
        method = find_verification_method(document, did_url)
        if len(self._methods) >= _MAX_REMEMBERED_METHODS:
            self._methods.clear()
        self._methods[did_url] = (copy.deepcopy(document), method)
        return method
