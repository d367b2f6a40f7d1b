"""Award, sign, revoke, suspend: the credentials of an issuer.

:func:`award` is THE award function (the approval route and the assessments' auto-approve both
call it). In one transaction it locks the submission, returns the existing credential if there is one,
reserves a random index in the issuer's revocation list (and in its suspension list when the issuer opted
into suspension), inserts the credential row, builds and signs the credential, marks the submission awarded
and writes an audit event. The row and its indexes
exist before the signature is made, and nothing signed leaves the process before the commit, so a crash
never leaves a signed credential without a row.

One credential per passing submission, whatever retries happen: the submission row is locked (``FOR
UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serializes writers anyway) and ``credentials.
submission_id`` is unique, so a concurrent duplicate that still gets as far as the insert fails there and
returns the credential the winner committed.

Suspension is an issuer's opt-in (``Issuer.suspension_status``, off by default): by default a credential
carries one ``credentialStatus`` entry, revocation, which is what the unmodified 1EdTech OB 3.0 JSON Schema
accepts (docs/DECISIONS.md, "One status entry"). A credential is suspended only while its issuer has
suspension on and it carries a suspension entry; a suspension can always be lifted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..db.models import (
    Assessment,
    Credential,
    EvidenceItem,
    Issuer,
    MicroCredential,
    Person,
    Role,
    StatusList,
    StatusPurpose,
    Submission,
    SubmissionStatus,
)
from ..db.session import read, transaction
from ..errors import Conflict, Forbidden, NotFound
from ..events import outbox as events
from ..features import PageParams, audit, paginate
from ..identity import issuer_did
from ..principal import Principal
from ..qualifications import service as qualifications
from ..services import Services
from ..status import service as status
from ..vc.data_integrity import sign_credential
from ..vc.jwt import encode_vc_jwt
from ..vc.keys import Signer
from ..vc.qualification import qualification_digest
from .build import AwardContext, DoubleScoring, QualificationCitation, build_credential

__all__ = [
    "AlreadyRenewed",
    "AlreadyRevoked",
    "NotARenewal",
    "Award",
    "NotSuspendable",
    "SuspensionOff",
    "CredentialNotFound",
    "CredentialRevoked",
    "NotPassed",
    "SubmissionNotFound",
    "award",
    "check_renewal",
    "get_credential",
    "insert_with_indexes",
    "revoke_in_transaction",
    "set_suspension",
    "sign_into",
    "signed_ldp",
    "list_credentials",
    "public_credential",
    "public_documents",
    "reinstate",
    "renewals",
    "revoke",
    "set_visibility",
    "status_entries",
    "suspend",
    "suspendable",
]

Format = Literal["ldp", "jwt"]

# Index collisions need two concurrent awards drawing the same random index out of 131,072: a retry or two
# at most; the bound only turns a bug into an error instead of a loop.
_MAX_ALLOCATION_ATTEMPTS = 10


class SubmissionNotFound(NotFound):
    """No such submission at the caller's issuer."""

    code = "submission-not-found"


class NotPassed(Conflict):
    """The submission has not passed its assessment (or has no passing assessment to award on)."""

    code = "not-passed"


class CredentialNotFound(NotFound):
    """No such credential for this caller (another issuer's, another educator's, or a private one)."""

    code = "credential-not-found"


class AlreadyRevoked(Conflict):
    """The credential is already revoked; revocation is permanent and happens once."""

    code = "already-revoked"


class CredentialRevoked(Conflict):
    """The credential is revoked: it cannot be suspended or reinstated any more."""

    code = "credential-revoked"


class SuspensionOff(Conflict):
    """Suspension is off for this issuer (the default): its credentials carry no suspension entry, so no
    verifier could see a suspension. Revoke instead, or turn suspension on for new credentials."""

    code = "suspension-off"


class AlreadyRenewed(Conflict):
    """The credential this attempt renews was renewed already (by another attempt's award)."""

    code = "already-renewed"


class NotARenewal(Conflict):
    """The submission is not an attempt to renew this credential (the educator starts one with ``renewal_of``)."""

    code = "not-a-renewal"


class NotSuspendable(Conflict):
    """The credential was issued without a suspension entry (before its issuer turned suspension on): it can
    be revoked, not suspended."""

    code = "not-suspendable"


_TURN_SUSPENSION_ON = (
    'turn it on for credentials issued from now on with PATCH /api/v1/issuer {"suspension_status": true}: they '
    "then carry two credentialStatus entries, which the unmodified 1EdTech OB 3.0 JSON Schema refuses (it "
    "allows one), so conformant hosts reject them")


@dataclass(frozen=True)
class Award:
    """The credential of a submission, and whether this call created it (False: it existed already)."""

    credential: Credential
    created: bool


def _deciding_assessment(submission: Submission) -> Assessment | None:
    """The assessment the credential refers to: the lead's decision when a lead decided, otherwise the latest
    passing one. The levels it reports are ``Submission.decided_scores`` (``assessments.scoring``), or this
    assessment's for a submission decided before they were recorded."""
    passing = [a for a in submission.assessments if a.passed]
    lead = [a for a in passing if a.lead_decision]
    if lead:
        return lead[-1]
    return passing[-1] if passing else None


def _existing(session: Session, submission_id: uuid.UUID) -> Credential | None:
    return session.scalars(select(Credential).where(Credential.submission_id == submission_id)).first()


def award(
    session: Session,
    services: Services,
    submission_id: uuid.UUID,
    *,
    approved_by: uuid.UUID | None,
    format: Format = "ldp",
    issuer_id: uuid.UUID | None = None,
    list_length: int = status.DEFAULT_LIST_LENGTH,
) -> Award:
    """Award a passing submission (see the module docstring); idempotent.

    ``issuer_id`` restricts the lookup to one tenant (the API passes the caller's). ``list_length`` is the
    length of a status list opened by this award. The credential carries the revocation entry, and the
    suspension entry too when the issuer opted into suspension (``credentials.build``).
    Commits what the session had pending first, then runs in its own transaction.
    """
    try:
        with transaction(session):
            outcome = _award(session, services, submission_id, approved_by=approved_by, format=format,
                             issuer_id=issuer_id, list_length=list_length)
        if outcome.created:
            services.metrics.awards.labels(format).inc()
        return outcome
    except IntegrityError:
        # A concurrent award of the same submission committed first (PostgreSQL, READ COMMITTED).
        with read(session):
            existing = _existing(session, submission_id)
        if existing is None:
            raise
        return Award(existing, created=False)


def _award(
    session: Session,
    services: Services,
    submission_id: uuid.UUID,
    *,
    approved_by: uuid.UUID | None,
    format: Format,
    issuer_id: uuid.UUID | None,
    list_length: int,
) -> Award:
    query = (
        select(Submission)
        .where(Submission.id == submission_id)
        .options(selectinload(Submission.evidence), selectinload(Submission.assessments))
        .with_for_update(of=Submission)
    )
    if issuer_id is not None:
        query = query.where(Submission.issuer_id == issuer_id)
    submission = session.scalars(query).first()
    if submission is None:
        raise SubmissionNotFound(f"no submission {submission_id}")
    existing = _existing(session, submission.id)
    if existing is not None:
        return Award(existing, created=False)
    if submission.status is not SubmissionStatus.PASSED:
        raise NotPassed(f"the submission is {submission.status.value}, not passed: only a passing submission is awarded")
    issuer = session.get_one(Issuer, submission.issuer_id)
    assessment = _deciding_assessment(submission)
    if assessment is None:
        raise NotPassed("the submission has no passing assessment to award on")
    microcredential = session.get_one(MicroCredential, submission.microcredential_id)
    educator = session.get_one(Person, submission.educator_id)

    if submission.renewal_of is not None and _renewed_by(session, submission.renewal_of) is not None:
        raise AlreadyRenewed(f"credential {submission.renewal_of}, which this attempt renews, was renewed already")

    now = datetime.now(timezone.utc).replace(microsecond=0)
    credential = _insert_with_indexes(session, submission, approved_by, format, now, list_length,
                                      suspension=issuer.suspension_status)
    credential.renewal_of = submission.renewal_of
    base = services.settings.public_base_url
    did = issuer_did(services.settings.public_base_url, issuer.slug)
    revocation, suspension = status_entries(session, base, issuer.slug, credential)
    citations = _citations(session, services, issuer, submission, microcredential.key, now)
    ctx = AwardContext(
        credential=credential,
        issuer=issuer,
        issuer_did=did,
        microcredential=microcredential,
        educator=educator,
        evidence=submission.evidence,
        assessment=assessment,
        assessor_count=len({a.assessor_id for a in submission.assessments}),
        revocation_entry=revocation,
        suspension_entry=suspension,
        qualifications=citations,
        scores=submission.decided_scores,
        double_scoring=(DoubleScoring(reason=submission.double_scoring_reason,
                                      sources=submission.score_sources or {})
                        if submission.double_scoring_reason else None),
    )
    document = build_credential(ctx, public_base_url=base, valid_from=now)
    sign_into(services, issuer, credential, document, format=format, now=now)
    submission.status = SubmissionStatus.AWARDED
    audit(session, issuer_id=issuer.id, actor_id=approved_by, action="credential.awarded",
          target=f"credential:{credential.id}", submission_id=str(submission.id), format=format,
          microcredential=f"{microcredential.key}/v{microcredential.version}",
          auto_approved=approved_by is None)
    events.emit(session, issuer_id=issuer.id, type=events.EventType.AWARDED,
                ordering_key=events.ordering_key_of(credential),
                data=events.credential_data(session, base, credential), educator_email=educator.email)
    return Award(credential, created=True)


def _renewed_by(session: Session, credential_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(select(Credential.id).where(Credential.renewal_of == credential_id))


def renewals(session: Session, credential_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Which of ``credential_ids`` were renewed, and by which credential (old id -> new id)."""
    with read(session):
        return {row.renewal_of: row.id for row in session.execute(
            select(Credential.id, Credential.renewal_of).where(Credential.renewal_of.in_(credential_ids)))}


def check_renewal(session: Session, *, issuer_id: uuid.UUID, credential_id: uuid.UUID,
                  submission_id: uuid.UUID) -> None:
    """That ``submission_id`` is an attempt at renewing ``credential_id``, both at ``issuer_id`` (what
    ``stacks.award_renewal`` checks before it awards)."""
    with read(session):
        credential = session.scalars(select(Credential).where(Credential.id == credential_id,
                                                              Credential.issuer_id == issuer_id)).first()
        if credential is None:
            raise CredentialNotFound(f"no credential {credential_id}")
        submission = session.scalars(select(Submission).where(Submission.id == submission_id,
                                                              Submission.issuer_id == issuer_id)).first()
        if submission is None:
            raise SubmissionNotFound(f"no submission {submission_id}")
        if submission.renewal_of != credential_id:
            raise NotARenewal(f"submission {submission_id} is not an attempt to renew credential {credential_id}: the "
                              "educator starts one with renewal_of (POST /api/v1/submissions)")


def _citations(session: Session, services: Services, issuer: Issuer, submission: Submission, key: str,
               now: datetime) -> list[QualificationCitation]:
    """The qualifications of the assessors who scored ``submission`` that are current at the award: the
    moment a verifier checks them at (the award's validFrom; neither OB 3.0 nor VC 2.0 has a term for when
    an assessment was made). An assessor whose qualification lapsed or was revoked between scoring and award
    is not cited (an issuer that requires qualification checked it when they scored; its audit log notes it)."""
    scorers = list(dict.fromkeys(a.assessor_id for a in submission.assessments))
    cited = qualifications.cited_qualifications(session, scorers, key, now)
    base = services.settings.public_base_url
    citations = []
    for assessor_id in scorers:
        row = cited.get(assessor_id)
        if row is None:
            if not issuer.require_qualification:
                continue  # an issuer that does not use qualifications: nothing to note
            audit(session, issuer_id=issuer.id, actor_id=None, action="credential.qualification_not_cited",
                  target=f"submission:{submission.id}", assessor=str(assessor_id), key=key)
            continue
        person = session.get_one(Person, assessor_id)
        citations.append(QualificationCitation(
            url=qualifications.qualification_url(base, issuer.slug, row.id), digest=qualification_digest(row.document),
            pseudonym=row.pseudonym, assessor_name=person.name if person.assessor_name_public else None))
    return citations


def status_entries(session: Session, public_base_url: str, slug: str,
                   credential: Credential) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The ``BitstringStatusListEntry`` of each index reserved for ``credential``: (revocation, suspension or
    None when none was reserved). What its ``credentialStatus`` says, awards and designations alike."""
    revocation = status.entry_for(public_base_url, slug, session.get_one(StatusList, credential.revocation_list_id),
                                  credential.revocation_index)
    if credential.suspension_list_id is None or credential.suspension_index is None:
        return revocation, None
    return revocation, status.entry_for(public_base_url, slug,
                                        session.get_one(StatusList, credential.suspension_list_id),
                                        credential.suspension_index)


def sign_into(services: Services, issuer: Issuer, credential: Credential, document: dict[str, Any], *,
              format: Format, now: datetime) -> None:
    """Sign ``document`` with the issuer's key into the (already inserted) ``credential`` row, and set its
    expiry from the document's ``validUntil`` (what verifiers check). Runs inside the caller's award transaction."""
    signer = services.keystore.load_or_create(issuer.slug, issuer_did(services.settings.public_base_url, issuer.slug))
    if format == "jwt":
        credential.jwt = encode_vc_jwt(document, signer, now=now)
        credential.document = document
    else:
        credential.document = signed_ldp(document, signer, now=now)
    valid_until = document.get("validUntil")
    credential.valid_until = datetime.fromisoformat(valid_until) if isinstance(valid_until, str) else None


def signed_ldp(document: dict[str, Any], signer: Signer, *, now: datetime) -> dict[str, Any]:
    """An award's document signed with a Data Integrity proof (eddsa-rdfc-2022) made at ``now``: what
    :func:`sign_into` stores, and what a bulk award's signing workers make (``award_imports.signing``)."""
    signed = sign_credential(document, signer, created=now)
    # The strict 1EdTech JSON Schema wants ``proof`` as an array; in JSON-LD one proof or a
    # one-element list mean the same, and the signature does not cover the proof itself.
    signed["proof"] = [signed["proof"]]
    return signed


def _insert_with_indexes(
    session: Session,
    submission: Submission,
    approved_by: uuid.UUID | None,
    format: Format,
    now: datetime,
    list_length: int,
    *,
    suspension: bool,
) -> Credential:
    return insert_with_indexes(
        session, issuer_id=submission.issuer_id, educator_id=submission.educator_id, approved_by=approved_by,
        format=format, list_length=list_length, suspension=suspension, submission_id=submission.id,
        microcredential_id=submission.microcredential_id,
        awarded_already=lambda: _existing(session, submission.id) is not None)


def insert_with_indexes(
    session: Session,
    *,
    issuer_id: uuid.UUID,
    educator_id: uuid.UUID,
    approved_by: uuid.UUID | None,
    format: Format,
    list_length: int,
    suspension: bool,
    awarded_already: Callable[[], bool],
    submission_id: uuid.UUID | None = None,
    microcredential_id: uuid.UUID | None = None,
    stack_id: uuid.UUID | None = None,
) -> Credential:
    """Reserve the status indexes (revocation; suspension too when ``suspension``) and insert a credential row
    (an award's or a designation's), retrying on an index collision; ``awarded_already`` tells a lost race for
    the award itself (re-raised) from one."""
    for _ in range(_MAX_ALLOCATION_ATTEMPTS):
        try:
            with session.begin_nested():
                revocation = status.allocate(session, issuer_id, StatusPurpose.REVOCATION, length=list_length)
                suspended_by = (status.allocate(session, issuer_id, StatusPurpose.SUSPENSION, length=list_length)
                                if suspension else None)
                credential = Credential(
                    id=uuid.uuid4(),
                    issuer_id=issuer_id,
                    submission_id=submission_id,
                    microcredential_id=microcredential_id,
                    stack_id=stack_id,
                    educator_id=educator_id,
                    approved_by=approved_by,
                    revocation_entry=revocation.entry,
                    suspension_entry=suspended_by.entry if suspended_by is not None else None,
                    format=format,
                    # Full precision: lists are ordered by it (validFrom in the credential keeps whole seconds).
                    issued_at=datetime.now(timezone.utc),
                )
                session.add(credential)
                session.flush()
            return credential
        except IntegrityError:
            if awarded_already():
                raise  # awarded concurrently: the caller returns that credential
            # Someone else took one of the indexes (or opened the same new list): draw again.
    raise Conflict("could not reserve a status-list index; try again")


# -- reading -------------------------------------------------------------------------------------------


def _visible(principal: Principal) -> Select[Credential]:
    query = select(Credential).where(Credential.issuer_id == principal.issuer_id)
    if principal.role is Role.EDUCATOR:
        query = query.where(Credential.educator_id == principal.person_id)
    elif principal.role not in (Role.ADMIN, Role.INTEGRATOR):
        raise Forbidden(f"credentials are not visible to the {principal.role.value} role")
    return query


def list_credentials(session: Session, principal: Principal, page: PageParams, *,
                     educator_id: uuid.UUID | None = None, issued_from: datetime | None = None,
                     issued_before: datetime | None = None) -> tuple[Sequence[Credential], int]:
    """The credentials the caller may see (admins and integrators: the issuer's; educators: their own),
    newest first; only one educator's, and only those issued in ``[issued_from, issued_before)``, when given."""
    query = _visible(principal)
    if educator_id is not None:
        query = query.where(Credential.educator_id == educator_id)
    if issued_from is not None:
        query = query.where(Credential.issued_at >= issued_from)
    if issued_before is not None:
        query = query.where(Credential.issued_at < issued_before)
    query = query.order_by(Credential.issued_at.desc(), Credential.id)
    with read(session):
        return paginate(session, query, page)


def get_credential(session: Session, principal: Principal, credential_id: uuid.UUID) -> Credential:
    """One credential the caller may see; :class:`CredentialNotFound` otherwise."""
    with read(session):
        credential = session.scalars(_visible(principal).where(Credential.id == credential_id)).first()
    if credential is None:
        raise CredentialNotFound(f"no credential {credential_id}")
    return credential


def status_list_seqs(session: Session, issuer_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """The sequence number of each of the issuer's status lists, by list id (a credential's read model names
    its lists' URLs)."""
    with read(session):
        return {row.id: row.seq for row in session.execute(
            select(StatusList.id, StatusList.seq).where(StatusList.issuer_id == issuer_id))}


def public_credential(session: Session, credential_id: uuid.UUID | str) -> Credential:
    """A credential its earner lets the public see; :class:`CredentialNotFound` for private, unknown or
    malformed ids."""
    if isinstance(credential_id, str):
        try:
            credential_id = uuid.UUID(credential_id)
        except ValueError:
            raise CredentialNotFound(f"no credential {credential_id!r}") from None
    with read(session):
        credential = session.get(Credential, credential_id)
    if credential is None or not credential.public or credential.document is None:
        raise CredentialNotFound(f"no public credential {credential_id}")
    return credential


def public_documents(session: Session, credential_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Mapping[str, Any] | str]:
    """The documents, as issued, of those of ``credential_ids`` that :func:`public_credential` would give (public,
    issued), in one query: a VC-JWT as its compact form, else the JSON-LD credential. Others are left out."""
    with read(session):
        rows = session.execute(select(Credential.id, Credential.jwt, Credential.document).where(
            Credential.id.in_(credential_ids), Credential.public.is_(True)))
        # A JSON column reads SQL NULL and JSON null alike as None: told apart here, as public_credential does.
        return {row.id: row.jwt or dict(row.document) for row in rows if row.document is not None}


# -- status changes ------------------------------------------------------------------------------------


def _locked(session: Session, issuer_id: uuid.UUID, credential_id: uuid.UUID) -> tuple[Credential, Issuer]:
    credential = session.scalars(
        select(Credential)
        .where(Credential.id == credential_id, Credential.issuer_id == issuer_id)
        # Only the credential row: PostgreSQL cannot lock the outer-joined (optional) suspension entry.
        .with_for_update(of=Credential)
        .execution_options(populate_existing=True)
    ).first()
    if credential is None:
        raise CredentialNotFound(f"no credential {credential_id}")
    return credential, session.get_one(Issuer, issuer_id)


def revoke(session: Session, services: Services, *, issuer_id: uuid.UUID, actor_id: uuid.UUID,
           credential_id: uuid.UUID, reason: str) -> Credential:
    """Revoke a credential for good: set its bit in the revocation list (re-signed at once), keep the reason."""
    with transaction(session):
        return revoke_in_transaction(session, services, issuer_id=issuer_id, actor_id=actor_id,
                                     credential_id=credential_id, reason=reason)


def revoke_in_transaction(session: Session, services: Services, *, issuer_id: uuid.UUID,
                          actor_id: uuid.UUID | None, credential_id: uuid.UUID, reason: str) -> Credential:
    """:func:`revoke` inside the caller's transaction (the stacks cascade adds to it the designations that
    fall; ``actor_id`` None: the scheduled re-check revoked a designation)."""
    credential, issuer = _locked(session, issuer_id, credential_id)
    if credential.revoked_at is not None:
        raise AlreadyRevoked(f"credential {credential_id} was revoked on {credential.revoked_at:%Y-%m-%d}")
    status.set_bit(session, issuer=issuer, list_id=credential.revocation_list_id,
                   index=credential.revocation_index, value=True, keystore=services.keystore,
                   public_base_url=services.settings.public_base_url)
    credential.revoked_at = datetime.now(timezone.utc)
    credential.revocation_reason = reason
    audit(session, issuer_id=issuer_id, actor_id=actor_id, action="credential.revoked",
          target=f"credential:{credential.id}", reason=reason)
    events.emit(session, issuer_id=issuer_id, type=events.EventType.REVOKED,
                ordering_key=events.ordering_key_of(credential),
                data=events.credential_data(session, services.public_base_url, credential, reason=reason))
    return credential


def _suspension(session: Session, services: Services, *, issuer_id: uuid.UUID, actor_id: uuid.UUID,
                credential_id: uuid.UUID, suspended: bool, reason: str | None) -> Credential:
    with transaction(session):
        return set_suspension(session, services, issuer_id=issuer_id, actor_id=actor_id,
                              credential_id=credential_id, suspended=suspended, reason=reason)


def suspendable(issuer: Issuer, credential: Credential) -> bool:
    """Whether ``credential`` can be suspended now: its issuer has suspension on and it carries a suspension
    entry (the stacks cascade suspends such a designation, and revokes any other)."""
    return issuer.suspension_status and credential.suspension_entry_id is not None


def set_suspension(session: Session, services: Services, *, issuer_id: uuid.UUID, actor_id: uuid.UUID | None,
                   credential_id: uuid.UUID, suspended: bool, reason: str | None) -> Credential:
    """Suspend or reinstate inside the caller's transaction (:func:`suspend` and :func:`reinstate` open one;
    the stacks cascade runs it in the transaction of the revocation that caused it).

    Suspending needs :func:`suspendable` (:class:`SuspensionOff` or :class:`NotSuspendable` otherwise);
    reinstating needs only the suspension entry, so a suspension made before the issuer turned suspension
    off can still be lifted."""
    credential, issuer = _locked(session, issuer_id, credential_id)
    if credential.revoked_at is not None:
        verb = "suspended" if suspended else "reinstated"
        raise CredentialRevoked(f"credential {credential_id} is revoked; it cannot be {verb}")
    if credential.suspension_list_id is None or credential.suspension_index is None or (
            suspended and not issuer.suspension_status):
        if not issuer.suspension_status:
            raise SuspensionOff(f"suspension is off for {issuer.name}: its credentials carry no suspension entry, "
                                f"so no verifier could see a suspension. Revoke credential {credential_id} "
                                f"instead, or {_TURN_SUSPENSION_ON}")
        raise NotSuspendable(f"credential {credential_id} was issued without a suspension entry (before "
                             "suspension was turned on): no verifier could see a suspension; revoke it instead")
    changed = status.set_bit(session, issuer=issuer, list_id=credential.suspension_list_id,
                             index=credential.suspension_index, value=suspended,
                             keystore=services.keystore, public_base_url=services.settings.public_base_url)
    if changed or credential.suspended != suspended:
        credential.suspended = suspended
        detail = {"reason": reason} if reason else {}
        audit(session, issuer_id=issuer_id, actor_id=actor_id,
              action="credential.suspended" if suspended else "credential.reinstated",
              target=f"credential:{credential.id}", **detail)
        if suspended:
            events.emit(session, issuer_id=issuer_id, type=events.EventType.SUSPENDED,
                        ordering_key=events.ordering_key_of(credential),
                        data=events.credential_data(session, services.public_base_url, credential, reason=reason))
    return credential


def suspend(session: Session, services: Services, *, issuer_id: uuid.UUID, actor_id: uuid.UUID,
            credential_id: uuid.UUID, reason: str | None = None) -> Credential:
    """Suspend a credential (reversible); suspending a suspended one changes nothing. Only for an issuer that
    opted into suspension (:func:`set_suspension`)."""
    return _suspension(session, services, issuer_id=issuer_id, actor_id=actor_id, credential_id=credential_id,
                       suspended=True, reason=reason)


def reinstate(session: Session, services: Services, *, issuer_id: uuid.UUID, actor_id: uuid.UUID,
              credential_id: uuid.UUID, reason: str | None = None) -> Credential:
    """Lift a suspension. A revoked credential cannot be reinstated (:class:`CredentialRevoked`)."""
    return _suspension(session, services, issuer_id=issuer_id, actor_id=actor_id, credential_id=credential_id,
                       suspended=False, reason=reason)


def set_visibility(session: Session, *, issuer_id: uuid.UUID, educator_id: uuid.UUID, credential_id: uuid.UUID,
                   public: bool | None, show_evidence: bool | None) -> Credential:
    """The earner decides whether the credential is public, and whether its evidence links are shown."""
    with transaction(session):
        credential = session.scalars(
            select(Credential).where(Credential.id == credential_id, Credential.issuer_id == issuer_id,
                                     Credential.educator_id == educator_id)
        ).first()
        if credential is None:
            raise CredentialNotFound(f"no credential {credential_id}")
        changes: dict[str, bool] = {}
        if public is not None and public != credential.public:
            credential.public = changes["public"] = public
        if show_evidence is not None and show_evidence != credential.show_evidence:
            credential.show_evidence = changes["show_evidence"] = show_evidence
        if changes:
            audit(session, issuer_id=issuer_id, actor_id=educator_id, action="credential.visibility",
                  target=f"credential:{credential.id}", **changes)
    return credential


class EvidenceNotPublic(NotFound):
    """The credential is private or unknown, its earner has not made its evidence public, or no such item."""

    code = "evidence-not-public"


def public_evidence(session: Session, credential_id: uuid.UUID, evidence_id: uuid.UUID) -> EvidenceItem:
    """An evidence item of a public credential whose earner chose to show evidence (else EvidenceNotPublic).

    Classroom videos often show minors, so evidence is private unless the earner switches it on; the
    credential names every item by this service's URL so the switch keeps working after issuance.
    """
    with read(session):
        credential = session.get(Credential, credential_id)
        # The blob is loaded with the item, inside the read: the route serves its file afterwards.
        item = session.get(EvidenceItem, evidence_id, options=[selectinload(EvidenceItem.blob)])
    if (credential is None or not credential.public or not credential.show_evidence or item is None
            or item.submission_id != credential.submission_id):
        raise EvidenceNotPublic(f"no public evidence {evidence_id} for credential {credential_id}")
    return item
