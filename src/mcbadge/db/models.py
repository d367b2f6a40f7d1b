"""The database schema, in one place, in the order of the flow.

    Issuer ── ApiKey, Person (educators, assessors, admins), AssessorTraining, ScoringPolicy (double scoring per key)
      ├── CalibrationAnchor (exemplar evidence, master scores) ── CalibrationAttempt ── CalibrationScore
      ├── AssessorQualification (signed, after calibration) ──> StatusEntry
      ├── QualityStatement (signed scoring figures of a micro-credential over a period)
      ├── Stack (versioned designation: a rule over component achievements) ── Designation (one per educator)
      └── MicroCredential (versioned; a published version is immutable)
            └── Submission (one per attempt) ── EvidenceItem ──> Blob (content-addressed, by SHA-256)
                  ├── Assignment (which assessor scores it)
                  ├── Assessment (scores per rubric criterion, feedback)
                  └── Credential (the award: one per passing submission, or a designation's) ──> StatusEntry x2 ──> StatusList
      VettingNomination, VettingEndorsement (a state agency's vetting of a MicroCredential version) ──> StatusEntry
      AwardImport (a bulk award from CSV) ── ImportedAward (an awarded row, by its identity) ──> Credential
      WebhookSubscription; OutboxEvent ── EventDelivery (the outbox: to a subscription or an e-mail address)
            ── DeliveryAttempt (its log)
      AuditEvent, IdempotencyRecord

Private keys are never here: they live encrypted under keys/ (mcbadge.keystore).
"""

from __future__ import annotations

import enum
import secrets
import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Constraint names fixed by convention so Alembic migrations name them the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonData = JSON().with_variant(JSONB(), "postgresql")
ExactJson = JSON()
"""Signed documents and replayed responses: PostgreSQL's ``json`` keeps the text as written (key order
included), where ``jsonb`` would reorder keys — a credential must come back exactly as it was issued."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Timestamp(TypeDecorator[datetime]):
    """A timezone-aware timestamp on both engines (SQLite stores it naive, read back as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: Timestamp, dict[str, Any]: JsonData, list[Any]: JsonData}


class IssuerKind(str, enum.Enum):
    DISTRICT = "district"            # a school district (or a school, a network of schools)
    STATE_AGENCY = "state_agency"    # a state education agency: recognises and vets (``recognition``, ``vetting``)
    PROVIDER = "provider"            # a professional-learning provider


class Role(str, enum.Enum):
    ADMIN = "admin"            # issuer admin: defines micro-credentials, approves awards, revokes
    ASSESSOR = "assessor"      # scores the submissions assigned to them
    EDUCATOR = "educator"      # the earner: submits evidence, sees their own submissions
    INTEGRATOR = "integrator"  # read-only integrations (an LMS, a state system)


class MicroCredentialStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class SubmissionStatus(str, enum.Enum):
    DRAFT = "draft"            # evidence being gathered
    SUBMITTED = "submitted"    # waiting for (all) assessors
    NOT_YET = "not_yet"        # scored below the rubric; feedback given; the educator may start a new attempt
    PASSED = "passed"          # scored at or above every required level; waiting for approval
    AWARDED = "awarded"        # a credential was issued
    WITHDRAWN = "withdrawn"


class StatusPurpose(str, enum.Enum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings (no database enum types), so adding a value needs no migration on PostgreSQL.
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Issuer(Base):
    """A tenant: a district, a state agency or a provider that issues micro-credentials."""

    __tablename__ = "issuers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(320))
    image_url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    """Award a passing submission without an admin's approval."""
    second_scoring: Mapped[bool] = mapped_column(Boolean, default=False)
    """The issuer rule: every submission is double-scored (two assessors must agree, or a lead assessor
    decides, before an outcome stands); ``Submission.double_scoring_reason`` = ``issuer_rule``."""
    second_scoring_percent: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """The issuer-wide default share of submissions (0-100) drawn at random for a second scoring; a
    micro-credential's ``ScoringPolicy`` overrides it (``mcbadge.assessments.scoring``)."""
    second_score_borderline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The issuer-wide default: double-score every borderline submission (``mcbadge.assessments.scoring``)."""
    scoring_seed: Mapped[bytes] = mapped_column(LargeBinary, default=lambda: secrets.token_bytes(32), deferred=True)
    """The key of the seeded draw that picks submissions for a second scoring: HMAC-SHA256(seed, submission
    id), so anyone given the seed can recompute every choice (``mcbadge.assessments.scoring.sampling_draw``)."""
    validity_days: Mapped[int | None] = mapped_column(Integer)
    """When set, credentials carry validUntil = validFrom + this many days."""
    auto_award_designations: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Award a designation as soon as its stack completes, without an admin's approval."""
    suspension_status: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """New credentials carry a suspension entry beside the revocation one, so they can be suspended and
    reinstated. Off by default: two ``credentialStatus`` entries fail the unmodified 1EdTech OB 3.0 JSON
    Schema (it allows one object), so conformant hosts reject such credentials."""
    state_agency: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A state education agency: it may publish a recognition registry (``mcbadge.recognition``)."""
    kind: Mapped[IssuerKind] = mapped_column(_enum(IssuerKind), default=IssuerKind.DISTRICT,
                                             server_default=IssuerKind.DISTRICT.value)
    """What the organisation is (the operator says so when creating the tenant); ``state_agency`` follows it."""
    disabled_at: Mapped[datetime | None] = mapped_column()
    """Set by the operator: the tenant's keys and tokens are refused and nothing new is issued, while what it
    issued keeps verifying (its DID document and status lists stay served)."""
    require_qualification: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Only assessors with a current qualification (``AssessorQualification``) may be assigned or score."""
    calibration_exact_percent: Mapped[int] = mapped_column(Integer, default=80, server_default=text("80"))
    """Exact agreement with the master scores (over every anchor and criterion) that qualifies an assessor."""
    calibration_adjacent_percent: Mapped[int | None] = mapped_column(Integer)
    """When set, agreement within one level that qualifying also needs."""
    calibration_set_size: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))
    """Anchors in one calibration set."""
    qualification_validity_days: Mapped[int] = mapped_column(Integer, default=365, server_default=text("365"))
    """How long a qualification is valid: the schedule on which qualified assessors re-calibrate."""
    assessor_pseudonym_key: Mapped[bytes] = mapped_column(LargeBinary, default=lambda: secrets.token_bytes(32),
                                                          deferred=True)
    """The issuer's secret for assessor pseudonyms (``vc.qualification.assessor_pseudonym``); never shown."""
    quality_sla_days: Mapped[int] = mapped_column(Integer, default=14, server_default=text("14"))
    """The service level for turnaround: a submission should be decided within this many days of submission."""
    quality_min_cell: Mapped[int] = mapped_column(Integer, default=10, server_default=text("10"))
    """Reliability and turnaround figures from fewer submissions than this are suppressed (``quality``)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    """Someone with a role at an issuer: an educator (earner), an assessor, an admin or an integrator."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("issuer_id", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    license_number: Mapped[str | None] = mapped_column(String(64))
    """A state teaching license number, for educators who want it on record (never in the credential)."""
    assessor_name_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """An assessor opted in to being named (not only by pseudonym) in qualifications and awards issued from now on."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key: scoped to one issuer and one person (and so one role). Only a hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    """The public part of the key (``mcb_<prefix>_<secret>``), to find the row without scanning hashes."""
    secret_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    person: Mapped[Person] = relationship(lazy="joined")


class OperatorKey(Base):
    """A platform operator's API key (``mcbop_<prefix>_<secret>``): creates and disables tenants. Made only by
    the command line (``mcbadge operator-keys create``), where the data and keys are. Only a hash is stored."""

    __tablename__ = "operator_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class AssessorTraining(Base):
    """An assessor is trained (calibrated) for a micro-credential, across its versions."""

    __tablename__ = "assessor_trainings"
    __table_args__ = (UniqueConstraint("assessor_id", "microcredential_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    microcredential_key: Mapped[str] = mapped_column(String(100))
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    """A lead assessor settles disagreements when the issuer requires second scoring."""
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoringPolicy(Base):
    """An issuer's double-scoring rule for one micro-credential key (every version), overriding the issuer's
    defaults (``Issuer.second_scoring_percent``, ``Issuer.second_score_borderline``)."""

    __tablename__ = "scoring_policies"
    __table_args__ = (UniqueConstraint("issuer_id", "microcredential_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    microcredential_key: Mapped[str] = mapped_column(String(100))
    second_scoring_percent: Mapped[int] = mapped_column(Integer)
    """Share of submissions (0-100) drawn at random for a second scoring."""
    second_score_borderline: Mapped[bool] = mapped_column(Boolean)
    """Double-score every borderline submission."""
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationAnchor(Base):
    """An anchor submission: exemplar evidence of one micro-credential version with the master scores (a level
    per rubric criterion) and the rationale for each. Assessors in training score anchors to calibrate."""

    __tablename__ = "calibration_anchors"
    __table_args__ = (Index("ix_calibration_anchors_issuer_key", "issuer_id", "microcredential_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    microcredential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("microcredentials.id"))
    """The version whose rubric the master scores follow."""
    microcredential_key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    """[{requirement, kind: file|url|reflection, sha256?, filename?, url?, text?}]: what the assessor reads."""
    master_scores: Mapped[dict[str, Any]] = mapped_column()
    """{criterion_key: level_key}."""
    rationale: Mapped[dict[str, Any]] = mapped_column()
    """{criterion_key: why the master level}: shown to an assessor after their calibration set."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationStatus(str, enum.Enum):
    OPEN = "open"                    # anchors still to score
    QUALIFIED = "qualified"          # agreement reached the threshold: a qualification was issued
    NOT_QUALIFIED = "not_qualified"  # below it: the master scores and rationale are shown; another set may follow


class CalibrationAttempt(Base):
    """One calibration set of an assessor for a micro-credential key: the anchors drawn, and the outcome."""

    __tablename__ = "calibration_attempts"
    __table_args__ = (
        Index("ix_calibration_attempts_assessor_key", "assessor_id", "microcredential_key"),
        Index("uq_calibration_attempts_open", "assessor_id", "microcredential_key", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    microcredential_key: Mapped[str] = mapped_column(String(100))
    anchor_ids: Mapped[list[Any]] = mapped_column()
    """The anchors of this set, in the order shown (ids as strings)."""
    status: Mapped[CalibrationStatus] = mapped_column(_enum(CalibrationStatus))
    exact_percent: Mapped[int | None] = mapped_column(Integer)
    adjacent_percent: Mapped[int | None] = mapped_column(Integer)
    agreement: Mapped[dict[str, Any] | None] = mapped_column()
    """Per criterion: {criterion: {pairs, exact, adjacent}}, once complete."""
    qualification_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessor_qualifications.id"))
    """The qualification this set earned (``qualified`` only)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    scores: Mapped[list[CalibrationScore]] = relationship(order_by="CalibrationScore.created_at",
                                                          cascade="all, delete-orphan")


class CalibrationScore(Base):
    """An assessor's levels for one anchor of their calibration set."""

    __tablename__ = "calibration_scores"
    __table_args__ = (UniqueConstraint("attempt_id", "anchor_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calibration_attempts.id", ondelete="CASCADE"))
    anchor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calibration_anchors.id"))
    scores: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessorQualification(Base):
    """An assessor's qualification for a micro-credential key (``vc.qualification``): the signed credential
    as issued, its validity period, and its revocation entry. ``revoked_from`` is when the issuer withdrew it
    from (it may reach back before ``revoked_at``, when the withdrawal was recorded): what a verifier needs
    to tell a revocation before an assessment from one after."""

    __tablename__ = "assessor_qualifications"
    __table_args__ = (Index("ix_assessor_qualifications_assessor_key", "assessor_id", "microcredential_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    microcredential_key: Mapped[str] = mapped_column(String(100))
    pseudonym: Mapped[str] = mapped_column(String(64))
    revocation_entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_entries.id"), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(ExactJson)
    valid_from: Mapped[datetime] = mapped_column()
    valid_until: Mapped[datetime] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_from: Mapped[datetime | None] = mapped_column()
    revocation_reason: Mapped[str | None] = mapped_column(Text)


class QualityStatement(Base):
    """A signed statement of an issuer's scoring figures for one micro-credential key over a period
    (``vc.quality``): the credential as issued. Re-issued periodically; the newest for a key that was not
    withdrawn is the one shown."""

    __tablename__ = "quality_statements"
    __table_args__ = (Index("ix_quality_statements_issuer_key", "issuer_id", "microcredential_key", "issued_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    microcredential_key: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[datetime] = mapped_column()
    period_end: Mapped[datetime] = mapped_column()
    """Exclusive: the statement covers [period_start, period_end)."""
    document: Mapped[dict[str, Any]] = mapped_column(ExactJson)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revocation_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("status_entries.id"), unique=True)
    """Its entry in the issuer's revocation list (the credential's ``credentialStatus``); None for a statement
    published before statements carried one (migration 0017): it cannot be withdrawn, only superseded."""
    withdrawn_at: Mapped[datetime | None] = mapped_column()


class MicroCredential(Base):
    """One version of a micro-credential: competency, key method, evidence requirements and rubric.

    ``key`` is stable across versions; ``(issuer, key, version)`` is unique. A published version never
    changes: editing it publishes a new version, and credentials name the version they were earned on.
    """

    __tablename__ = "microcredentials"
    __table_args__ = (UniqueConstraint("issuer_id", "key", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[MicroCredentialStatus] = mapped_column(_enum(MicroCredentialStatus))
    title: Mapped[str] = mapped_column(String(200))
    competency: Mapped[str] = mapped_column(Text)
    key_method: Mapped[str] = mapped_column(Text)
    research: Mapped[str | None] = mapped_column(Text)
    resources: Mapped[list[Any]] = mapped_column(default=list)
    requirements: Mapped[list[Any]] = mapped_column(default=list)
    """Evidence requirements: [{key, title, description, kind: file|url|reflection, min_words?, max_words?}]."""
    rubric: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """{levels: [{key, name, description?}] lowest first, criteria: [{key, name, description?, required_level}]}."""
    alignments: Mapped[list[Any]] = mapped_column(default=list)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    image_url: Mapped[str | None] = mapped_column(String(500))
    pd_hours: Mapped[float | None] = mapped_column()
    validity_days: Mapped[int | None] = mapped_column(Integer)
    """How long an award of this version is valid (a license cycle: 3-5 years), in days: its validUntil. None:
    the issuer's ``validity_days``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()


class Blob(Base):
    """Uploaded evidence bytes, stored once per SHA-256 (content-addressed, deduplicated)."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Submission(Base):
    """An educator's attempt at a micro-credential version. Every attempt is kept."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("educator_id", "microcredential_id", "attempt"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    microcredential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("microcredentials.id"), index=True)
    educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[SubmissionStatus] = mapped_column(_enum(SubmissionStatus))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    double_scoring_reason: Mapped[str | None] = mapped_column(String(16))
    """Why two assessors score this attempt independently (set when the first score arrives): ``issuer_rule``
    (the issuer double-scores everything), ``sampled`` (the seeded draw fell under the rate) or ``borderline``
    (the first score is borderline); None: one assessor decides. ``mcbadge.assessments.scoring``."""
    sampling_percent: Mapped[int | None] = mapped_column(Integer)
    """The second-scoring rate in force when the first score arrived (None: no rate applied)."""
    sampling_draw: Mapped[int | None] = mapped_column(Integer)
    """The seeded draw, 0-9999, compared with ``sampling_percent`` x 100 (None: no rate applied)."""
    decided_scores: Mapped[dict[str, Any] | None] = mapped_column()
    """{criterion_key: level_key}: the deciding scores once the outcome stands, what the credential reports."""
    score_sources: Mapped[dict[str, Any] | None] = mapped_column()
    """{criterion_key: single | agreed | adjacent | lead}: how each deciding score was reached."""
    renewal_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credentials.id", use_alter=True))
    """The credential this attempt renews (the re-assessment its issuer requires before it expires or after);
    its award is linked to that credential (``Credential.renewal_of``)."""

    evidence: Mapped[list[EvidenceItem]] = relationship(
        back_populates="submission", order_by="EvidenceItem.position", cascade="all, delete-orphan"
    )
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="submission", order_by="Assessment.created_at"
    )


class EvidenceItem(Base):
    """One piece of evidence for one requirement: a file (by digest), a URL, or a written reflection."""

    __tablename__ = "evidence_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    requirement_key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))  # file | url | reflection
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(2000))
    text: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 (hex) of evidence whose bytes this service does not hold, as the issuer recorded it (an award
    import: a URL's content, or a file or reflection kept in the issuer's own records). The credential carries
    it like the digest of a stored file; a stored file's digest is ``blob_sha256``."""
    carried_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("evidence_items.id", ondelete="SET NULL"))
    """The item of the previous attempt this one was carried forward from (same file by digest, same text or URL)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="evidence")
    blob: Mapped[Blob | None] = relationship(lazy="joined")


class Assignment(Base):
    """An assessor assigned to score a submission (an assessor sees only what is assigned to them)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("submission_id", "assessor_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assessment(Base):
    """An assessor's scoring of a submission: a level per rubric criterion, and feedback per criterion.

    The scores of a double-scored submission: its assessments with ``lead_decision`` False are the two
    independent scorings (every criterion, the second made without seeing the first), in ``created_at`` order;
    one with ``lead_decision`` True is the lead assessor's, made after seeing both, when they disagreed.
    ``Submission.decided_scores`` holds the deciding level per criterion."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("submission_id", "assessor_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    scores: Mapped[dict[str, Any]] = mapped_column()
    """{criterion_key: level_key}."""
    feedback: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """{criterion_key: text}."""
    passed: Mapped[bool] = mapped_column(Boolean)
    lead_decision: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="assessments")


class StatusList(Base):
    """One Bitstring Status List of an issuer for one purpose, of one of two kinds (exactly one of ``seq``
    and ``key`` is set, which makes its URL):

    * an award list, numbered per issuer and purpose (``seq``), published at
      ``/issuers/{slug}/status/{purpose}/{seq}``; a full list is followed by the next ``seq``;
    * a VC API list, named by ``key``, published at ``/status-lists/{key}`` (``mcbadge.vcapi``).

    Awarded and VC-API-issued credentials reserve their bits the same way, in :class:`StatusEntry`.
    """

    __tablename__ = "status_lists"
    __table_args__ = (
        UniqueConstraint("issuer_id", "purpose", "seq"),
        CheckConstraint("(seq IS NULL) <> (key IS NULL)", name="seq_or_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[StatusPurpose] = mapped_column(_enum(StatusPurpose))
    seq: Mapped[int | None] = mapped_column(Integer)
    """An award list's number (1, 2, ...), per issuer and purpose; None for a VC API list."""
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    """A VC API list's name, the last path segment of its URL; None for an award list."""
    length: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    # The two large columns load only when read (allocating an index needs neither).
    bits: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped on every bit change; the signed credential is re-made only when it is behind."""
    signed: Mapped[dict[str, Any] | None] = mapped_column(ExactJson, deferred=True)
    signed_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusEntry(Base):
    """One bit of one status list, reserved for one credential: an award (``Credential``) or a credential
    issued over the VC API (``mcbadge.db.vcapi_models.IssuedStatusEntry``). The unique (list, index) is
    the one guarantee, for both kinds, that no two credentials share a bit."""

    __tablename__ = "status_entries"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    status_list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_lists.id", ondelete="CASCADE"))
    status_index: Mapped[int] = mapped_column(Integer)


class StackStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Stack(Base):
    """One version of a stack: the designation it leads to (an OB 3.0 Achievement) and its rule.

    Versioned like a micro-credential: ``(issuer, key, version)`` is unique, a published version never
    changes, and a designation names the version it was awarded on.
    """

    __tablename__ = "stacks"
    __table_args__ = (UniqueConstraint("issuer_id", "key", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[StackStatus] = mapped_column(_enum(StackStatus))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    criteria: Mapped[str] = mapped_column(Text)
    """The criteria narrative of the designation (the rule is stated in the credential beside it)."""
    achievement_type: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(200))
    """The role the designation qualifies for, e.g. "Instructional Coach"."""
    rule: Mapped[str] = mapped_column(String(16))  # all | n_of_m
    required_count: Mapped[int | None] = mapped_column(Integer)
    """N for an ``n_of_m`` rule."""
    components: Mapped[list[Any]] = mapped_column(default=list)
    """[{kind: local, key, versions: [int], required} | {kind: external, issuer_did, achievement_id, required}]."""
    image_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()


class Credential(Base):
    """An awarded credential with its status-list positions: a micro-credential (exactly one per passing
    submission) or a designation (``stack_id``; one per educator and stack version, see :class:`Designation`).

    The row and its status indexes (revocation; suspension too when the issuer opted in) are written before
    the signature is made, in the same transaction.
    """

    __tablename__ = "credentials"
    __table_args__ = (
        Index("ix_credentials_issuer_issued", "issuer_id", "issued_at"),
        Index("ix_credentials_valid_until", "valid_until"),  # the worker's expiry check
        CheckConstraint("(submission_id IS NULL) <> (stack_id IS NULL)", name="submission_or_stack"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    submission_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("submissions.id"), unique=True)
    microcredential_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("microcredentials.id"), index=True)
    stack_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stacks.id"), index=True)
    """The stack version of a designation (None for a micro-credential)."""
    educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    revocation_entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_entries.id"), unique=True)
    suspension_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("status_entries.id"), unique=True)
    """None for a credential issued without a suspension entry (its issuer had not opted in: ``Issuer.
    suspension_status``); such a credential can be revoked, never suspended."""
    format: Mapped[str] = mapped_column(String(16), default="ldp")  # ldp (Data Integrity) | jwt
    document: Mapped[dict[str, Any] | None] = mapped_column(ExactJson)
    """The signed credential as issued (JSON-LD with its proof; for VC-JWT, the unsigned credential)."""
    jwt: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    """The earner lets the public badge page show the credential."""
    show_evidence: Mapped[bool] = mapped_column(Boolean, default=False)
    """Evidence links are hidden on the public page unless the earner allows them (videos of minors)."""
    renewal_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credentials.id"), unique=True)
    """The credential this one renews (a re-assessment of the same micro-credential); each is renewed once."""
    expiry_notified_at: Mapped[datetime | None] = mapped_column()
    """When the ``credential.expiring`` event was written (once per credential: the periodic check's mark)."""

    # Loaded with the row (one join): a credential read outside its session still knows its positions.
    revocation_entry: Mapped[StatusEntry] = relationship(foreign_keys=[revocation_entry_id], lazy="joined",
                                                         innerjoin=True)
    suspension_entry: Mapped[StatusEntry | None] = relationship(foreign_keys=[suspension_entry_id], lazy="joined")

    @property
    def revocation_list_id(self) -> uuid.UUID:
        return self.revocation_entry.status_list_id

    @property
    def revocation_index(self) -> int:
        return self.revocation_entry.status_index

    @property
    def suspension_list_id(self) -> uuid.UUID | None:
        return self.suspension_entry.status_list_id if self.suspension_entry is not None else None

    @property
    def suspension_index(self) -> int | None:
        return self.suspension_entry.status_index if self.suspension_entry is not None else None


class ImportStatus(str, enum.Enum):
    QUEUED = "queued"      # accepted over the API, waiting for the import before it (one at a time per process)
    RUNNING = "running"    # rows are being awarded (``heartbeat_at`` moves while it runs)
    DONE = "done"          # every row was awarded, found awarded already, or refused: ``result_csv`` says which
    FAILED = "failed"      # stopped on an error that is not a row's (``error``); the rows committed stay awarded


class AwardImport(Base):
    """One run of a bulk award from a CSV file (``mcbadge awards import``, ``POST /api/v1/award-imports``): its
    counts and progress while it runs, and the result CSV (a line per row: credential or reason) once done.

    Running the same file again is a new run: rows awarded by any earlier run are found by their identity
    (:class:`ImportedAward`) and reported as awarded already, so an interrupted run is finished by another.
    """

    __tablename__ = "award_imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    started_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    """The admin who posted the file; None for the command line (the operator, where the data and keys are)."""
    via: Mapped[str] = mapped_column(String(16))  # api | cli
    filename: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[ImportStatus] = mapped_column(_enum(ImportStatus))
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    """Rows decided so far: refused and already awarded ones at the start, awarded ones as their batch commits."""
    awarded: Mapped[int] = mapped_column(Integer, default=0)
    already_awarded: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result_csv: Mapped[str | None] = mapped_column(Text, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    """Moved at every committed batch: a run whose heartbeat stopped long ago was interrupted (a crash)."""
    finished_at: Mapped[datetime | None] = mapped_column()


class ImportedAward(Base):
    """A credential awarded from a row of an award import, under the row's stable identity: (issuer, educator
    e-mail, micro-credential key and version, award date), hashed into ``row_key``. Written in the transaction
    that inserts the credential, so a row is awarded once whatever is re-run or interrupted."""

    __tablename__ = "imported_awards"
    __table_args__ = (UniqueConstraint("issuer_id", "row_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    row_key: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    """Digest of the row's other values (levels, evidence, assessor, name): a re-run that changed them is told."""
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id"), unique=True)
    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("award_imports.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(200))
    """The educator's id in the system the row came from, as the file gave it."""
    awarded_on: Mapped[datetime] = mapped_column()


class DesignationStatus(str, enum.Enum):
    PENDING = "pending"    # the stack is complete; waiting for an admin's approval
    AWARDED = "awarded"    # the designation credential was issued
    LAPSED = "lapsed"      # a component fell away, so its credential was revoked; a new one comes when the
                           # stack completes again (an issuer with suspension on suspends instead)


class Designation(Base):
    """An educator's completed stack version: pending approval, awarded (``credential_id``), or lapsed (the
    stack no longer holds and ``credential_id`` was revoked; the next award replaces it).

    Unique per (stack version, educator): the award is idempotent like every award. ``components`` keeps the
    component credentials the decision rested on (the same references the signed credential names).
    """

    __tablename__ = "designations"
    __table_args__ = (UniqueConstraint("stack_id", "educator_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    stack_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stacks.id"), index=True)
    educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    status: Mapped[DesignationStatus] = mapped_column(_enum(DesignationStatus))
    credential_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credentials.id"), unique=True)
    credential: Mapped[Credential | None] = relationship(viewonly=True)
    components: Mapped[list[Any]] = mapped_column(default=list)
    """[{credential_id, issuer, achievement_id, digest, local_credential_id?}] at the last decision."""
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()


class RecognitionRegistry(Base):
    """A recognition registry a state agency published (``vc.recognition``): the signed credential as issued,
    and the revocation bit by which the agency withdraws it. The newest one is the agency's current registry."""

    __tablename__ = "recognition_registries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    revocation_entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_entries.id"), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(ExactJson)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column()


class NominationStatus(str, enum.Enum):
    PENDING = "pending"    # waiting for the state agency's reviewer
    ACCEPTED = "accepted"  # the agency vetted the version (``endorsement_id``)
    DECLINED = "declined"  # the agency declined, with reasons


class VettingEndorsement(Base):
    """A state agency's vetting of one micro-credential version (``vc.vetting``): the signed OB 3.0
    EndorsementCredential as issued, the definition digest it binds, and the revocation bit that withdraws it.

    At most one endorsement per agency and version is in force (not withdrawn): vetting again gives it back.
    """

    __tablename__ = "vetting_endorsements"
    __table_args__ = (
        Index("uq_vetting_endorsements_in_force", "agency_id", "microcredential_id", unique=True,
              sqlite_where=text("withdrawn_at IS NULL"), postgresql_where=text("withdrawn_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    microcredential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("microcredentials.id"), index=True)
    achievement_id: Mapped[str] = mapped_column(String(500))
    definition_digest: Mapped[str] = mapped_column(String(128))
    revocation_entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_entries.id"), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(ExactJson)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)


class VettingNomination(Base):
    """A district (an admin of the micro-credential's issuer) or an educator asks a state agency of this
    service to vet one micro-credential version; the agency's reviewer accepts (an endorsement) or declines."""

    __tablename__ = "vetting_nominations"
    __table_args__ = (Index("ix_vetting_nominations_agency_status", "agency_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    microcredential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("microcredentials.id"), index=True)
    nominator_issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    nominated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[NominationStatus] = mapped_column(_enum(NominationStatus))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    """Why the agency declined (a list of sentences); empty otherwise."""
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    endorsement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vetting_endorsements.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookSubscription(Base):
    """An LMS's or HR system's endpoint that receives an issuer's events (``mcbadge.events``), signed with its
    own secret (shown once, when it is made). Deleting keeps the row, so its delivery log stays readable."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column()
    """The event types it receives (``events.outbox.EventType`` values)."""
    description: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200), deferred=True)
    """``whsec_`` + base64 of 32 random bytes (Standard Webhooks), the HMAC key, sealed (``mcbadge.sealing``, bound
    to this row; in plain text only until an older version's rows are sealed); never shown again."""
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()


class OutboxEvent(Base):
    """Something that happened, written in the transaction that made it happen; its deliveries
    (:class:`EventDelivery`) are written with it."""

    __tablename__ = "outbox_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    """The event's id: the ``webhook-id`` of every delivery of it (the receiver's idempotency key)."""
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"        # waiting for its first or next attempt (``next_attempt_at``)
    DELIVERED = "delivered"    # a 2xx answer (webhook) or an accepted message (e-mail)
    FAILED = "failed"          # every attempt failed; an admin may replay it
    CANCELLED = "cancelled"    # its subscription was deleted before it was delivered


class EventDelivery(Base):
    """The outbox: one event to one receiver (a webhook subscription, or an educator's e-mail address), and its
    delivery log. Ordered by ``id``: of one ``target`` and ``ordering_key`` (a credential's events), a delivery
    is attempted only once every earlier one is settled."""

    __tablename__ = "event_deliveries"
    __table_args__ = (
        Index("ix_event_deliveries_due", "status", "next_attempt_at"),
        Index("ix_event_deliveries_order", "target", "ordering_key", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"), index=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # webhook | email
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    recipient: Mapped[str | None] = mapped_column(String(320))
    """An e-mail delivery's address."""
    message: Mapped[dict[str, Any] | None] = mapped_column()
    """An e-mail delivery's subject and text, as written with the event."""
    target: Mapped[str] = mapped_column(String(400))
    """``webhook:<subscription id>`` or ``email:<address>``: deliveries to one target keep their order."""
    ordering_key: Mapped[str] = mapped_column(String(100))
    """What the order is kept within: ``submission:<id>`` (an attempt and its award) or ``credential:<id>``."""
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    """While an attempt runs: a worker that died mid-attempt (kill -9) loses the lease and the delivery is
    attempted again (at least once; receivers deduplicate by the event id)."""
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryAttempt(Base):
    """One attempt of a delivery: when, how it ended (HTTP status or the error), how long it took."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("event_deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)


class AuditEvent(Base):
    """Who did what, when: awards, revocations (with the reason), suspensions, key rotations."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """A response remembered under a client's ``Idempotency-Key``: same key and body, same answer."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    """None while the first request is still being processed (a concurrent duplicate gets 409)."""
    response: Mapped[dict[str, Any] | None] = mapped_column(ExactJson)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column()
    """While in flight: the request's process renews this every few seconds; once it passes, the process is
    taken to have died and a retry may take the key over (``api/idempotency.py``)."""
