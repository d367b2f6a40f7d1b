"""The catalog's logic: create, edit, publish and version micro-credentials.

Versions
--------
``(issuer, key, version)`` names one version. Version 1 starts as a draft and may be edited until it is
published; a published version never changes again (credentials name the version they were earned on, and
its rubric is in them). ``POST .../versions`` makes version n+1 from the newest version of the key, applies
the changes and publishes it at once.

Older versions are **not** retired when a new one is published: they stay ``published`` because
credentials, attempts under assessment and public pages still refer to them, and ``retired`` is kept for
an issuer withdrawing a micro-credential altogether. What a new version changes is where *new* attempts
start: only the newest published version of a key (``latest``) accepts new submissions.

Publishing checks that the version is complete, then the pre-issuance conformance gate
(``credentials.conformance``): a sample award of it must validate against the unmodified 1EdTech schema and
the VC data model, and be signable; otherwise 422 ``nonconformant-microcredential`` lists the reasons.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..credentials.conformance import sample_problems
from ..db.models import Issuer, MicroCredential, MicroCredentialStatus, Role, utcnow
from ..db.session import transaction
from ..errors import Conflict, Invalid, NotFound
from ..features import Page, PageParams, audit, paginate
from ..principal import Principal
from ..services import Services
from ..vetting import labels as vetting
from ..vetting.schemas import VettedBy
from .schemas import MicroCredentialChanges, MicroCredentialCreate, MicroCredentialRead

__all__ = [
    "KeyTaken",
    "NotADraft",
    "NotPublished",
    "PublishedImmutable",
    "UnknownMicroCredential",
    "Incomplete",
    "Nonconformant",
    "create",
    "get",
    "latest_published_version",
    "list_microcredentials",
    "new_version",
    "publish",
    "published_version",
    "update",
]


class UnknownMicroCredential(NotFound):
    """No micro-credential with this id is visible to the caller."""

    code = "unknown-microcredential"


class KeyTaken(Conflict):
    """The issuer already has a micro-credential with this key (a new version is made with POST .../versions)."""

    code = "key-taken"


class PublishedImmutable(Conflict):
    """A published version cannot be edited; changes make a new version."""

    code = "published-immutable"


class NotADraft(Conflict):
    """Only a draft can be published."""

    code = "not-a-draft"


class NotPublished(Conflict):
    """The micro-credential has no published version to start from (publish the draft first)."""

    code = "not-published"


class Incomplete(Invalid):
    """The micro-credential cannot be published yet: ``errors`` lists what is missing or inconsistent."""

    code = "incomplete-microcredential"


class Nonconformant(Invalid):
    """A credential awarded on this version would not be accepted by conformant hosts (or could not be
    signed): ``errors`` lists why, from a sample award checked before publishing."""

    code = "nonconformant-microcredential"


class VersionRace(Conflict):
    """Another request made a version of this key at the same time; retry."""

    code = "version-race"


_DERIVED = frozenset({"latest", "vetted_by"})
"""Fields of the read model that are not columns."""


def _read(mc: MicroCredential, latest: bool, vetted_by: list[VettedBy] | None = None) -> MicroCredentialRead:
    return MicroCredentialRead.model_validate(
        {column: getattr(mc, column) for column in MicroCredentialRead.model_fields if column not in _DERIVED}
        | {"latest": latest, "vetted_by": vetted_by or []}
    )


def _with_vetting(services: Services, reads: list[MicroCredentialRead],
                  pending: list[vetting.Pending]) -> list[MicroCredentialRead]:
    # Verified after the read transaction ended (vetting.labels says why).
    labels = vetting.resolve(services, pending)
    return [r.model_copy(update={"vetted_by": labels.get(r.id, [])}) if r.id in labels else r for r in reads]


def latest_published_version(session: Session, issuer_id: uuid.UUID, key: str) -> int | None:
    """The newest published version number of ``key``, or None."""
    return session.scalar(
        select(func.max(MicroCredential.version)).where(
            MicroCredential.issuer_id == issuer_id,
            MicroCredential.key == key,
            MicroCredential.status == MicroCredentialStatus.PUBLISHED,
        )
    )


def published_version(session: Session, issuer_slug: str, key: str, version: int) -> MicroCredential | None:
    """Version ``version`` of ``key`` of the issuer ``issuer_slug`` on this service, if it was published (it may
    have been retired since): what other tenants may name (a state's registry, vetting, a nomination)."""
    return session.scalars(
        select(MicroCredential).join(Issuer, Issuer.id == MicroCredential.issuer_id)
        .where(Issuer.slug == issuer_slug, MicroCredential.key == key, MicroCredential.version == version,
               MicroCredential.status != MicroCredentialStatus.DRAFT)).first()


def _is_latest(session: Session, mc: MicroCredential) -> bool:
    return mc.status is MicroCredentialStatus.PUBLISHED and latest_published_version(
        session, mc.issuer_id, mc.key) == mc.version


def load(session: Session, principal: Principal, microcredential_id: uuid.UUID) -> MicroCredential:
    """The micro-credential if the caller may see it: same issuer, and not a draft for educators."""
    mc = session.get(MicroCredential, microcredential_id)
    if mc is None or mc.issuer_id != principal.issuer_id or (
        principal.role is Role.EDUCATOR and mc.status is MicroCredentialStatus.DRAFT
    ):
        raise UnknownMicroCredential(f"no micro-credential {microcredential_id}")
    return mc


def completeness_errors(mc: MicroCredential) -> list[str]:
    """What keeps ``mc`` from being published (empty when it is complete)."""
    errors: list[str] = []
    requirements: list[dict[str, Any]] = list(mc.requirements or [])
    rubric: dict[str, Any] = dict(mc.rubric or {})
    levels = [level["key"] for level in rubric.get("levels", [])]
    criteria = list(rubric.get("criteria", []))
    if not requirements:
        errors.append("requirements: at least one evidence requirement is needed")
    for name, keys in (("requirements", [r["key"] for r in requirements]), ("rubric.levels", levels),
                       ("rubric.criteria", [c["key"] for c in criteria])):
        duplicates = sorted(k for k, n in Counter(keys).items() if n > 1)
        if duplicates:
            errors.append(f"{name}: keys must be unique (repeated: {', '.join(duplicates)})")
    if len(levels) < 2:
        errors.append("rubric.levels: at least two levels are needed, lowest first")
    if not criteria:
        errors.append("rubric.criteria: at least one criterion is needed")
    for criterion in criteria:
        if criterion["required_level"] not in levels:
            errors.append(f"rubric.criteria.{criterion['key']}: required_level {criterion['required_level']!r} "
                          "is not one of the rubric's levels")
    if not any(r.get("required", True) for r in requirements) and requirements:
        errors.append("requirements: at least one requirement must be required")
    return errors


def _check_complete(mc: MicroCredential) -> None:
    errors = completeness_errors(mc)
    if errors:
        raise Incomplete("the micro-credential is not complete enough to publish: " + "; ".join(errors),
                         errors=errors)


def _apply(mc: MicroCredential, changes: MicroCredentialChanges) -> None:
    for field, value in changes.model_dump(mode="json", exclude_unset=True).items():
        setattr(mc, field, value)


def create(session: Session, principal: Principal, body: MicroCredentialCreate) -> MicroCredentialRead:
    """Save a new micro-credential as draft version 1 of its key (the key is unique per issuer)."""
    with transaction(session):
        taken = session.scalar(select(MicroCredential.id).where(
            MicroCredential.issuer_id == principal.issuer_id, MicroCredential.key == body.key).limit(1))
        if taken is not None:
            raise KeyTaken(f"the key {body.key!r} is already used; to change it, create a new version of {taken}",
                           existing_id=str(taken))
        mc = MicroCredential(issuer_id=principal.issuer_id, version=1, status=MicroCredentialStatus.DRAFT,
                             **body.model_dump(mode="json"))
        session.add(mc)
        try:
            session.flush()
        except IntegrityError:  # a concurrent create of the same key won the (issuer, key, version) constraint
            raise KeyTaken(f"the key {body.key!r} is already used") from None
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="microcredential.create",
              target=f"microcredential:{mc.id}", key=mc.key, version=1)
        return _read(mc, latest=False)


def list_microcredentials(session: Session, services: Services, principal: Principal, page: PageParams, *,
                          key: str | None = None,
                          status: MicroCredentialStatus | None = None) -> Page[MicroCredentialRead]:
    """The issuer's micro-credential versions, newest key first; educators see published versions only. Each
    says which state agencies vet it (``vetted_by``, only while the endorsement verifies)."""
    with transaction(session):
        query = select(MicroCredential).where(MicroCredential.issuer_id == principal.issuer_id)
        if principal.role is Role.EDUCATOR:
            query = query.where(MicroCredential.status == MicroCredentialStatus.PUBLISHED)
        if key is not None:
            query = query.where(MicroCredential.key == key)
        if status is not None:
            query = query.where(MicroCredential.status == status)
        query = query.order_by(MicroCredential.key, MicroCredential.version.desc())
        rows, total = paginate(session, query, page)
        latest: dict[str, int | None] = {}
        for mc in rows:
            if mc.key not in latest:
                latest[mc.key] = latest_published_version(session, principal.issuer_id, mc.key)
        items = [_read(mc, mc.status is MicroCredentialStatus.PUBLISHED and latest[mc.key] == mc.version)
                 for mc in rows]
        pending = vetting.collect(session, services.public_base_url, rows)
    return Page(items=_with_vetting(services, items, pending), total=total, limit=page.limit, offset=page.offset)


def get(session: Session, services: Services, principal: Principal,
        microcredential_id: uuid.UUID) -> MicroCredentialRead:
    """One version of a micro-credential, with the state agencies that vet it."""
    with transaction(session):
        mc = load(session, principal, microcredential_id)
        found = _read(mc, _is_latest(session, mc))
        pending = vetting.collect(session, services.public_base_url, [mc])
    [found] = _with_vetting(services, [found], pending)
    return found


def update(session: Session, principal: Principal, microcredential_id: uuid.UUID,
           changes: MicroCredentialChanges) -> MicroCredentialRead:
    """Edit a draft. A published (or retired) version is immutable: 409 ``published-immutable``."""
    with transaction(session):
        mc = load(session, principal, microcredential_id)
        if mc.status is not MicroCredentialStatus.DRAFT:
            raise PublishedImmutable(
                f"version {mc.version} of {mc.key!r} is {mc.status.value} and cannot change; "
                f"create a new version instead: POST /api/v1/microcredentials/{mc.id}/versions with the changes",
                key=mc.key, version=mc.version)
        _apply(mc, changes)
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="microcredential.update",
              target=f"microcredential:{mc.id}", fields=sorted(changes.model_fields_set))
        return _read(mc, latest=False)


def _check_conformant(session: Session, mc: MicroCredential, public_base_url: str) -> None:
    # The issuer's own profile (name, url, e-mail, image) goes into every award too: it is checked with it.
    reasons = sample_problems(session.get_one(Issuer, mc.issuer_id), mc, public_base_url)
    if reasons:
        raise Nonconformant("a credential awarded on this version would not be accepted by Open Badges 3.0 hosts: "
                            + "; ".join(reasons), errors=reasons)


def _publish(session: Session, principal: Principal, mc: MicroCredential, public_base_url: str) -> None:
    _check_complete(mc)
    _check_conformant(session, mc, public_base_url)
    mc.status = MicroCredentialStatus.PUBLISHED
    mc.published_at = utcnow()
    audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="microcredential.publish",
          target=f"microcredential:{mc.id}", key=mc.key, version=mc.version)


def publish(session: Session, principal: Principal, microcredential_id: uuid.UUID,
            public_base_url: str) -> MicroCredentialRead:
    """Publish a draft after checking it is complete and conformant (see the module docstring); from then on it
    is immutable."""
    with transaction(session):
        mc = load(session, principal, microcredential_id)
        if mc.status is not MicroCredentialStatus.DRAFT:
            raise NotADraft(f"version {mc.version} of {mc.key!r} is already {mc.status.value}")
        _publish(session, principal, mc, public_base_url)
        return _read(mc, latest=True)


def new_version(session: Session, principal: Principal, microcredential_id: uuid.UUID,
                changes: MicroCredentialChanges, public_base_url: str) -> MicroCredentialRead:
    """Make and publish version n+1 of the key from its newest version, with ``changes`` applied.

    The earlier versions stay published (see the module docstring); only the new one takes new attempts.
    """
    with transaction(session):
        mc = load(session, principal, microcredential_id)
        newest = session.scalars(
            select(MicroCredential)
            .where(MicroCredential.issuer_id == mc.issuer_id, MicroCredential.key == mc.key)
            .order_by(MicroCredential.version.desc()).limit(1)
        ).one()
        if newest.status is MicroCredentialStatus.DRAFT:
            raise NotPublished(f"version {newest.version} of {mc.key!r} is still a draft: edit it with PATCH and "
                               f"publish it (POST /api/v1/microcredentials/{newest.id}/publish)")
        columns = [c for c in MicroCredentialChanges.model_fields] + ["key"]
        successor = MicroCredential(issuer_id=mc.issuer_id, version=newest.version + 1,
                                    status=MicroCredentialStatus.DRAFT,
                                    **{c: _copy(getattr(newest, c)) for c in columns})
        _apply(successor, changes)
        session.add(successor)
        _publish(session, principal, successor, public_base_url)
        try:
            session.flush()
        except IntegrityError:
            raise VersionRace(f"another version of {mc.key!r} was made at the same time; retry") from None
        return _read(successor, latest=True)


def _copy(value: Any) -> Any:
    # JSON columns: give the new version its own lists and dicts.
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value
