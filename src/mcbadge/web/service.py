"""The pages' logic that is theirs alone: input errors shown on a page, and loading a public badge.

Reading what a visitor gave and verifying it is shared with the API (``mcbadge.verification``: the same
input means the same thing on the page and at ``POST /verify``). Nothing here speaks HTML. Bad form input
raises :class:`PageInputError` (a message for the visitor and a 4xx status); a credential that fails
verification is not an error, it is a report.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..credentials import service as credentials
from ..db.models import Credential, Issuer, MicroCredential, Person
from ..db.session import read

__all__ = ["Badge", "PageInputError", "load_public_badge"]


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


def load_public_badge(session: Session, credential_id: str) -> Badge | None:
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
        return Badge(
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
