"""The pages' logic: read what a visitor gave, verify it with the credential library, load a public badge.

Nothing here speaks HTML. Bad input raises :class:`PageInputError` (a message for the visitor and a 4xx
status); a credential that fails verification is not an error, it is a report.

Fetching. Credentials of *this* service are read from the database (no HTTP round trip to ourselves);
DID documents and status lists come from the application's resolver and status fetcher, which do the same
for this service's own and use the guarded outbound client (``Services.outbound``) for anything else. A
credential URL elsewhere is fetched through that client too; without one, it is refused with a message.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from ..api.deps import Services
from ..db.models import Credential, Issuer, Person
from ..vc import baking
from ..vc.errors import CredentialError
from ..vc.verify import Outcome, StatusFetcher, VerificationReport, verify

__all__ = [
    "Badge",
    "CredentialInput",
    "PageInputError",
    "load_public_badge",
    "read_credential_file",
    "read_credential_url",
    "status_fetcher",
    "verify_input",
]

log = logging.getLogger(__name__)

MAX_EVIDENCE_FILES = 10


class PageInputError(Exception):
    """What the visitor gave cannot be verified (nothing, two things, unreadable...): say so, with a 4xx."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CredentialInput:
    """A credential to verify, as the library takes it (a dict, JSON text or a JWT), and where it came from."""

    value: Any
    source: str  # "pasted text", "the file x.json", "the badge image x.png", "the URL ..."


# -- fetching ----------------------------------------------------------------------------------------------


def status_fetcher(services: Services) -> StatusFetcher:
    """The same status fetcher as the verification API: VC API lists and this service's lists from the
    database, other sites' lists through the guarded client (cached)."""
    from ..vcapi import service as vcapi  # the VC API package imports api modules

    return vcapi.status_fetcher(services)


def _own_credential_id(services: Services, url: str) -> uuid.UUID | None:
    base = services.settings.public_base_url + "/credentials/"
    path = url.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith(base):
        return None
    rest = path[len(base):].removesuffix("/")
    try:
        return uuid.UUID(rest)
    except ValueError:
        return None


def _public_json(credential: Credential) -> Any:
    return credential.jwt or credential.document


def read_credential_url(services: Services, url: str) -> CredentialInput:
    """The credential at ``url``: this service's own from the database, another site's through the guard."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PageInputError("The address must be a web address starting with https://.", 400)
    own = _own_credential_id(services, url)
    if own is not None:
        with services.sessions() as session, session.begin():
            credential = session.get(Credential, own)
            if credential is None or not credential.public or credential.document is None:
                raise PageInputError("There is no public credential at that address on this service.", 404)
            return CredentialInput(_public_json(credential), f"the address {url}")
    try:
        value = services.outbound.fetch_json(url)
    except Exception as exc:  # noqa: BLE001 - refused by the guard or failed: both are the visitor's news
        raise PageInputError(f"The credential could not be fetched from {url}: {exc}.", 422) from None
    return CredentialInput(value, f"the address {url}")


# -- reading what was given ----------------------------------------------------------------------------


def _unbake(data: bytes, filename: str) -> Any:
    try:
        return baking.unbake(data)
    except CredentialError as exc:  # BakingError: not a badge, malformed, too large, no or two credentials
        raise PageInputError(f"{filename} is not a readable badge image: {exc}.", 422) from None


def read_credential_file(filename: str, data: bytes) -> CredentialInput:
    """An uploaded credential: JSON, a VC-JWT, or a baked PNG or SVG badge."""
    name = filename or "the file"
    if not data:
        raise PageInputError(f"{name} is empty.", 400)
    if baking.image_kind(data) is not None:
        return CredentialInput(_unbake(data, name), f"the badge image {name}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PageInputError(f"{name} is neither a credential (JSON or a VC-JWT) nor a badge image (PNG or SVG).",
                             415) from None
    return _text_input(text, f"the file {name}")


def _text_input(text: str, source: str) -> CredentialInput:
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            value = json.loads(stripped)
        except ValueError as exc:
            raise PageInputError(f"The JSON in {source} cannot be read: {exc}.", 400) from None
        if not isinstance(value, dict):
            raise PageInputError(f"{source.capitalize()} is JSON but not a credential (a JSON object).", 422)
        return CredentialInput(value, source)
    return CredentialInput(stripped, source)


def pasted_input(text: str) -> CredentialInput:
    return _text_input(text, "the pasted text")


# -- verifying ----------------------------------------------------------------------------------------------


def verify_input(services: Services, given: CredentialInput, evidence_files: list[bytes],
                 now: datetime | None = None) -> VerificationReport:
    """Verify with the application's resolver and this service's status lists; a non-credential is an input
    error (the visitor gave something else), anything else is a report."""
    report = verify(given.value, resolver=services.resolver, status_fetcher=status_fetcher(services),
                    status_list_cache=services.status_list_cache,
                    now=now or datetime.now(timezone.utc), evidence_files=evidence_files)
    parse = report.check("parse")
    if parse is not None and parse.outcome is Outcome.FAILED:
        raise PageInputError(f"{given.source.capitalize()} is not a credential: {parse.message}.", 422)
    return report


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
    from ..db.models import MicroCredential

    try:
        parsed = uuid.UUID(credential_id)
    except ValueError:
        return None
    with session.begin():
        credential = session.get(Credential, parsed)
        if credential is None or not credential.public or credential.document is None:
            return None
        earner = session.get(Person, credential.educator_id)
        issuer = session.get(Issuer, credential.issuer_id)
        mc = session.get(MicroCredential, credential.microcredential_id)
        return Badge(
            id=credential.id,
            value=_public_json(credential),
            document=credential.document,
            format="jwt" if credential.jwt else "json",
            earner_name=earner.name if earner is not None else "",
            issuer_name=issuer.name if issuer is not None else "",
            issuer_image=issuer.image_url if issuer is not None else None,
            achievement_image=mc.image_url if mc is not None else None,
            show_evidence=credential.show_evidence,
        )
