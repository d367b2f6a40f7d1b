"""Reading the values of a JSON-LD credential as the data model allows them.

JSON-LD treats a single value and a one-element array alike, so every reader of a member that may repeat
goes through :func:`as_list`; the issuer may be a URL or an object with an ``id``, read by :func:`issuer_id`.
Untrusted JSON text is parsed by :func:`strict_loads`, which refuses what parsers may read differently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn

__all__ = ["DuplicateMember", "as_list", "issuer_id", "strict_loads"]


class DuplicateMember(ValueError):
    """A JSON object names one member twice (``name``)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"duplicate member {name!r}")
        self.name = name


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise DuplicateMember(name)
            seen.add(name)
    return value


def _constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def strict_loads(text: str | bytes) -> Any:
    """Parse JSON text, refusing what RFC 8259 parsers may read differently: a member name repeated in one object
    (:class:`DuplicateMember`: Python keeps the last, others the first, so two verifiers would read two documents)
    and ``NaN``/``Infinity``, which are not JSON (``ValueError``, as for any malformed text)."""
    return json.loads(text, object_pairs_hook=_object, parse_constant=_constant)


def as_list(value: Any) -> list[Any]:
    """``value`` as a list: an absent member (None) is empty, a single value is a list of one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    """The credential's issuer: ``issuer`` when it is a string, else ``issuer.id``; None when neither is one."""
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None
