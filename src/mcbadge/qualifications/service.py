"""Assessor qualifications: issued when calibration qualifies an assessor, required to assign and score when
the issuer says so, cited by the awards the assessor scored, revoked (possibly from an earlier moment).

* **Issue** (:func:`issue`, inside calibration's transaction): an OB 3.0 AchievementCredential
  (``vc.qualification``) signed with the issuer's key, with ONE revocation entry in the issuer's list, valid
  for the issuer's ``qualification_validity_days`` (its re-calibration schedule), naming the assessor by their
  pseudonym (HMAC of the person id under the issuer's secret) and by name only when they opted in
  (:func:`set_name_preference`). Served to anyone at its id, ``/issuers/{slug}/qualifications/{id}``, as the
  RFC 8785 bytes an award's digest covers.
* **Current** (:func:`current_qualification`): valid at the moment and not revoked from before it. With
  ``issuer.require_qualification``, :func:`require_current` stops the assignment and the scoring of an
  assessor who has none (``assessments``, on top of the training it already requires).
* **Revoke** (:func:`revoke`): the revocation bit is set (a verifier sees "revoked now") and the row keeps
  ``revoked_from``, from when it stands revoked: now, or earlier when the issuer finds an assessor's scoring
  unreliable since a date. Only the issuer's records can date a revocation; this service's verifier reads
  them from the database (:func:`own_qualification`), which is the trust assumption: the issuer that signed
  the award and the qualification also says when it withdrew the qualification.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..credentials.build import achievement_id
from ..db.models import AssessorQualification, Issuer, Person, Role, StatusEntry, StatusList, StatusPurpose, utcnow
from ..db.session import read, transaction
from ..errors import Forbidden, Invalid, NotFound
from ..features import Page, PageParams, audit, paginate
from ..identity import issuer_did
from ..principal import Principal
from ..services import Services
from ..status import service as status
from ..vc.data_integrity import sign_credential
from ..vc.qualification import (
    QualificationRecord,
    assessor_pseudonym,
    microcredential_key_url,
    qualification_bytes,
    qualification_credential,
)
from .schemas import NamePreference, NamePreferenceRead, QualificationRead, QualificationRevocation

__all__ = [
    "InvalidRevocationDate",
    "NotQualified",
    "QualificationNotFound",
    "cited_qualifications",
    "current_qualification",
    "get_qualification",
    "issue",
    "key_url",
    "list_qualifications",
    "own_qualification",
    "pseudonym_of",
    "qualification_document",
    "qualification_url",
    "require_current",
    "revoke",
    "served_bytes",
    "set_name_preference",
]


class NotQualified(Invalid):
    """The issuer requires a current qualification to assess this micro-credential, and the assessor has
    none (never calibrated, expired, or revoked): calibrate at /api/v1/calibration/attempts."""

    code = "assessor-not-qualified"


class QualificationNotFound(NotFound):
    """No such qualification for this caller (another issuer's, or another assessor's)."""

    code = "qualification-not-found"


class InvalidRevocationDate(Invalid):
    """A revocation cannot take effect in the future."""

    code = "invalid-revocation-date"


_OWN_PATH = re.compile(r"^/issuers/(?P<slug>[a-z0-9-]{1,64})/qualifications/(?P<id>[0-9a-fA-F-]{36})$")


def qualification_url(public_base_url: str, slug: str, qualification_id: uuid.UUID) -> str:
    """The id of a qualification credential, where it is served."""
    return f"{public_base_url.rstrip('/')}/issuers/{slug}/qualifications/{qualification_id}"


def key_url(public_base_url: str, slug: str, key: str) -> str:
    """The micro-credential ``key`` across its versions: the ``alignment`` target of its qualifications."""
    url = microcredential_key_url(achievement_id(public_base_url, slug, key, 1))
    assert url is not None  # achievement_id always ends in /v<n>
    return url


def pseudonym_of(session: Session, issuer_id: uuid.UUID, person_id: uuid.UUID) -> str:
    """The assessor's pseudonym at their issuer (``vc.qualification.assessor_pseudonym``)."""
    secret = session.scalars(select(Issuer.assessor_pseudonym_key).where(Issuer.id == issuer_id)).one()
    return assessor_pseudonym(secret, str(person_id))


def current_qualification(session: Session, assessor_id: uuid.UUID, key: str,
                          at: datetime) -> AssessorQualification | None:
    """The assessor's qualification for ``key`` that is valid at ``at`` and not revoked from before it (the
    newest, when re-calibration left two valid)."""
    return session.scalars(
        select(AssessorQualification)
        .where(AssessorQualification.assessor_id == assessor_id, AssessorQualification.microcredential_key == key,
               AssessorQualification.valid_from <= at, AssessorQualification.valid_until > at,
               or_(AssessorQualification.revoked_from.is_(None), AssessorQualification.revoked_from > at))
        .order_by(AssessorQualification.valid_from.desc(), AssessorQualification.id)
    ).first()


def require_current(session: Session, issuer: Issuer, assessor: Person, key: str, *, subject: str) -> None:
    """``NotQualified`` when the issuer requires qualification and ``assessor`` has no current one for ``key``.
    ``subject`` names the assessor in the message ("Sam Assessor", "you")."""
    if issuer.require_qualification and current_qualification(session, assessor.id, key, utcnow()) is None:
        verb = "have" if subject == "you" else "has"
        raise NotQualified(f"{subject} {verb} no current qualification for {key!r}, which {issuer.name} requires: "
                           "calibrate first (POST /api/v1/calibration/attempts)")


def _criteria(issuer: Issuer) -> str:
    rule = f"at least {issuer.calibration_exact_percent} % exact agreement"
    if issuer.calibration_adjacent_percent is not None:
        rule += f" and {issuer.calibration_adjacent_percent} % agreement within one level"
    return (f"Completed {issuer.name}'s assessor training for this micro-credential, then scored a calibration set "
            f"of anchor submissions against its rubric with {rule} with the master scores, over every criterion. "
            f"Valid for {issuer.qualification_validity_days} days; qualified assessors re-calibrate to renew it.")


def issue(session: Session, services: Services, issuer: Issuer, assessor: Person, *, key: str, title: str,
          exact_percent: int, adjacent_percent: int) -> AssessorQualification:
    """Issue a qualification to ``assessor`` for micro-credential ``key`` (``title``: its current title), in the
    caller's transaction: the revocation entry, the signed credential and the row, written together."""
    base = services.public_base_url
    now = datetime.now(timezone.utc).replace(microsecond=0)
    valid_until = now + timedelta(days=issuer.qualification_validity_days)
    qualification_id = uuid.uuid4()
    entry = status.reserve_entry(session, issuer.id, StatusPurpose.REVOCATION)
    status_entry = status.entry_for(base, issuer.slug, session.get_one(StatusList, entry.status_list_id),
                                    entry.status_index)
    did = issuer_did(base, issuer.slug)
    pseudonym = pseudonym_of(session, issuer.id, assessor.id)
    document = qualification_credential(
        id=qualification_url(base, issuer.slug, qualification_id), issuer=did, issuer_name=issuer.name,
        key_url=key_url(base, issuer.slug, key), microcredential_title=title, pseudonym=pseudonym,
        assessor_name=assessor.name if assessor.assessor_name_public else None, valid_from=now,
        valid_until=valid_until, exact_percent=exact_percent, adjacent_percent=adjacent_percent,
        criteria=_criteria(issuer), credential_status=status_entry)
    signed = sign_credential(document, services.keystore.load_or_create(issuer.slug, did), created=now)
    # The strict 1EdTech JSON Schema wants ``proof`` as an array; in JSON-LD one proof or a one-element list
    # mean the same, and the signature does not cover the proof itself.
    signed["proof"] = [signed["proof"]]
    row = AssessorQualification(id=qualification_id, issuer_id=issuer.id, assessor_id=assessor.id,
                                microcredential_key=key, pseudonym=pseudonym, revocation_entry_id=entry.id,
                                document=signed, valid_from=now, valid_until=valid_until, issued_at=now)
    session.add(row)
    session.flush()
    audit(session, issuer_id=issuer.id, actor_id=assessor.id, action="qualification.issued",
          target=f"qualification:{row.id}", key=key, exact_percent=exact_percent, adjacent_percent=adjacent_percent,
          valid_until=valid_until.isoformat())
    return row


# -- reading -------------------------------------------------------------------------------------------------


def _is_current(row: AssessorQualification, at: datetime) -> bool:
    return row.valid_from <= at < row.valid_until and (row.revoked_from is None or row.revoked_from > at)


def _read(session: Session, base: str, row: AssessorQualification) -> QualificationRead:
    issuer = session.get_one(Issuer, row.issuer_id)
    return QualificationRead(
        id=row.id, url=qualification_url(base, issuer.slug, row.id), assessor_id=row.assessor_id,
        assessor_name=session.get_one(Person, row.assessor_id).name, microcredential_key=row.microcredential_key,
        pseudonym=row.pseudonym, valid_from=row.valid_from, valid_until=row.valid_until,
        current=_is_current(row, utcnow()), issued_at=row.issued_at, revoked_at=row.revoked_at,
        revoked_from=row.revoked_from, revocation_reason=row.revocation_reason, document=dict(row.document))


def _visible(session: Session, principal: Principal, qualification_id: uuid.UUID, *,
             lock: bool = False) -> AssessorQualification:
    """A qualification the caller may read: any of the issuer's (admins), or their own (assessors); ``lock``
    holds its row until the commit."""
    row = session.get(AssessorQualification, qualification_id, with_for_update=lock, populate_existing=lock)
    if row is None or row.issuer_id != principal.issuer_id or (
            principal.role is not Role.ADMIN and row.assessor_id != principal.person_id):
        raise QualificationNotFound(f"no qualification {qualification_id}")
    return row


def list_qualifications(session: Session, services: Services, principal: Principal, page: PageParams, *,
                        assessor_id: uuid.UUID | None = None, key: str | None = None,
                        current: bool | None = None) -> Page[QualificationRead]:
    """The issuer's qualifications (admins) or the caller's own (assessors), newest first."""
    if principal.role not in (Role.ADMIN, Role.ASSESSOR):
        raise Forbidden("qualifications are read by admins and by the assessors who hold them")
    with read(session):
        query = select(AssessorQualification).where(AssessorQualification.issuer_id == principal.issuer_id)
        if principal.role is not Role.ADMIN:
            query = query.where(AssessorQualification.assessor_id == principal.person_id)
        if assessor_id is not None:
            query = query.where(AssessorQualification.assessor_id == assessor_id)
        if key is not None:
            query = query.where(AssessorQualification.microcredential_key == key)
        if current is not None:
            now = utcnow()
            is_current = ((AssessorQualification.valid_from <= now) & (AssessorQualification.valid_until > now)
                          & or_(AssessorQualification.revoked_from.is_(None), AssessorQualification.revoked_from > now))
            query = query.where(is_current if current else ~is_current)
        query = query.order_by(AssessorQualification.issued_at.desc(), AssessorQualification.id)
        rows, total = paginate(session, query, page)
        return Page(items=[_read(session, services.public_base_url, r) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def get_qualification(session: Session, services: Services, principal: Principal,
                      qualification_id: uuid.UUID) -> QualificationRead:
    with read(session):
        return _read(session, services.public_base_url, _visible(session, principal, qualification_id))


def revoke(session: Session, services: Services, principal: Principal, qualification_id: uuid.UUID,
           body: QualificationRevocation) -> QualificationRead:
    """Revoke a qualification (admins): its revocation bit is set and ``revoked_from`` recorded. Idempotent:
    revoking a revoked qualification changes nothing."""
    now = utcnow()
    effective = body.effective_from or now
    if effective.tzinfo is None:
        raise InvalidRevocationDate("effective_from needs a time zone (e.g. 2025-03-01T09:00:00Z)")
    if effective > now:
        raise InvalidRevocationDate("a revocation takes effect now or from an earlier moment, not in the future")
    base = services.public_base_url
    with transaction(session):
        row = _visible(session, principal, qualification_id, lock=True)  # one revocation, one date, one event
        if row.revoked_at is None:
            issuer = session.get_one(Issuer, row.issuer_id)
            entry = session.get_one(StatusEntry, row.revocation_entry_id)
            status.set_bit(session, issuer=issuer, list_id=entry.status_list_id, index=entry.status_index, value=True,
                           keystore=services.keystore, public_base_url=base)
            row.revoked_at = now
            row.revoked_from = effective
            row.revocation_reason = body.reason
            audit(session, issuer_id=issuer.id, actor_id=principal.person_id, action="qualification.revoked",
                  target=f"qualification:{row.id}", reason=body.reason, revoked_from=effective.isoformat())
        return _read(session, base, row)


def set_name_preference(session: Session, principal: Principal, body: NamePreference) -> NamePreferenceRead:
    """An assessor's choice to be named in qualifications and awards issued from now on (signed ones stay)."""
    if principal.role is not Role.ASSESSOR:
        raise Forbidden("only assessors choose how credentials name them as assessors")
    with transaction(session):
        person = session.get_one(Person, principal.person_id)
        person.assessor_name_public = body.name_public
        audit(session, issuer_id=principal.issuer_id, actor_id=person.id, action="assessor.name_preference",
              target=f"person:{person.id}", name_public=body.name_public)
        return NamePreferenceRead(assessor_id=person.id, name_public=body.name_public)


# -- served, and read by this service's verifier ---------------------------------------------------------------


def _row_by_address(session: Session, slug: str, qualification_id: uuid.UUID) -> AssessorQualification | None:
    return session.scalars(
        select(AssessorQualification).join(Issuer, Issuer.id == AssessorQualification.issuer_id)
        .where(Issuer.slug == slug, AssessorQualification.id == qualification_id)).first()


def served_bytes(document: dict[str, Any]) -> bytes:
    """What ``/issuers/{slug}/qualifications/{id}`` serves: the exact bytes awards digest."""
    return qualification_bytes(document)


def qualification_document(session: Session, slug: str, qualification_id: uuid.UUID) -> dict[str, Any]:
    """One qualification by the id its credential carries (public; its status says if it was revoked)."""
    with read(session):
        row = _row_by_address(session, slug, qualification_id)
        if row is None:
            raise QualificationNotFound(f"no qualification {qualification_id} of {slug}")
        return dict(row.document)


def own_qualification(services: Services, url: str) -> QualificationRecord:
    """A qualification issued here, by its id (URL), with the date its revocation takes effect from: the
    ``qualification_fetcher`` of ``vc.verify``. One indexed read. ``LookupError`` for any other URL."""
    base = services.public_base_url
    path = url.split("#", 1)[0].split("?", 1)[0]
    match = _OWN_PATH.fullmatch(path[len(base):]) if path.startswith(base + "/") else None
    if match is None:
        raise LookupError(f"{url} is not a qualification issued here")
    try:
        qualification_id = uuid.UUID(match["id"])
    except ValueError:
        raise LookupError(f"{url} is not a qualification issued here") from None
    with services.sessions() as session, read(session):
        found = session.execute(
            select(AssessorQualification.document, AssessorQualification.revoked_from)
            .join(Issuer, Issuer.id == AssessorQualification.issuer_id)
            .where(Issuer.slug == match["slug"], AssessorQualification.id == qualification_id)).first()
    if found is None:
        raise LookupError(f"no qualification {qualification_id} of {match['slug']} here")
    return QualificationRecord(document=found.document, revoked_from=found.revoked_from)


def cited_qualifications(session: Session, assessor_ids: Sequence[uuid.UUID], key: str,
                         at: datetime) -> dict[uuid.UUID, AssessorQualification]:
    """For each assessor, the qualification for ``key`` current at ``at`` (assessors without one are absent)."""
    found = {}
    for assessor_id in dict.fromkeys(assessor_ids):
        row = current_qualification(session, assessor_id, key, at)
        if row is not None:
            found[assessor_id] = row
    return found
