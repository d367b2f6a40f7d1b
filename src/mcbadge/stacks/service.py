"""Stacks: an issuer's rule over component achievements that leads to a designation, and its cascade.

Define
------
A stack version is a designation (an OB 3.0 Achievement: name, description, criteria, ``achievementType``,
the role it qualifies for) and a rule: ``all`` components, or ``n_of_m`` with ``required_count`` N; any
component may be ``required``. A component is this issuer's micro-credential (key + accepted versions) or
another issuer's achievement (issuer DID + achievement id). Both reduce to (issuer DID, achievement id)
pairs, which is how a held credential is matched. Versioned like the catalog: draft -> publish, a published
version is immutable, ``POST .../versions`` makes and publishes the next one.

Evaluate and award
------------------
:func:`evaluate` looks at what the educator holds: credentials awarded here (not revoked, not suspended,
not expired) and other issuers' credentials they added (stored by the OB 3.0 API's upsert, and **verified
again now**: signature, status, validity — a credential that does not verify does not count). For each
published stack (newest version of each key) whose rule is met it decides a :class:`Designation`: awarded
at once when the issuer sets ``auto_award_designations``, else pending until an admin approves (which
evaluates again). The award follows ``credentials.award``: one transaction, the designation row locked or
inserted first (unique per educator and stack version), status entries reserved through the status
service, the credential row before the signature, an audit event.

The designation credential names each component in ``evidence`` (``id`` = the component credential's id)
and binds it in ``relatedResource`` with ``vc.components.component_digest``.

Cascade (issuer side)
---------------------
:func:`revoke_credential` revokes a credential and, in the same transaction, makes every awarded designation
whose rule no longer holds without it fall (reason naming the component, audit event). By default a fallen
designation's credential is **revoked** and the designation is ``lapsed``: when its rule holds again (a
substitute component was earned or added) a **new** designation credential is awarded (or, without
auto-award, the designation waits for approval again), and the audit event says which credential it
replaces. Credentials carry one status entry unless their issuer opted into suspension
(docs/DECISIONS.md, "One status entry"); for such an issuer, and a designation credential that carries
a suspension entry, the designation is **suspended** instead and reinstated when the rule holds again.
Other issuers' revocations and expiries are seen when components are checked again (:func:`recheck`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..credentials import service as credentials
from ..credentials.build import achievement_id as microcredential_achievement_id
from ..credentials.build import credential_status, credential_url
from ..db.models import (
    Credential,
    Designation,
    DesignationStatus,
    Issuer,
    MicroCredential,
    MicroCredentialStatus,
    Person,
    Role,
    Stack,
    StackStatus,
    utcnow,
)
from ..db.oauth_models import UpsertedCredential
from ..db.session import read, transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..events import outbox as events
from ..features import Page, PageParams, audit, paginate
from ..identity import issuer_did
from ..obapi import service as obapi
from ..obapi.errors import ImsxError
from ..principal import Principal
from ..services import Services
from ..status import service as status
from ..vc.components import component_digest, component_media_type
from ..vc.identity_hash import identity_object, issued_to
from ..vc.models import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Criteria,
    Evidence,
    Image,
    Profile,
    RelatedResource,
)
from ..vc.verify import verify
from .schemas import ComponentUsed, DesignationRead, StackChanges, StackCreate, StackRead

log = logging.getLogger(__name__)

__all__ = [
    "ExternalCredentialRefused",
    "KeyTaken",
    "NotADraft",
    "NotComplete",
    "PublishedImmutable",
    "UnknownDesignation",
    "UnknownStack",
    "add_external_credential",
    "approve",
    "award_component",
    "create",
    "evaluate",
    "get",
    "list_designations",
    "list_stacks",
    "new_version",
    "publish",
    "revoke_credential",
    "rule_met",
    "update",
]


class UnknownStack(NotFound):
    """No stack with this id is visible to the caller."""

    code = "unknown-stack"


class UnknownDesignation(NotFound):
    """No designation with this id is visible to the caller."""

    code = "unknown-designation"


class KeyTaken(Conflict):
    """The issuer already has a stack with this key (a new version is made with POST .../versions)."""

    code = "stack-key-taken"


class PublishedImmutable(Conflict):
    """A published stack version cannot be edited; changes make a new version."""

    code = "stack-published-immutable"


class NotADraft(Conflict):
    """Only a draft stack can be published (and a new version needs no draft pending)."""

    code = "stack-not-a-draft"


class UnknownComponent(Invalid):
    """A local component names a micro-credential version this issuer has not published."""

    code = "unknown-component"


class NotComplete(Conflict):
    """The designation's stack is not complete (any more): nothing to approve."""

    code = "stack-not-complete"


class ExternalCredentialRefused(Invalid):
    """The credential did not verify (or is not an Open Badge): it is not added and does not count."""

    code = "external-credential-refused"


def stack_achievement_id(public_base_url: str, slug: str, key: str, version: int) -> str:
    """The id of a stack version's designation (an OB Achievement)."""
    return f"{public_base_url.rstrip('/')}/issuers/{slug}/stacks/{quote(key, safe='')}/v{version}"


# -- define ----------------------------------------------------------------------------------------------


def _read(stack: Stack, base: str, slug: str) -> StackRead:
    fields = {c: getattr(stack, c) for c in StackRead.model_fields if c != "achievement_id"}
    return StackRead.model_validate(fields | {"achievement_id": stack_achievement_id(base, slug, stack.key,
                                                                                      stack.version)})


def _slug(session: Session, issuer_id: uuid.UUID) -> str:
    return session.get_one(Issuer, issuer_id).slug


def _load(session: Session, principal: Principal, stack_id: uuid.UUID) -> Stack:
    stack = session.get(Stack, stack_id)
    if stack is None or stack.issuer_id != principal.issuer_id or (
            principal.role is not Role.ADMIN and stack.status is StackStatus.DRAFT):
        raise UnknownStack(f"no stack {stack_id}")
    return stack


def _apply(stack: Stack, body: StackChanges | StackCreate) -> None:
    for field, value in body.model_dump(mode="json", exclude={"key"}).items():
        setattr(stack, field, value)


def create(session: Session, principal: Principal, base: str, body: StackCreate) -> StackRead:
    """Save a new stack as draft version 1 of its key."""
    with transaction(session):
        taken = session.scalar(select(Stack.id).where(Stack.issuer_id == principal.issuer_id,
                                                      Stack.key == body.key).limit(1))
        if taken is not None:
            raise KeyTaken(f"the key {body.key!r} is already used", existing_id=str(taken))
        stack = Stack(issuer_id=principal.issuer_id, key=body.key, version=1, status=StackStatus.DRAFT)
        _apply(stack, body)
        session.add(stack)
        try:
            session.flush()
        except IntegrityError:
            raise KeyTaken(f"the key {body.key!r} is already used") from None
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="stack.create",
              target=f"stack:{stack.id}", key=stack.key, version=1)
        return _read(stack, base, _slug(session, principal.issuer_id))


def list_stacks(session: Session, principal: Principal, base: str, page: PageParams) -> Page[StackRead]:
    """The issuer's stack versions (drafts for admins only), by key, newest version first."""
    with transaction(session):
        query = select(Stack).where(Stack.issuer_id == principal.issuer_id)
        if principal.role is not Role.ADMIN:
            query = query.where(Stack.status != StackStatus.DRAFT)
        rows, total = paginate(session, query.order_by(Stack.key, Stack.version.desc()), page)
        slug = _slug(session, principal.issuer_id)
        return Page(items=[_read(s, base, slug) for s in rows], total=total, limit=page.limit, offset=page.offset)


def get(session: Session, principal: Principal, base: str, stack_id: uuid.UUID) -> StackRead:
    with transaction(session):
        return _read(_load(session, principal, stack_id), base, _slug(session, principal.issuer_id))


def update(session: Session, principal: Principal, base: str, stack_id: uuid.UUID, body: StackChanges) -> StackRead:
    """Replace a draft's content; a published version is immutable."""
    with transaction(session):
        stack = _load(session, principal, stack_id)
        if stack.status is not StackStatus.DRAFT:
            raise PublishedImmutable(f"version {stack.version} of {stack.key!r} is {stack.status.value}; create a "
                                     f"new version: POST /api/v1/stacks/{stack.id}/versions")
        _apply(stack, body)
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="stack.update",
              target=f"stack:{stack.id}")
        return _read(stack, base, _slug(session, principal.issuer_id))


def _check_components(session: Session, stack: Stack) -> None:
    for component in stack.components:
        if component["kind"] != "local":
            continue
        published = set(session.scalars(select(MicroCredential.version).where(
            MicroCredential.issuer_id == stack.issuer_id, MicroCredential.key == component["key"],
            MicroCredential.status == MicroCredentialStatus.PUBLISHED)))
        missing = sorted(set(component["versions"]) - published)
        if missing:
            raise UnknownComponent(f"micro-credential {component['key']!r} has no published version "
                                   f"{', '.join(map(str, missing))}", key=component["key"], versions=missing)


def _publish(session: Session, principal: Principal, stack: Stack) -> None:
    _check_components(session, stack)
    stack.status = StackStatus.PUBLISHED
    stack.published_at = utcnow()
    audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="stack.publish",
          target=f"stack:{stack.id}", key=stack.key, version=stack.version)


def publish(session: Session, principal: Principal, base: str, stack_id: uuid.UUID) -> StackRead:
    with transaction(session):
        stack = _load(session, principal, stack_id)
        if stack.status is not StackStatus.DRAFT:
            raise NotADraft(f"version {stack.version} of {stack.key!r} is already {stack.status.value}")
        _publish(session, principal, stack)
        return _read(stack, base, _slug(session, principal.issuer_id))


def new_version(session: Session, principal: Principal, base: str, stack_id: uuid.UUID,
                body: StackChanges) -> StackRead:
    """Make and publish version n+1 of the stack's key with ``body`` as its content."""
    with transaction(session):
        stack = _load(session, principal, stack_id)
        newest = session.scalar(select(func.max(Stack.version)).where(
            Stack.issuer_id == stack.issuer_id, Stack.key == stack.key)) or 0
        successor = Stack(issuer_id=stack.issuer_id, key=stack.key, version=newest + 1, status=StackStatus.DRAFT)
        _apply(successor, body)
        session.add(successor)
        _publish(session, principal, successor)
        try:
            session.flush()
        except IntegrityError:
            raise NotADraft(f"another version of {stack.key!r} was made at the same time; retry") from None
        return _read(successor, base, _slug(session, principal.issuer_id))


# -- what the educator holds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """A credential the educator holds that may count as a component, as it would be presented."""

    credential_id: str
    issuer: str
    achievement_id: str
    presented: Mapping[str, Any] | str
    local_credential_id: uuid.UUID | None = None

    def used(self) -> dict[str, Any]:
        return {"credential_id": self.credential_id, "issuer": self.issuer, "achievement_id": self.achievement_id,
                "digest": component_digest(self.presented),
                "local_credential_id": str(self.local_credential_id) if self.local_credential_id else None}


def _issuer_of(document: Mapping[str, Any]) -> str | None:
    value = document.get("issuer")
    value = value.get("id") if isinstance(value, Mapping) else value
    return value if isinstance(value, str) else None


def _achievement_of(document: Mapping[str, Any]) -> str | None:
    subject = document.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    value = achievement.get("id") if isinstance(achievement, Mapping) else None
    return value if isinstance(value, str) else None


def _external(session: Session, services: Services, educator_id: uuid.UUID, now: datetime) -> list[Held]:
    """Other issuers' credentials the educator added, verified again now (signature, status, validity): only
    those that verify count. Called OUTSIDE the decision's transaction: verifying may fetch status lists,
    and this service's own lists may be re-signed on the way (a write that must not wait on our lock)."""
    with read(session):
        email = session.scalar(select(Person.email).where(Person.id == educator_id))
        values = [row.jwt or row.document for row in session.scalars(
            select(UpsertedCredential).where(UpsertedCredential.educator_id == educator_id)
            .order_by(UpsertedCredential.issued_at.desc()))]
    held: list[Held] = []
    for value in values:
        if value is None:
            continue
        document = _verified_document(services, value, now)
        if document is None or not email or not issued_to(document, email):
            continue  # does not verify now, or was not issued to this educator: it does not count
        issuer_of, achievement = _issuer_of(document), _achievement_of(document)
        if issuer_of and achievement and isinstance(document.get("id"), str):
            held.append(Held(document["id"], issuer_of, achievement, value))
    return held


def _verified_document(services: Services, value: Mapping[str, Any] | str, now: datetime) -> Mapping[str, Any] | None:
    """The credential as read if it verifies now (signature, status, validity) with the service's one
    verifier set-up; None otherwise."""
    report = verify(value, resolver=services.resolver, now=now, status_fetcher=services.status_fetcher,
                    status_list_cache=services.status_list_cache,
                    canonicalizer=services.contexts.canonicalizer_for(value))
    if not report.verified or report.failed() or report.credential is None:
        return None
    return report.credential


def _held(session: Session, services: Services, issuer: Issuer, educator_id: uuid.UUID, now: datetime,
          external: Sequence[Held]) -> list[Held]:
    """What the educator holds: credentials awarded here that stand (not revoked, suspended or expired),
    then the ``external`` ones (already verified by :func:`_external`)."""
    base = services.settings.public_base_url
    own_did = issuer_did(base, issuer.slug)
    held: list[Held] = []
    rows = session.execute(
        select(Credential, MicroCredential).join(MicroCredential, Credential.microcredential_id == MicroCredential.id)
        .where(Credential.issuer_id == issuer.id, Credential.educator_id == educator_id,
               Credential.revoked_at.is_(None), Credential.suspended.is_(False))
        .order_by(Credential.issued_at.desc())).all()
    for credential, mc in rows:
        if credential.valid_until is not None and credential.valid_until <= now:
            continue
        presented: Mapping[str, Any] | str | None = credential.jwt or credential.document
        if presented is None:
            continue
        held.append(Held(credential_url(base, credential.id), own_did,
                         microcredential_achievement_id(base, issuer.slug, mc.key, mc.version), presented,
                         credential.id))
    return held + list(external)


def _accepted(stack: Stack, component: Mapping[str, Any], base: str, slug: str) -> set[tuple[str, str]]:
    """The (issuer DID, achievement id) pairs that satisfy ``component``."""
    if component["kind"] == "local":
        did = issuer_did(base, slug)
        return {(did, microcredential_achievement_id(base, slug, component["key"], v)) for v in component["versions"]}
    return {(component["issuer_did"], component["achievement_id"])}


def rule_met(stack: Stack, satisfied: Sequence[bool]) -> bool:
    """Whether the stack's rule holds when component i is ``satisfied[i]``: every required component, and
    all of them (``all``) or at least ``required_count`` (``n_of_m``)."""
    if any(c.get("required") and not ok for c, ok in zip(stack.components, satisfied, strict=True)):
        return False
    needed = len(stack.components) if stack.rule == "all" else (stack.required_count or len(stack.components))
    return sum(satisfied) >= needed


def _choose(stack: Stack, held: Sequence[Held], base: str, slug: str) -> tuple[bool, list[Held]]:
    """Whether the rule is met by ``held``, and the credential used for each satisfied component (the newest
    one; a credential counts for one component only)."""
    used: list[Held] = []
    satisfied: list[bool] = []
    taken: set[str] = set()
    for component in stack.components:
        accepted = _accepted(stack, component, base, slug)
        match = next((h for h in held if (h.issuer, h.achievement_id) in accepted and h.credential_id not in taken),
                     None)
        satisfied.append(match is not None)
        if match is not None:
            taken.add(match.credential_id)
            used.append(match)
    return rule_met(stack, satisfied), used


# -- designations ----------------------------------------------------------------------------------------


def _designation_read(designation: Designation) -> DesignationRead:
    return DesignationRead(id=designation.id, stack_id=designation.stack_id, educator_id=designation.educator_id,
                           status=designation.status, credential_id=designation.credential_id,
                           suspended=designation.credential is not None and designation.credential.suspended,
                           components=[ComponentUsed.model_validate(c) for c in designation.components],
                           created_at=designation.created_at, decided_at=designation.decided_at)


def _current_stacks(session: Session, issuer_id: uuid.UUID) -> list[Stack]:
    newest = (select(Stack.key, func.max(Stack.version).label("version"))
              .where(Stack.issuer_id == issuer_id, Stack.status == StackStatus.PUBLISHED)
              .group_by(Stack.key).subquery())
    return list(session.scalars(select(Stack).join(newest, (Stack.key == newest.c.key)
                                                   & (Stack.version == newest.c.version))
                                .where(Stack.issuer_id == issuer_id).order_by(Stack.key)))


def _build(services: Services, issuer: Issuer, stack: Stack, educator: Person, credential: Credential,
           used: Sequence[Held], revocation: Mapping[str, Any], suspension: Mapping[str, Any] | None,
           now: datetime) -> dict[str, Any]:
    base = services.settings.public_base_url
    rule = ("all of its components" if stack.rule == "all"
            else f"{stack.required_count} of its {len(stack.components)} components")
    required = [c for c in stack.components if c.get("required")]
    narrative = f"{stack.criteria.strip()}\n\nAwarded on completing {rule}"
    narrative += f", including the {len(required)} required" if required else ""
    narrative += "; each component credential is named in the evidence and bound by its digest."
    evidence = [Evidence(id=h.credential_id, name="Component credential", genre="ComponentCredential",
                         description=f"Issued by {h.issuer} for the achievement {h.achievement_id}.")
                for h in used]
    related = [RelatedResource(id=h.credential_id, digestMultibase=component_digest(h.presented),
                               mediaType=component_media_type(h.presented)) for h in used]
    document = AchievementCredential(
        id=credential_url(base, credential.id),
        name=stack.name,
        description=f"{issuer.name} awarded the designation \u201c{stack.name}\u201d (version {stack.version}), "
                    f"which qualifies for the role of {stack.role}.",
        image=Image(id=stack.image_url, caption=stack.name) if stack.image_url else None,
        issuer=Profile(id=issuer_did(base, issuer.slug), name=issuer.name, url=issuer.url or None,
                       email=issuer.email or None),
        validFrom=now,
        credentialSubject=AchievementSubject(
            identifier=[identity_object(educator.email)],
            achievement=Achievement(
                id=stack_achievement_id(base, issuer.slug, stack.key, stack.version),
                name=stack.name, description=stack.description, criteria=Criteria(narrative=narrative),
                achievementType=stack.achievement_type, tag=[stack.role], version=str(stack.version),
                image=Image(id=stack.image_url, caption=stack.name) if stack.image_url else None,
            ),
        ),
        evidence=evidence,
        relatedResource=related or None,
    ).to_json_ld()
    # As awards carry them: one entry, or two for an issuer that opted into suspension.
    document["credentialStatus"] = credential_status(revocation, suspension)
    return document


def _award(session: Session, services: Services, issuer: Issuer, stack: Stack, designation: Designation,
           used: Sequence[Held], approved_by: uuid.UUID | None) -> None:
    """Issue the designation credential (inside the caller's transaction; the designation row is locked). A
    lapsed designation gets a new credential in place of its revoked one, and the audit event says so."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    credential = credentials.insert_with_indexes(
        session, issuer_id=issuer.id, educator_id=designation.educator_id, approved_by=approved_by,
        format="ldp", list_length=status.DEFAULT_LIST_LENGTH, suspension=issuer.suspension_status,
        stack_id=stack.id, awarded_already=lambda: False)
    base = services.settings.public_base_url
    revocation, suspension = credentials.status_entries(session, base, issuer.slug, credential)
    educator = session.get_one(Person, designation.educator_id)
    document = _build(services, issuer, stack, educator, credential, used, revocation, suspension, now)
    credentials.sign_into(services, issuer, credential, document, format="ldp", now=now)
    replaced = designation.credential_id
    designation.status = DesignationStatus.AWARDED
    designation.credential_id = credential.id
    designation.components = [h.used() for h in used]
    designation.approved_by = approved_by
    designation.decided_at = utcnow()
    audit(session, issuer_id=issuer.id, actor_id=approved_by, action="designation.awarded",
          target=f"credential:{credential.id}", designation_id=str(designation.id),
          stack=f"{stack.key}/v{stack.version}", auto_approved=approved_by is None,
          components=[h.credential_id for h in used],
          **({"replaces": f"credential:{replaced}"} if replaced is not None else {}))
    events.emit(session, issuer_id=issuer.id, type=events.EventType.DESIGNATION_AWARDED,
                ordering_key=events.ordering_key_of(credential),
                data=events.credential_data(session, base, credential,
                                            replaces=str(replaced) if replaced is not None else None),
                educator_email=educator.email)


def _locked_designation(session: Session, stack: Stack, educator_id: uuid.UUID) -> Designation | None:
    return session.scalars(select(Designation).where(Designation.stack_id == stack.id,
                                                     Designation.educator_id == educator_id)
                           .with_for_update()).first()


def _decide(session: Session, services: Services, issuer: Issuer, stack: Stack, educator_id: uuid.UUID,
            held: Sequence[Held], actor_id: uuid.UUID | None) -> Designation | None:
    base = services.settings.public_base_url
    met, used = _choose(stack, held, base, issuer.slug)
    designation = _locked_designation(session, stack, educator_id)
    if designation is not None and designation.status in _DECIDED:
        _stand_or_fall(session, services, issuer, stack, designation, held, actor_id)
        return designation
    if not met:
        return designation
    if designation is None:
        designation = Designation(issuer_id=issuer.id, stack_id=stack.id, educator_id=educator_id,
                                  status=DesignationStatus.PENDING, components=[h.used() for h in used])
        with session.begin_nested():
            session.add(designation)
            session.flush()
        audit(session, issuer_id=issuer.id, actor_id=actor_id, action="designation.completed",
              target=f"designation:{designation.id}", stack=f"{stack.key}/v{stack.version}")
    else:
        designation.components = [h.used() for h in used]
    if issuer.auto_award_designations:
        _award(session, services, issuer, stack, designation, used, approved_by=None)
    return designation


_DECIDED = (DesignationStatus.AWARDED, DesignationStatus.LAPSED)
"""Designations whose credential was issued: each is decided again when the components change."""


def _stand_or_fall(session: Session, services: Services, issuer: Issuer, stack: Stack, designation: Designation,
                   held: Sequence[Held], actor_id: uuid.UUID | None, cause: str | None = None) -> bool:
    """Decide an awarded (or lapsed) designation again against what the educator holds now (components
    re-checked); whether it changed. A stack that no longer holds makes the designation fall, naming the
    components that fell away: its credential is revoked and the designation lapses, or, for an issuer that
    opted into suspension, it is suspended. One that holds again (a substitute was earned) brings it back: a
    lapsed designation gets a new credential (:func:`_award`; without auto-award it waits for approval
    again), a suspended one is reinstated.

    Revoking a component issued here cascades at once (:func:`revoke_credential`); another issuer's revocation
    or an expiry is only seen when components are checked again: at the educator's next decision, or when the
    issuer re-checks (:func:`recheck`, ``mcbadge designations recheck`` on a schedule)."""
    assert designation.credential_id is not None
    credential = session.get_one(Credential, designation.credential_id)
    met, used = _choose(stack, held, services.settings.public_base_url, issuer.slug)
    if designation.status is DesignationStatus.LAPSED:
        if not met:
            return False
        if issuer.auto_award_designations:
            _award(session, services, issuer, stack, designation, used, approved_by=None)
        else:
            designation.status = DesignationStatus.PENDING
            designation.components = [h.used() for h in used]
            audit(session, issuer_id=issuer.id, actor_id=actor_id, action="designation.completed",
                  target=f"designation:{designation.id}", stack=f"{stack.key}/v{stack.version}",
                  replaces=f"credential:{credential.id}")
        return True
    if credential.revoked_at is not None:
        return False  # revoked by an admin: nothing the components do brings it back
    if met and credential.suspended:
        credentials.set_suspension(session, services, issuer_id=issuer.id, actor_id=actor_id,
                                   credential_id=credential.id, suspended=False,
                                   reason="the stack is complete again: a substitute component was earned")
        designation.components = [h.used() for h in used]
        audit(session, issuer_id=issuer.id, actor_id=actor_id, action="designation.reinstated",
              target=f"designation:{designation.id}")
        return True
    if not met and not credential.suspended:
        standing = {h.credential_id for h in held}
        fallen = [c["credential_id"] for c in designation.components if c["credential_id"] not in standing]
        reason = (f"{cause or ', '.join(fallen) or 'a component'}"
                  f"{'' if cause else ' no longer verifies (revoked, suspended or expired)'}; "
                  f"the stack {stack.key}/v{stack.version} is no longer complete")
        if credentials.suspendable(issuer, credential):
            credentials.set_suspension(session, services, issuer_id=issuer.id, actor_id=actor_id,
                                       credential_id=credential.id, suspended=True, reason=reason)
            action = "designation.suspended"
        else:
            credentials.revoke_in_transaction(session, services, issuer_id=issuer.id, actor_id=actor_id,
                                              credential_id=credential.id, reason=reason)
            designation.status = DesignationStatus.LAPSED
            action = "designation.revoked"
        audit(session, issuer_id=issuer.id, actor_id=actor_id, action=action,
              target=f"designation:{designation.id}", components=fallen, reason=reason,
              credential=f"credential:{credential.id}")
        return True
    return False


def _evaluate_in(session: Session, services: Services, issuer_id: uuid.UUID, educator_id: uuid.UUID,
                 actor_id: uuid.UUID | None, external: Sequence[Held]) -> list[Designation]:
    issuer = session.get_one(Issuer, issuer_id)
    stacks = _current_stacks(session, issuer_id)
    if not stacks:
        return []
    held = _held(session, services, issuer, educator_id, datetime.now(timezone.utc), external)
    decided = [_decide(session, services, issuer, s, educator_id, held, actor_id) for s in stacks]
    return [d for d in decided if d is not None]


def _educator(session: Session, principal: Principal, educator_id: uuid.UUID | None) -> uuid.UUID:
    if principal.role is Role.EDUCATOR:
        if educator_id not in (None, principal.person_id):
            raise Forbidden("an educator evaluates their own record only")
        return principal.person_id
    if principal.role is not Role.ADMIN:
        raise Forbidden(f"the {principal.role.value} role cannot evaluate designations")
    if educator_id is None:
        raise Invalid("educator_id is required for an admin")
    person = session.get(Person, educator_id)
    if person is None or person.issuer_id != principal.issuer_id or person.role is not Role.EDUCATOR:
        raise UnknownDesignation(f"no educator {educator_id}")
    return educator_id


def evaluate(session: Session, services: Services, principal: Principal,
             educator_id: uuid.UUID | None = None) -> list[DesignationRead]:
    """Decide every current stack for the educator (their own record, or an admin's choice); idempotent."""
    with read(session):
        who = _educator(session, principal, educator_id)
    external = _external(session, services, who, datetime.now(timezone.utc))
    try:
        with transaction(session):
            return [_designation_read(d) for d in _evaluate_in(session, services, principal.issuer_id, who,
                                                               principal.person_id, external)]
    except IntegrityError:
        # A concurrent evaluation inserted the same designation first: its outcome stands; read it.
        with read(session):
            rows = session.scalars(select(Designation).where(Designation.issuer_id == principal.issuer_id,
                                                             Designation.educator_id == who))
            return [_designation_read(d) for d in rows]


def award_component(session: Session, services: Services, submission_id: uuid.UUID, *,
                    approved_by: uuid.UUID | None, format: credentials.Format = "ldp",
                    issuer_id: uuid.UUID | None = None) -> credentials.Award:
    """``credentials.award``, then the educator's designations decided in a transaction of their own.

    The award stands whatever the decision does: a decision that fails is logged and made again on the
    next evaluation (``POST /api/v1/stacks/designations/evaluate``), which is idempotent.
    """
    outcome = credentials.award(session, services, submission_id, approved_by=approved_by, format=format,
                                issuer_id=issuer_id)
    credential = outcome.credential
    try:
        external = _external(session, services, credential.educator_id, datetime.now(timezone.utc))
        with transaction(session):
            _evaluate_in(session, services, credential.issuer_id, credential.educator_id, approved_by, external)
    except Exception:
        log.exception("deciding designations after awarding credential %s failed", credential.id)
    return outcome


def award_renewal(session: Session, services: Services, *, credential_id: uuid.UUID, submission_id: uuid.UUID,
                  approved_by: uuid.UUID, issuer_id: uuid.UUID) -> credentials.Award:
    """Renew ``credential_id``: award the attempt that re-assessed it (``submission_id``, started with
    ``renewal_of``) with :func:`award_component`; the new credential names the old one (``renewal_of``), which stays
    as it is (visible, marked expired once it is). Idempotent like every award."""
    credentials.check_renewal(session, issuer_id=issuer_id, credential_id=credential_id, submission_id=submission_id)
    return award_component(session, services, submission_id, approved_by=approved_by, issuer_id=issuer_id)


def approve(session: Session, services: Services, principal: Principal, designation_id: uuid.UUID) -> DesignationRead:
    """An admin approves a pending designation: the stack is decided again (components re-checked) and the
    designation credential issued. Approving an awarded designation returns it unchanged."""
    with read(session):
        found = session.scalars(select(Designation.educator_id).where(
            Designation.id == designation_id, Designation.issuer_id == principal.issuer_id)).first()
    if found is None:
        raise UnknownDesignation(f"no designation {designation_id}")
    external = _external(session, services, found, datetime.now(timezone.utc))
    with transaction(session):
        designation = session.scalars(select(Designation).where(Designation.id == designation_id,
                                                                Designation.issuer_id == principal.issuer_id)
                                      .with_for_update()).first()
        if designation is None:
            raise UnknownDesignation(f"no designation {designation_id}")
        if designation.status is DesignationStatus.AWARDED:
            return _designation_read(designation)
        issuer = session.get_one(Issuer, principal.issuer_id)
        stack = session.get_one(Stack, designation.stack_id)
        held = _held(session, services, issuer, designation.educator_id, datetime.now(timezone.utc), external)
        met, used = _choose(stack, held, services.settings.public_base_url, issuer.slug)
        if not met:
            raise NotComplete("the stack is no longer complete for this educator (a component was revoked, "
                              "expired or no longer verifies)")
        _award(session, services, issuer, stack, designation, used, approved_by=principal.person_id)
        return _designation_read(designation)


def list_designations(session: Session, principal: Principal, page: PageParams) -> Page[DesignationRead]:
    """Admins: the issuer's designations; educators: their own."""
    with read(session):
        query = select(Designation).where(Designation.issuer_id == principal.issuer_id)
        if principal.role is Role.EDUCATOR:
            query = query.where(Designation.educator_id == principal.person_id)
        elif principal.role is not Role.ADMIN:
            raise Forbidden(f"designations are not visible to the {principal.role.value} role")
        rows, total = paginate(session, query.order_by(Designation.created_at, Designation.id), page)
        return Page(items=[_designation_read(d) for d in rows], total=total, limit=page.limit, offset=page.offset)


# -- external components ---------------------------------------------------------------------------------


def add_external_credential(session: Session, services: Services, principal: Principal,
                            value: Mapping[str, Any] | str) -> tuple[obapi.Upserted, list[DesignationRead]]:
    """Add another issuer's credential to the educator's record (stored by the OB 3.0 API's upsert, which
    verifies it first), then decide the educator's designations."""
    if principal.role is not Role.EDUCATOR:
        raise Forbidden("only an educator adds credentials to their own record")
    document = _verified_document(services, value, datetime.now(timezone.utc))
    with read(session):
        email = session.scalar(select(Person.email).where(Person.id == principal.person_id))
    if document is not None and (not email or not issued_to(document, email)):
        raise ExternalCredentialRefused(
            "the credential was not issued to you: none of its subject's identifiers is your e-mail address")
    try:
        upserted = obapi.upsert_credential(session, services, principal.person_id, value)
    except ImsxError as exc:
        raise ExternalCredentialRefused(exc.description) from None
    return upserted, evaluate(session, services, principal)


# -- cascade ---------------------------------------------------------------------------------------------


def revoke_credential(session: Session, services: Services, *, issuer_id: uuid.UUID, actor_id: uuid.UUID,
                      credential_id: uuid.UUID, reason: str) -> Credential:
    """Revoke a credential and, in the same transaction, make each awarded designation of its earner that
    rested on it, and whose stack no longer holds without it, fall (:func:`_stand_or_fall`: revoked, or
    suspended for an issuer with suspension on; with a reason naming the component and an audit event)."""
    with read(session):
        educator_id = session.scalar(select(Credential.educator_id).where(Credential.id == credential_id,
                                                                          Credential.issuer_id == issuer_id))
        has_designations = educator_id is not None and session.scalar(select(Designation.id).where(
            Designation.educator_id == educator_id, Designation.status == DesignationStatus.AWARDED).limit(1))
    # Verifying other issuers' credentials costs fetches: only when a designation may need them.
    external = _external(session, services, educator_id, datetime.now(timezone.utc)) \
        if educator_id is not None and has_designations else []
    with transaction(session):
        revoked = credentials.revoke_in_transaction(session, services, issuer_id=issuer_id, actor_id=actor_id,
                                                    credential_id=credential_id, reason=reason)
        issuer = session.get_one(Issuer, issuer_id)
        base = services.settings.public_base_url
        revoked_url = credential_url(base, revoked.id)
        dependants = [d for d in session.scalars(
            select(Designation).where(Designation.issuer_id == issuer_id, Designation.educator_id == revoked.educator_id,
                                      Designation.status == DesignationStatus.AWARDED).with_for_update())
            if any(c["credential_id"] == revoked_url for c in d.components)]
        if dependants:
            held = _held(session, services, issuer, revoked.educator_id, datetime.now(timezone.utc), external)
            for designation in dependants:
                _stand_or_fall(session, services, issuer, session.get_one(Stack, designation.stack_id), designation,
                               held, actor_id, cause=f"component {revoked_url} was revoked ({reason})")
        return revoked


def recheck(session: Session, services: Services, issuer_id: uuid.UUID,
            actor_id: uuid.UUID | None = None) -> list[DesignationRead]:
    """Check the components of every awarded (or lapsed) designation of the issuer again, now: a designation
    whose stack no longer holds (another issuer revoked a component, a component expired) falls, one that
    holds again comes back (:func:`_stand_or_fall`). The designations that changed. Run on a schedule
    (``mcbadge designations recheck``) or by an admin (``POST /api/v1/stacks/designations/recheck``);
    idempotent.

    One educator at a time: their other issuers' credentials are verified outside any transaction (it may
    fetch), then their designations are decided in one transaction."""
    with read(session):
        educators = list(session.scalars(
            select(Designation.educator_id).where(Designation.issuer_id == issuer_id,
                                                  Designation.status.in_(_DECIDED))
            .distinct().order_by(Designation.educator_id)))
    changed: list[DesignationRead] = []
    for educator_id in educators:
        external = _external(session, services, educator_id, datetime.now(timezone.utc))
        with transaction(session):
            issuer = session.get_one(Issuer, issuer_id)
            held = _held(session, services, issuer, educator_id, datetime.now(timezone.utc), external)
            for designation in session.scalars(
                    select(Designation).where(Designation.issuer_id == issuer_id,
                                              Designation.educator_id == educator_id,
                                              Designation.status.in_(_DECIDED))
                    .order_by(Designation.id).with_for_update()):
                stack = session.get_one(Stack, designation.stack_id)
                if _stand_or_fall(session, services, issuer, stack, designation, held, actor_id):
                    changed.append(_designation_read(designation))
    return changed


def recheck_all(session: Session, services: Services) -> dict[str, list[DesignationRead]]:
    """:func:`recheck` for every issuer on this service (the scheduled job); changed designations by slug."""
    with read(session):
        issuers = list(session.execute(
            select(Issuer.id, Issuer.slug).where(Issuer.id.in_(
                select(Designation.issuer_id).where(Designation.status.in_(_DECIDED))))
            .order_by(Issuer.slug)))
    return {slug: recheck(session, services, issuer_id) for issuer_id, slug in issuers}
