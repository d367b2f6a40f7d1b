"""The OB 3.0 API's logic: an earner's credentials (issued here and upserted), upsert with verification,
and the earner's profile. Routes pass the session and the token's person; nothing here knows HTTP, but
the errors are :class:`ImsxError` since they belong to this API alone."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.models import Credential, Person
from ..db.oauth_models import PersonProfile, UpsertedCredential
from ..db.session import transaction
from ..services import Services
from ..vc.data_integrity import parse_datetime
from ..vc.json_values import as_list
from ..vc.schema import validate_profile
from ..vc.verify import OB_TYPES, Outcome, verify
from .errors import ImsxError

__all__ = ["CredentialPage", "Upserted", "get_profile", "list_credentials", "profile_id", "put_profile", "upsert_credential"]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)




# -- getCredentials ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialPage:
    """One page: JSON-LD credentials, VC-JWTs (each in the order of issue), and how many there are in all."""

    credential: list[Any]
    compact_jws: list[str]
    total: int


def list_credentials(session: Session, person_id: uuid.UUID, *, limit: int, offset: int,
                     since: datetime | None) -> CredentialPage:
    """The person's credentials, oldest first: those this service issued to them and those they upserted.

    ``since`` keeps those issued after it (validFrom, or the issue time here).
    """
    issued = select(literal("issued").label("kind"), Credential.id.label("pk"), Credential.issued_at.label("at")) \
        .where(Credential.educator_id == person_id)
    upserted = select(literal("upserted").label("kind"), UpsertedCredential.id.label("pk"),
                      UpsertedCredential.issued_at.label("at")).where(UpsertedCredential.educator_id == person_id)
    if since is not None:
        issued = issued.where(Credential.issued_at > since)
        upserted = upserted.where(UpsertedCredential.issued_at > since)
    both = union_all(issued, upserted).subquery()
    with transaction(session):
        total = session.scalar(select(func.count()).select_from(both)) or 0
        keys = session.execute(select(both.c.kind, both.c.pk).order_by(both.c.at, both.c.pk)
                               .limit(limit).offset(offset)).all()
        ids = {kind: [k.pk for k in keys if k.kind == kind] for kind in ("issued", "upserted")}
        rows: dict[Any, Any] = {}
        if ids["issued"]:
            rows.update({("issued", c.id): c for c in session.scalars(select(Credential).where(Credential.id.in_(ids["issued"])))})
        if ids["upserted"]:
            rows.update({("upserted", u.id): u for u in session.scalars(
                select(UpsertedCredential).where(UpsertedCredential.id.in_(ids["upserted"])))})
    documents: list[Any] = []
    tokens: list[str] = []
    for key in keys:
        row = rows.get((key.kind, key.pk))
        if row is None:
            continue
        if row.jwt:
            tokens.append(row.jwt)
        elif row.document is not None:
            documents.append(row.document)
    return CredentialPage(documents, tokens, total)


# -- upsertCredential ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upserted:
    created: bool
    credential_id: str


def _reason(report: Any) -> str:
    failed = report.failed()
    if failed:
        return "the credential did not verify: " + "; ".join(f"{c.code}: {c.message}" for c in failed)
    return "the credential could not be verified: " + "; ".join(
        f"{c.code}: {c.message}" for c in report.checks if c.outcome is Outcome.NOT_CHECKED)


def upsert_credential(session: Session, services: Services, person_id: uuid.UUID, value: Mapping[str, Any] | str) -> Upserted:
    """Verify ``value`` (a JSON credential or a compact VC-JWT) and store it for the person.

    Refused (400 ``invalid_data``, with the failing checks' reasons) unless it is an Open Badge whose proof
    verified and no check failed (a status that could not be fetched does not block it). Keyed by (person,
    credential ``id``): the same id again replaces the stored one.
    """
    now = _utcnow()
    report = verify(value, resolver=services.resolver, now=now, status_fetcher=services.status_fetcher,
                    status_list_cache=services.status_list_cache)
    document = report.credential
    if not report.verified or document is None:
        raise ImsxError(400, "invalid_data", _reason(report))
    if not OB_TYPES & set(as_list(document.get("type"))):
        raise ImsxError(400, "invalid_data", "only Open Badges (OpenBadgeCredential, AchievementCredential) can be stored")
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or not credential_id or len(credential_id) > 1000:
        raise ImsxError(400, "invalid_data", "the credential needs an id (a URI of at most 1000 characters)")
    issued_at = parse_datetime(document.get("validFrom") or document.get("issuanceDate")) or now
    is_jwt = isinstance(value, str)
    for attempt in range(2):
        try:
            with transaction(session):
                row = session.scalars(select(UpsertedCredential).where(
                    UpsertedCredential.educator_id == person_id, UpsertedCredential.credential_id == credential_id)
                    .with_for_update()).first()
                created = row is None
                if row is None:
                    row = UpsertedCredential(educator_id=person_id, credential_id=credential_id, created_at=now)
                    session.add(row)
                row.format = "jwt" if is_jwt else "json"
                row.document = dict(document)
                row.jwt = value if isinstance(value, str) else None
                row.issued_at = issued_at
                row.updated_at = now
            return Upserted(created, credential_id)
        except IntegrityError:
            # A concurrent upsert of the same id inserted first (its transaction is rolled back by now):
            # this one becomes a replacement.
            if attempt:
                raise
    raise AssertionError("unreachable")


# -- getProfile / putProfile ---------------------------------------------------------------------------


def profile_id(person_id: uuid.UUID) -> str:
    return f"urn:uuid:{person_id}"


def _profile(person: Person, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"id": profile_id(person.id), "type": ["Profile"], "name": person.name, "email": person.email,
            **(extra or {})}


def get_profile(session: Session, person_id: uuid.UUID) -> dict[str, Any]:
    """The person as an OB ``Profile``: ``id`` (``urn:uuid:``), ``name``, ``email``, and what they set."""
    with transaction(session):
        person = session.get(Person, person_id)
        if person is None:
            raise ImsxError(404, "not_found", "no profile for this token")
        stored = session.get(PersonProfile, person_id)
        return _profile(person, stored.extra if stored else None)


RESERVED = ("id", "type", "name", "email")


def put_profile(session: Session, person_id: uuid.UUID, body: Any) -> dict[str, Any]:
    """Replace the person's profile with ``body`` (an OB ``Profile``; its ``id`` must be theirs).

    ``name`` and ``email`` update the person; every other member is kept as given and returned by
    getProfile. Refused (400 ``invalid_data``) when it breaks the OB Profile schema or the e-mail is taken.
    """
    if not isinstance(body, dict):
        raise ImsxError(400, "invalid_data", "the body must be a JSON object (an OB Profile)")
    problems = validate_profile(body)
    if problems:
        raise ImsxError(400, "invalid_data", "the profile does not match the OB 3.0 Profile schema: "
                        + "; ".join(str(p) for p in problems[:5]))
    if body["id"] != profile_id(person_id):
        raise ImsxError(400, "invalid_data", f"the profile id must be {profile_id(person_id)}")
    if "Profile" not in as_list(body.get("type")):
        raise ImsxError(400, "invalid_data", "the profile's type must include Profile")
    name, email = body.get("name"), body.get("email")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 200):
        raise ImsxError(400, "invalid_data", "name must be a non-empty string of at most 200 characters")
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 320):
        raise ImsxError(400, "invalid_data", "email must be an e-mail address")
    extra = {k: v for k, v in body.items() if k not in RESERVED}
    try:
        with transaction(session):
            person = session.get(Person, person_id)
            if person is None:
                raise ImsxError(404, "not_found", "no profile for this token")
            if name is not None:
                person.name = name.strip()
            if email is not None:
                person.email = email.strip()
            stored = session.get(PersonProfile, person_id)
            if stored is None:
                session.add(PersonProfile(person_id=person_id, extra=extra))
            else:
                stored.extra = extra
                stored.updated_at = _utcnow()
            session.flush()
            return _profile(person, extra)
    except IntegrityError:  # the transaction is rolled back by now
        raise ImsxError(400, "invalid_data", "that e-mail address belongs to someone else at your issuer") from None


