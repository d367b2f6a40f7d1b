"""The pages' logic that is theirs alone: input errors shown on a page, and loading a public badge.

Reading what a visitor gave and verifying it is shared with the API (``mcbadge.verification``: the same
input means the same thing on the page and at ``POST /verify``). Nothing here speaks HTML. Bad form input
raises :class:`PageInputError` (a message for the visitor and a 4xx status); a credential that fails
verification is not an error, it is a report.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from ..catalog.service import published_version
from ..credentials import service as credentials
from ..credentials.build import microcredential_achievement
from ..db.models import Credential, Issuer, MicroCredential, MicroCredentialStatus, Person
from ..db.session import read
from ..services import Services
from ..vc.contexts import CREDENTIALS_V2, OB_CONTEXT
from ..vetting import labels as vetting
from ..vetting.schemas import VettedBy

__all__ = ["Badge", "MicroCredentialPage", "PageInputError", "load_microcredential", "load_public_badge"]


class PageInputError(Exception):
    """What the visitor gave cannot be verified (nothing, two things, unreadable...): say so, with a 4xx."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _public_json(credential: Credential) -> Any:
    return credential.jwt or credential.document


# -- the public badge ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """A public credential with what its page shows beside the credential itself (read from the database)."""

    id: uuid.UUID
    value: Any  # what is verified: the signed document, or the VC-JWT
    document: Mapping[str, Any]
    format: str
    earner_name: str
    issuer_name: str
    issuer_image: str | None
    achievement_image: str | None
    show_evidence: bool
    vetted: tuple[VettedBy, ...] = ()
    """State agencies whose vetting of the micro-credential version it was earned on verifies now."""
    renewal_of: uuid.UUID | None = None
    """The (public) credential this one renews."""
    renewed_by: uuid.UUID | None = None
    """The (public) credential that renews this one: the old one stays visible and links to it."""


def load_public_badge(session: Session, services: Services, credential_id: uuid.UUID | str) -> Badge | None:
    """The credential if it exists and its earner lets the public see it; None otherwise (a 404 either way)."""
    try:
        credential = credentials.public_credential(session, credential_id)
    except credentials.CredentialNotFound:
        return None
    with read(session):
        earner = session.get(Person, credential.educator_id)
        issuer = session.get(Issuer, credential.issuer_id)
        # A designation rests on a stack, not on one micro-credential: no micro-credential image to show.
        mc = (session.get(MicroCredential, credential.microcredential_id)
              if credential.microcredential_id is not None else None)
        document = credential.document
        assert document is not None  # public_credential refuses a credential without its document
        pending = vetting.collect(session, services.public_base_url, [mc] if mc is not None else [])
        badge = Badge(
            id=credential.id,
            value=_public_json(credential),
            document=document,
            format="jwt" if credential.jwt else "json",
            earner_name=earner.name if earner is not None else "",
            issuer_name=issuer.name if issuer is not None else "",
            issuer_image=issuer.image_url if issuer is not None else None,
            achievement_image=mc.image_url if mc is not None else None,
            show_evidence=credential.show_evidence,
        )
    # Renewals link both ways, to credentials the public may see.
    renewed_by = credentials.renewals(session, [credential.id]).get(credential.id)
    linked = [i for i in (credential.renewal_of, renewed_by) if i is not None]
    shown = credentials.public_documents(session, linked) if linked else {}
    # Verified after the read (vetting.labels says why).
    vetted = vetting.resolve(services, pending).get(mc.id, []) if mc is not None else []
    return replace(badge, vetted=tuple(vetted),
                   renewal_of=credential.renewal_of if credential.renewal_of in shown else None,
                   renewed_by=renewed_by if renewed_by in shown else None)


# -- the public page of a micro-credential version ---------------------------------------------------------


@dataclass(frozen=True)
class MicroCredentialPage:
    """One published version as the public sees it at its Achievement id, and who vets it."""

    issuer_name: str
    issuer_slug: str
    key: str
    version: int
    retired: bool
    title: str
    competency: str
    key_method: str
    research: str | None
    resources: tuple[Mapping[str, Any], ...]
    requirements: tuple[Mapping[str, Any], ...]
    rubric: Mapping[str, Any]
    alignments: tuple[Mapping[str, Any], ...]
    pd_hours: float | None
    achievement: Mapping[str, Any]
    """The OB Achievement (with ``@context``), as every award of this version states it."""
    vetted: tuple[VettedBy, ...]


def load_microcredential(session: Session, services: Services, slug: str, key: str,
                         version: int) -> MicroCredentialPage | None:
    """The published (or retired) version ``version`` of ``key`` of issuer ``slug``; None for a draft or
    nothing (a 404 either way)."""
    base = services.public_base_url
    with read(session):
        mc = published_version(session, slug, key, version)
        if mc is None:
            return None
        issuer = session.get_one(Issuer, mc.issuer_id)
        achievement = {"@context": [CREDENTIALS_V2, OB_CONTEXT],
                       **microcredential_achievement(base, issuer.slug, mc).to_json_ld()}
        pending = vetting.collect(session, base, [mc])
        page = MicroCredentialPage(
            issuer_name=issuer.name, issuer_slug=issuer.slug, key=mc.key, version=mc.version,
            retired=mc.status is MicroCredentialStatus.RETIRED, title=mc.title, competency=mc.competency,
            key_method=mc.key_method, research=mc.research, resources=tuple(mc.resources),
            requirements=tuple(mc.requirements), rubric=dict(mc.rubric), alignments=tuple(mc.alignments),
            pd_hours=mc.pd_hours, achievement=achievement, vetted=())
    return replace(page, vetted=tuple(vetting.resolve(services, pending).get(mc.id, [])))
