"""The "vetted by <agency>" label of a micro-credential version: shown only while an endorsement verifies.

Two steps, because verifying must not run inside a database transaction (on SQLite every transaction holds
the write lock, and verifying may re-sign one of this service's status lists, which needs it):

1. :func:`collect`, inside the caller's transaction: the endorsements stored for the versions (withdrawn
   ones too: the label's truth is the credential's verification, not a column), and the Achievement each
   version's awards state.
2. :func:`resolve`, after it: each endorsement verified as anyone would verify it (``vc.vetting``: the
   agency's signature, its status list, the subject and the digest of the version's definition as it is
   now) with the service's resolver and status fetcher. One label per agency, from its newest endorsement
   that verifies.

Used by the catalogue API (``catalog.service``) and the public pages (``web``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..credentials.build import microcredential_achievement
from ..db.models import Issuer, MicroCredential, VettingEndorsement
from ..identity import issuer_did
from ..services import Services
from ..vc.errors import CredentialError
from ..vc.recognition import definition_digest
from ..vc.vetting import verify_endorsement
from .schemas import VettedBy

__all__ = ["Pending", "collect", "resolve"]


@dataclass(frozen=True)
class _Stored:
    agency: str
    agency_name: str
    document: Mapping[str, Any]
    issued_at: datetime


@dataclass(frozen=True)
class Pending:
    """What :func:`resolve` needs of one version, read in the caller's transaction."""

    microcredential_id: uuid.UUID
    achievement: Mapping[str, Any]
    endorsements: tuple[_Stored, ...] = field(default=())


def collect(session: Session, public_base_url: str, versions: Iterable[MicroCredential]) -> list[Pending]:
    """The versions' stored endorsements (newest first) and their Achievements; none for a draft."""
    wanted = {mc.id: mc for mc in versions}
    if not wanted:
        return []
    rows = session.execute(
        select(VettingEndorsement, Issuer.slug, Issuer.name).join(Issuer, Issuer.id == VettingEndorsement.agency_id)
        .where(VettingEndorsement.microcredential_id.in_(list(wanted)))
        .order_by(VettingEndorsement.issued_at.desc(), VettingEndorsement.id)).all()
    stored: dict[uuid.UUID, list[_Stored]] = {}
    for endorsement, slug, name in rows:
        stored.setdefault(endorsement.microcredential_id, []).append(
            _Stored(issuer_did(public_base_url, slug), name, endorsement.document, endorsement.issued_at))
    pending = []
    for mc_id, found in stored.items():
        mc = wanted[mc_id]
        slug = session.get_one(Issuer, mc.issuer_id).slug
        achievement = microcredential_achievement(public_base_url, slug, mc).to_json_ld()
        pending.append(Pending(mc_id, achievement, tuple(found)))
    return pending


def resolve(services: Services, pending: Sequence[Pending], *,
            now: datetime | None = None) -> dict[uuid.UUID, list[VettedBy]]:
    """``{version id: the agencies whose endorsement of it verifies now}``; versions without one are absent."""
    moment = now or datetime.now(timezone.utc)
    labels: dict[uuid.UUID, list[VettedBy]] = {}
    for version in pending:
        try:
            digest = definition_digest(version.achievement)
        except CredentialError:
            continue  # a definition that cannot be canonicalized is vetted by no one
        seen: set[str] = set()
        for stored in version.endorsements:
            if stored.agency in seen:
                continue
            verification = verify_endorsement(
                stored.document, resolver=services.resolver, now=moment, status_fetcher=services.status_fetcher,
                achievement_id=str(version.achievement["id"]), definition_digest=digest,
                expected_agency=stored.agency, canonicalizer=services.contexts.canonicalizer_for(stored.document),
                status_list_cache=services.status_list_cache)
            if verification.verified:
                seen.add(stored.agency)
                labels.setdefault(version.microcredential_id, []).append(VettedBy(
                    agency=stored.agency, agency_name=verification.agency_name or stored.agency_name,
                    endorsement=str(stored.document.get("id")), vetted_at=stored.issued_at))
    return labels
