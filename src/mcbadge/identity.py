"""Issuer identities: the did:web DID of each issuer this service signs for, and its DID document.

An issuer with slug ``s`` is ``did:web`` of ``<public_base_url>/issuers/s``, so its DID document is served
at ``/issuers/s/did.json`` (the did:web path form; the route is in ``issuer/routes.py``). The document lists every key the issuer ever had
under ``assertionMethod``: a rotated-out key keeps verifying the credentials it signed.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db.models import Credential
from .db.session import read
from .errors import NotFound
from .keystore import Keystore, KeystoreError
from .vc.dids import DidResolver, did_web_document, did_web_from_url, did_web_to_url
from .vc.json_values import issuer_id

__all__ = ["BaseUrlChanged", "LocalIssuerDocuments", "UnknownIssuer", "check_stable_identity", "did_document",
           "issuer_did", "local_resolver"]

_ISSUER_PATH = re.compile(r"^/issuers/([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)/did\.json$")


class UnknownIssuer(NotFound):
    """No issuer with this slug has keys on this service."""

    code = "unknown-issuer"


def issuer_did(public_base_url: str, slug: str) -> str:
    """The did:web DID of issuer ``slug`` on the service at ``public_base_url``."""
    return did_web_from_url(f"{public_base_url.rstrip('/')}/issuers/{slug}")


class BaseUrlChanged(Exception):
    """The configured public base URL would give issuers other DIDs than the ones their credentials name."""


def _did_prefix(public_base_url: str) -> str:
    """What every issuer DID on the service at ``public_base_url`` starts with."""
    return issuer_did(public_base_url, "x")[:-1]


def check_stable_identity(session: Session, public_base_url: str, previous_base_urls: list[str]) -> None:
    """Refuse a public base URL under which the credentials already issued would no longer resolve.

    Issuer DIDs are did:web of the base URL, so a changed ``MCBADGE_PUBLIC_BASE_URL`` silently breaks every
    credential issued under the old one (its issuer DID no longer resolves here). The credentials themselves
    are the record of the DIDs signed under: the newest credential's issuer must be under the configured URL
    or one the operator lists in ``MCBADGE_PREVIOUS_PUBLIC_BASE_URLS`` (saying "I moved, and I know what that
    means": docs/OPERATIONS.md). Raises :class:`BaseUrlChanged` with one line saying what breaks."""
    with read(session):
        newest = session.scalars(select(Credential.document).where(Credential.document.is_not(None))
                                 .order_by(Credential.issued_at.desc()).limit(1)).first()
    signed_under = issuer_id(newest) if newest is not None else None
    if signed_under is None:
        return  # nothing issued yet: any URL is the first
    accepted = [public_base_url, *previous_base_urls]
    if any(signed_under.startswith(_did_prefix(url)) for url in accepted):
        return
    raise BaseUrlChanged(
        f"MCBADGE_PUBLIC_BASE_URL={public_base_url} gives issuers DIDs under {_did_prefix(public_base_url)}…, but "
        f"credentials already issued here name {signed_under}, which would no longer resolve; start with the "
        f"URL they were issued under, or, having read docs/OPERATIONS.md (moving a domain), list the old URL "
        f"in MCBADGE_PREVIOUS_PUBLIC_BASE_URLS")


def did_document(keystore: Keystore, public_base_url: str, slug: str) -> dict[str, Any]:
    """The DID document of issuer ``slug``: all its keys as Multikeys ``#key-N``. Raises UnknownIssuer."""
    try:
        entries = keystore.entries(slug)
    except KeystoreError:  # an invalid slug is just an unknown issuer
        entries = []
    if not entries:
        raise UnknownIssuer(f"no issuer {slug!r} on this service")
    return did_web_document(
        issuer_did(public_base_url, slug),
        [entry.public_key for entry in entries],
        key_ids=[entry.key_id for entry in entries],
    )


class LocalIssuerDocuments:
    """A ``fetch_json`` for :class:`DidResolver` that answers this service's own issuer DIDs from the keystore.

    No network: a did:web URL that is not one of ours raises ``KeyError``. The service's resolver
    (``resolution.service_resolver``) asks this first and resolves every other did:web through the guarded
    outbound client; on its own (``local_resolver``) a foreign did:web is reported as "cannot resolve".
    """

    def __init__(self, keystore: Keystore, public_base_url: str) -> None:
        self._keystore = keystore
        self._base = public_base_url.rstrip("/")
        self._documents: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {}

    def __call__(self, url: str) -> dict[str, Any]:
        match = _ISSUER_PATH.match(urlsplit(url).path)
        if match is not None:
            slug = match.group(1)
            # Compare whole URLs: the host and base path must be this service's, not just the path.
            if did_web_to_url(issuer_did(self._base, slug)) == url:
                # Every verification resolves the issuer: rebuild the document only when the issuer's key
                # files change (a rotation), not by reading and decoding every key file each time.
                keys = self._keystore.key_ids(slug)
                cached = self._documents.get(slug)
                if cached is None or cached[0] != keys:
                    cached = (keys, did_document(self._keystore, self._base, slug))
                    self._documents[slug] = cached
                return copy.deepcopy(cached[1])
        raise KeyError(f"{url} is not served by this service")


def local_resolver(keystore: Keystore, public_base_url: str) -> DidResolver:
    """A resolver for did:key and this service's own did:web issuers, without network access."""
    return DidResolver(fetch_json=LocalIssuerDocuments(keystore, public_base_url))
