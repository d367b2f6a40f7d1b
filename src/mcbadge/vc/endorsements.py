"""Endorsements embedded in an Open Badge: where OB 3.0 puts them, found without verifying anything.

OB 3.0 lets an ``EndorsementCredential`` (or its VC-JWT, in ``endorsementJwt``) ride along on the credential
itself, on its issuer's profile, on the achievement and on the achievement's creator. Each is a credential in
its own right, signed by whoever endorses: ``vc.verify`` verifies each one as such (the ``endorsements``
check). This module only says where they are and what each claims to endorse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .json_values import as_list

MAX_ENDORSEMENTS = 16
"""Endorsements one credential may carry in all places together; more fail the check unread (bounded work)."""

_PLACES: tuple[tuple[str, ...], ...] = (
    (),
    ("issuer",),
    ("credentialSubject", "achievement"),
    ("credentialSubject", "achievement", "creator"),
)
"""Where OB 3.0 allows ``endorsement``/``endorsementJwt``: the credential, its issuer Profile, the Achievement,
and the Achievement's creator Profile."""


@dataclass(frozen=True)
class EmbeddedEndorsement:
    """One embedded endorsement: where it sits (``credentialSubject.achievement.endorsement[0]``), the
    credential as given (a JSON object, or a compact VC-JWT string), and the ``id`` of what it sits on (the
    thing it should endorse: the credential, the issuer, the achievement), None when that has no id."""

    where: str
    value: Any  # as found: a credential is a JSON object or a VC-JWT; anything else fails to parse
    endorses: str | None


def _node(credential: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any] | None:
    node: Any = credential
    for step in path:
        if not isinstance(node, Mapping):
            return None
        # credentialSubject may be one object or a one-element array: JSON-LD reads them alike.
        found = [item for item in as_list(node.get(step)) if isinstance(item, Mapping)]
        node = found[0] if len(found) == 1 else None
    return node if isinstance(node, Mapping) else None


def embedded_endorsements(credential: Mapping[str, Any]) -> list[EmbeddedEndorsement]:
    """Every endorsement embedded in ``credential`` in the places OB 3.0 allows, in document order."""
    found: list[EmbeddedEndorsement] = []
    for path in _PLACES:
        node = _node(credential, path)
        if node is None:
            continue
        ident = node.get("id")
        endorses = ident if isinstance(ident, str) else None
        prefix = ".".join(path)
        for name in ("endorsement", "endorsementJwt"):
            for index, value in enumerate(as_list(node.get(name))):
                where = f"{prefix + '.' if prefix else ''}{name}[{index}]"
                found.append(EmbeddedEndorsement(where, value, endorses))
    return found


__all__ = ["MAX_ENDORSEMENTS", "EmbeddedEndorsement", "embedded_endorsements"]
