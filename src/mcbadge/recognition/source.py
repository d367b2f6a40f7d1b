"""Where this service finds a state agency's current recognition registry (the "registry source").

An agency that is a tenant here (``did:web`` under this service's ``/issuers/``) is read from the database:
no request to itself. Any other agency is reached through ``did:web``: its registry is published beside its
DID document, at ``<the DID's URL path>/recognition-registry`` (mcbadge's own convention, the route this
service serves for its tenants), and fetched through the guarded outbound client, with the HTTP cache of
``Services.published_documents`` (``resolution.StatusListFetcher``). The document is returned
as found; ``vc.recognition.verify_registry`` decides whether it counts (signature, status, issuer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Issuer, RecognitionRegistry
from ..db.session import read
from ..identity import issuer_did
from ..outbound import OutboundError
from ..resolution import StatusListFetcher
from ..vc.dids import did_web_to_url
from ..vc.errors import DidResolutionError

__all__ = ["RegistrySource", "latest_registry", "registry_url_of"]

_log = logging.getLogger(__name__)

REGISTRY_PATH = "recognition-registry"


def registry_url_of(agency_did: str) -> str:
    """Where a did:web agency publishes its current registry: beside its DID document."""
    did_url = did_web_to_url(agency_did)
    base = did_url.removesuffix("/did.json").removesuffix("/.well-known")
    return f"{base}/{REGISTRY_PATH}"


def latest_registry(session: Session, slug: str) -> RecognitionRegistry | None:
    """The newest registry a state-agency tenant published (withdrawn or not: its status says which)."""
    return session.scalars(
        select(RecognitionRegistry).join(Issuer, Issuer.id == RecognitionRegistry.issuer_id)
        .where(Issuer.slug == slug, Issuer.state_agency.is_(True))
        .order_by(RecognitionRegistry.published_at.desc(), RecognitionRegistry.id).limit(1)
    ).first()


class RegistrySource:
    """``source(agency_did)``: the agency's current registry document, or None when it has none to give."""

    def __init__(self, sessions: Callable[[], Session], published: StatusListFetcher, public_base_url: str) -> None:
        self._sessions = sessions
        self._published = published
        self._own_prefix = issuer_did(public_base_url, "x")[:-1]  # did:web:<host>:issuers:

    def __call__(self, agency_did: str) -> dict[str, Any] | None:
        if agency_did.startswith(self._own_prefix):
            slug = agency_did[len(self._own_prefix):]
            with self._sessions() as session, read(session):
                found = latest_registry(session, slug)
                return dict(found.document) if found is not None else None
        try:
            document = self._published(registry_url_of(agency_did)).credential
        except (OutboundError, DidResolutionError) as exc:
            _log.info("no recognition registry from %s: %s", agency_did, exc)
            return None
        return document if isinstance(document, dict) else None
