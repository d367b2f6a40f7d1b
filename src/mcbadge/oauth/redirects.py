"""Redirects back to an OAuth client: the answer added to the client's redirect URI, whose own query is kept
(RFC 6749 §3.1.2: it "MAY include" one, which "MUST be retained"). One implementation for the OB API's consent
(``oauth.routes``, ``iss`` on Authlib's redirects) and the wallet's (``wallet.authorization``)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

__all__ = ["with_query"]


def with_query(url: str, answer: Mapping[str, str]) -> str:
    """``url`` with ``answer`` appended to its query, its fragment kept."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(dict(answer))) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
