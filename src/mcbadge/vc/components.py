"""The digest that binds a designation to each exact component credential it rests on.

A designation (``mcbadge.stacks``) names every component credential in its ``evidence`` (an OB ``Evidence``
item whose ``id`` is the component credential's ``id``) and, in ``relatedResource`` (VC 2.0 §5.3), a
``digestMultibase`` of that component, so that a verifier holding the component *as the holder presents it*
can recompute the digest and know it is the very credential the issuer counted.

What is digested, so that anyone can recompute it:

* a JSON-LD credential (Data Integrity): the RDFC-1.0 canonical N-Quads of the whole document **including
  its proof** (the proof is a named graph in VC 2.0), UTF-8 encoded. Canonical, so a re-serialisation of the
  same JSON (key order, whitespace, a one-element list for the proof) gives the same digest; including the
  proof binds the signature too, so a re-signed copy does not pass. ``mediaType`` says
  ``application/n-quads`` to make the form explicit.
* a VC-JWT: the compact JWS string exactly as presented (ASCII), ``mediaType`` ``application/vc+jwt``.

The digest is sha2-256 as multihash, multibase base58btc (``z...``); ``vc.evidence`` parses either base.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from .canon import Canonicalizer, default_canonicalizer
from .evidence import digest_multibase_b58, parse_digest_multibase
from .json_values import as_list

__all__ = [
    "COMPONENT_MEDIA_TYPES",
    "JSON_LD_MEDIA_TYPE",
    "JWT_MEDIA_TYPE",
    "MAX_COMPONENTS",
    "component_digest",
    "component_entries",
    "component_media_type",
    "digest_matches",
]

JSON_LD_MEDIA_TYPE = "application/n-quads"
JWT_MEDIA_TYPE = "application/vc+jwt"
COMPONENT_MEDIA_TYPES = frozenset({JSON_LD_MEDIA_TYPE, JWT_MEDIA_TYPE})
"""The ``mediaType`` values of a ``relatedResource`` entry that binds a component credential: how a verifier
recognises a designation (``vc.verify``'s ``components`` check)."""

MAX_COMPONENTS = 100
"""The most components a designation may name (a stack has at most as many), and the most component
verifications one verification makes, nested designations included: the work a crafted designation can cause
is bounded whatever it names."""


def component_entries(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``relatedResource`` entries that bind a component credential: those with a ``mediaType`` of
    :data:`COMPONENT_MEDIA_TYPES`. A credential with any is a designation."""
    return [r for r in as_list(credential.get("relatedResource"))
            if isinstance(r, Mapping) and r.get("mediaType") in COMPONENT_MEDIA_TYPES]


def _bytes(component: Mapping[str, Any] | str, canonicalizer: Canonicalizer | None) -> bytes:
    if isinstance(component, str):
        return component.encode("ascii")
    return (canonicalizer or default_canonicalizer()).canonicalize(component).encode("utf-8")


def component_digest(component: Mapping[str, Any] | str, *, canonicalizer: Canonicalizer | None = None) -> str:
    """The ``digestMultibase`` of a component credential: a JSON-LD document (with its proof) or a VC-JWT."""
    return digest_multibase_b58(_bytes(component, canonicalizer))


def component_media_type(component: Mapping[str, Any] | str) -> str:
    """The ``mediaType`` that says which form :func:`component_digest` covered."""
    return JWT_MEDIA_TYPE if isinstance(component, str) else JSON_LD_MEDIA_TYPE


def digest_matches(component: Mapping[str, Any] | str, recorded: str, *,
                   canonicalizer: Canonicalizer | None = None) -> bool:
    """Whether ``recorded`` (any supported multihash, either base) is the digest of ``component``."""
    algorithm, expected = parse_digest_multibase(recorded)
    if algorithm != "sha2-256":
        return False
    return hmac.compare_digest(hashlib.sha256(_bytes(component, canonicalizer)).digest(), expected)
