"""Reading the values of a JSON-LD credential as the data model allows them.

JSON-LD treats a single value and a one-element array alike, so every reader of a member that may repeat
goes through :func:`as_list`; the issuer may be a URL or an object with an ``id``, read by :func:`issuer_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["as_list", "issuer_id"]


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
