"""The pinned JSON-LD contexts: byte-exact copies, listed with their source and sha256 in PROVENANCE.json.

The document loader serves only these. Any other URL fails closed with ContextError: a verifier that
fetched contexts from the network would let whoever controls a context URL change what a signature means.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from ..errors import ContextError

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3P0_CONTEXTS = (
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
"""The OB context mcbadge emits: with VC v2, only 3.0.2 and 3.0.3 expand (see docs/DECISIONS.md)."""
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
JWK_V1 = "https://w3id.org/security/jwk/v1"
RECOGNITION_V1 = "https://w3id.org/mcbadge/recognition/v1"
"""mcbadge's own context for state recognition registries (``vc/recognition.py``); see docs/DECISIONS.md."""
QUALITY_V1 = "https://w3id.org/mcbadge/quality/v1"
"""mcbadge's own context for scoring quality statements (``vc/quality.py``); see docs/DECISIONS.md."""

RemoteDocument = dict[str, Any]
DocumentLoader = Callable[..., RemoteDocument]

_PACKAGE_DIR = resources.files(__name__)


def _load_provenance() -> list[dict[str, Any]]:
    contexts: list[dict[str, Any]] = json.loads((_PACKAGE_DIR / "PROVENANCE.json").read_text("utf-8"))["contexts"]
    return contexts


def provenance() -> list[dict[str, Any]]:
    """Where each pinned context came from: url, file, source, path, version, sha256, bytes."""
    return [dict(entry) for entry in _load_provenance()]


def _read_pinned() -> dict[str, bytes]:
    pinned: dict[str, bytes] = {}
    for entry in _load_provenance():
        data = (_PACKAGE_DIR / entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            # Refuse to start with a context whose bytes changed: signatures would silently change meaning.
            raise ContextError(f"pinned context {entry['file']} does not match its recorded sha256")
        pinned[entry["url"]] = data
    return pinned


def pinned_bytes(url: str) -> bytes:
    """The exact bytes of the pinned context ``url`` (checked against its recorded sha256), so a service can
    publish mcbadge's own contexts byte for byte; KeyError for a URL that is not pinned."""
    return _read_pinned()[url]


class PinnedLoader:
    """A pyld document loader over a fixed set of contexts; any other URL raises ContextError.

    Documents are tagged ``static`` so pyld may cache the processed contexts across calls.
    """

    def __init__(self, documents: Mapping[str, bytes]) -> None:
        self._documents = {url: json.loads(data) for url, data in documents.items()}

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._documents)

    def with_documents(self, extra: Mapping[str, bytes | Mapping[str, Any]]) -> PinnedLoader:
        """A new loader that also serves ``extra`` (url -> bytes or parsed JSON); for tests and vectors."""
        merged: dict[str, bytes] = {
            url: json.dumps(doc).encode() for url, doc in self._documents.items()
        }
        for url, doc in extra.items():
            merged[url] = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        return PinnedLoader(merged)

    def document(self, url: str) -> Any:
        """The parsed context for ``url`` (a fresh copy)."""
        try:
            return json.loads(json.dumps(self._documents[url]))
        except KeyError:
            raise ContextError(f"context {url!r} is not pinned; remote contexts are never fetched") from None

    def __call__(self, url: str, options: Any = None) -> RemoteDocument:
        if url not in self._documents:
            raise ContextError(f"context {url!r} is not pinned; remote contexts are never fetched")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            # A fresh copy: JSON-LD processors may annotate what they are given.
            "document": json.loads(json.dumps(self._documents[url])),
            "tag": "static",
        }


PINNED_LOADER = PinnedLoader(_read_pinned())
"""The loader every credential operation uses unless a caller passes another."""

__all__ = [
    "CREDENTIALS_V1",
    "CREDENTIALS_V2",
    "DATA_INTEGRITY_V2",
    "DID_V1",
    "JWK_V1",
    "MULTIKEY_V1",
    "OB_CONTEXT",
    "QUALITY_V1",
    "OB_EXTENSIONS",
    "OB_V3P0_CONTEXTS",
    "PINNED_LOADER",
    "PinnedLoader",
    "RECOGNITION_V1",
    "pinned_bytes",
    "DocumentLoader",
    "provenance",
]
