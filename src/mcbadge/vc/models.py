"""Pydantic models of the Open Badges 3.0 credentials mcbadge issues.

Scope: what the service emits, not the whole OB 3.0 information model. Every model forbids unknown fields
(``extra="forbid"``) so a misspelt property is an error at build time instead of a term the JSON-LD
canonicalizer refuses (or, worse, silently drops) at signing time. Every property a model can emit is a
term of the VC 2.0 context or of OB context 3.0.3; ``tests/vc/test_models.py`` expands a full credential with
the pinned loader to prove nothing is lost.

Shapes follow the 1EdTech JSON Schemas (the strict "JSON" variant): ``type`` is an array everywhere except
``Image`` and ``IdentityObject``, whose schemas require a single string.

``model.to_json_ld()`` returns the plain JSON dict: aliases (``@context``), no ``None`` values, no empty
lists (an empty list produces no triples, so it carries no meaning and would only differ between
implementations), and timestamps as ``YYYY-MM-DDTHH:MM:SSZ``.

Built on these models elsewhere: the hashed e-mail ``IdentityObject`` in ``mcbadge.vc.identity_hash``; the
rubric outcome a verifier reads from a credential's JSON in ``mcbadge.vc.rubric``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)

from .contexts import CREDENTIALS_V2, OB_CONTEXT, OB_EXTENSIONS, PINNED_LOADER

# --------------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------------


def _to_utc(value: datetime) -> datetime:
    # A naive timestamp is ambiguous (server local time? UTC?) and VC 2.0 requires a time zone, so refuse it.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a time zone offset")
    # Microseconds are dropped here, not only when serialising, so the model and its JSON agree.
    return value.astimezone(timezone.utc).replace(microsecond=0)


def _format_utc(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


UtcDateTime = Annotated[
    datetime,
    AfterValidator(_to_utc),
    PlainSerializer(_format_utc, return_type=str, when_used="always"),
]
"""A time-zone-aware timestamp, stored in UTC and serialised as ``2024-05-01T12:00:00Z``."""

# An absolute IRI: a scheme, a colon, and no characters RFC 3987 forbids. Relative references are refused
# because, with no base IRI, JSON-LD-to-RDF drops them, which the canonicalizer would reject at signing.
_IRI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$"
Iri = Annotated[str, StringConstraints(pattern=_IRI_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1)]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")]


def _number_to_str(value: Any) -> Any:
    # The OB schema types rubric ``points`` as a string; accept 3 or 2.5 for convenience, but never a bool.
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    return value


PointsStr = Annotated[str, BeforeValidator(_number_to_str), StringConstraints(min_length=1)]

_EXT_PATTERN = re.compile(r"ext:[A-Za-z0-9._\-]+")

ACHIEVEMENT_TYPES: frozenset[str] = frozenset(
    {
        "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
        "Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification",
        "CommunityService", "Competency", "Course", "CoCurricular", "Degree", "Diploma",
        "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment", "JourneymanCertificate",
        "LearningProgram", "License", "Membership", "ProfessionalDoctorate",
        "QualityAssuranceCredential", "MasterCertificate", "MasterDegree", "MicroCredential",
        "ResearchDoctorate", "SecondarySchoolDiploma",
    }
)  # fmt: skip
"""The AchievementType enumeration of the OB 3.0 schema; ``ext:Name`` extends it."""

RESULT_TYPES: frozenset[str] = frozenset(
    {
        "GradePointAverage", "LetterGrade", "Percent", "PerformanceLevel", "PredictedScore",
        "RawScore", "Result", "RubricCriterion", "RubricCriterionLevel", "RubricScore",
        "ScaledScore", "Status",
    }
)  # fmt: skip
"""The ResultType enumeration of the OB 3.0 schema; ``ext:Name`` extends it."""

ALIGNMENT_TARGET_TYPES: frozenset[str] = frozenset(
    {"ceasn:Competency", "ceterms:Credential", "CFItem", "CFRubric", "CFRubricCriterion",
     "CFRubricCriterionLevel", "CTDL"}
)  # fmt: skip
"""The AlignmentTargetType enumeration of the OB 3.0 schema; ``ext:Name`` extends it."""


def _check_extensible_enum(value: str | None, allowed: frozenset[str], what: str) -> str | None:
    # The schema's extension pattern is unanchored (it would accept "foo ext:x"); we anchor it.
    if value is None or value in allowed or _EXT_PATTERN.fullmatch(value):
        return value
    raise ValueError(f"{value!r} is not a known {what} (use one of the OB values or 'ext:Name')")


def _prune(value: Any) -> Any:
    """Drop empty lists recursively: they expand to nothing, so emitting them only adds noise."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if not (isinstance(v, list) and not v)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------------
# Base
# --------------------------------------------------------------------------------------------------


class JsonLdModel(BaseModel):
    """Base of every emitted object: strict about unknown fields, serialises to OB JSON-LD."""

    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        validate_assignment=True,
    )

    # Each inner tuple is "one of these type names must be in ``type``" (e.g. OpenBadgeCredential or
    # AchievementCredential). Subclasses with an array ``type`` set it.
    _required_types: ClassVar[tuple[tuple[str, ...], ...]] = ()

    @field_validator("type", check_fields=False)
    @classmethod
    def _type_contains_required(cls, value: Any) -> Any:
        if isinstance(value, list):
            if len(set(value)) != len(value):
                raise ValueError("type must not repeat a value")
            for one_of in cls._required_types:
                if not any(name in value for name in one_of):
                    raise ValueError(f"type must include {' or '.join(repr(n) for n in one_of)}")
        return value

    def to_json_ld(self) -> dict[str, Any]:
        """The object as OB 3.0 JSON: aliases, no ``None`` values, no empty lists, UTC ``Z`` timestamps."""
        pruned: dict[str, Any] = _prune(self.model_dump(mode="json", by_alias=True, exclude_none=True))
        return pruned


def _types(*names: str) -> Any:
    return Field(default_factory=lambda: list(names), min_length=1)


# --------------------------------------------------------------------------------------------------
# Leaf objects
# --------------------------------------------------------------------------------------------------


class Image(JsonLdModel):
    """A picture of the badge, the issuer's logo or the teacher's photo: a URL or ``data:`` URI, with a caption."""

    id: Iri
    type: Literal["Image"] = "Image"  # a single string: the OB schema refuses an array here
    caption: Text | None = None


class Profile(JsonLdModel):
    """Who issues (or created) the badge: the district, school, university or professional-learning provider."""

    _required_types = (("Profile",),)

    id: Iri
    type: list[str] = _types("Profile")
    name: Text
    url: Iri | None = None
    email: Email | None = None
    description: Text | None = None
    image: Image | None = None


class Criteria(JsonLdModel):
    """What a teacher must do to earn the micro-credential, in words (Markdown allowed), optionally online."""

    id: Iri | None = None
    narrative: Text


class Alignment(JsonLdModel):
    """A link from the micro-credential to a standard it addresses, e.g. an InTASC or state teaching standard."""

    _required_types = (("Alignment",),)

    type: list[str] = _types("Alignment")
    targetName: Text
    targetUrl: Iri
    targetDescription: Text | None = None
    targetCode: Text | None = None
    targetFramework: Text | None = None
    targetType: str | None = None

    @field_validator("targetType")
    @classmethod
    def _known_target_type(cls, value: str | None) -> str | None:
        return _check_extensible_enum(value, ALIGNMENT_TARGET_TYPES, "alignment target type")


class RubricCriterionLevel(JsonLdModel):
    """One column of the rubric for one criterion, e.g. "Developing": what work at that level looks like."""

    _required_types = (("RubricCriterionLevel",),)

    id: Iri
    type: list[str] = _types("RubricCriterionLevel")
    name: Text
    description: Text | None = None
    level: Text | None = None
    points: PointsStr | None = None


class ResultDescription(JsonLdModel):
    """One row of the rubric: a criterion the assessor scores (e.g. "Uses varied checks for understanding").

    For ``resultType`` ``RubricCriterionLevel`` the levels are listed lowest to highest and ``requiredLevel`` is
    the id of the lowest level that passes.
    """

    _required_types = (("ResultDescription",),)

    id: Iri
    type: list[str] = _types("ResultDescription")
    name: Text
    resultType: str = "RubricCriterionLevel"
    allowedValue: list[Text] | None = None
    requiredLevel: Iri | None = None
    rubricCriterionLevel: list[RubricCriterionLevel] | None = None

    @field_validator("resultType")
    @classmethod
    def _known_result_type(cls, value: str) -> str:
        checked = _check_extensible_enum(value, RESULT_TYPES, "result type")
        assert checked is not None
        return checked

    @model_validator(mode="after")
    def _rubric_is_consistent(self) -> ResultDescription:
        levels = self.rubricCriterionLevel or []
        ids = [level.id for level in levels]
        if len(set(ids)) != len(ids):
            raise ValueError(f"rubric levels of {self.id!r} must have distinct ids")
        if self.resultType == "RubricCriterionLevel":
            if not levels:
                raise ValueError(f"rubric criterion {self.id!r} needs at least one rubricCriterionLevel")
            if self.requiredLevel is None:
                raise ValueError(f"rubric criterion {self.id!r} needs a requiredLevel")
        if self.requiredLevel is not None and self.requiredLevel not in ids:
            raise ValueError(f"requiredLevel {self.requiredLevel!r} is not one of the levels of {self.id!r}")
        return self


class Achievement(JsonLdModel):
    """The micro-credential itself, as the issuer defines it for every teacher who earns it.

    Its name, what it recognises, how it is earned (criteria), the standards it aligns to and the rubric
    (``resultDescription``) the assessor uses.
    """

    _required_types = (("Achievement",),)

    id: Iri
    type: list[str] = _types("Achievement")
    name: Text
    description: Text
    criteria: Criteria
    achievementType: str | None = "MicroCredential"
    image: Image | None = None
    alignment: list[Alignment] | None = None
    resultDescription: list[ResultDescription] | None = None
    tag: list[Text] | None = None
    creator: Profile | None = None
    humanCode: Text | None = None
    fieldOfStudy: Text | None = None
    specialization: Text | None = None
    version: Text | None = None
    creditsAvailable: float | None = Field(default=None, ge=0)
    inLanguage: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")] | None = None

    @field_validator("achievementType")
    @classmethod
    def _known_achievement_type(cls, value: str | None) -> str | None:
        return _check_extensible_enum(value, ACHIEVEMENT_TYPES, "achievement type")

    @model_validator(mode="after")
    def _distinct_result_descriptions(self) -> Achievement:
        ids = [rd.id for rd in self.resultDescription or []]
        if len(set(ids)) != len(ids):
            raise ValueError("resultDescription ids must be distinct")
        level_ids = [lvl.id for rd in self.resultDescription or [] for lvl in rd.rubricCriterionLevel or []]
        if len(set(level_ids)) != len(level_ids):
            # A level id shared by two criteria would make an achievedLevel ambiguous to a reader.
            raise ValueError("rubric level ids must be distinct across the whole achievement")
        return self


class IdentityObject(JsonLdModel):
    """The teacher's e-mail address, salted and hashed, so the badge names them without publishing the address."""

    type: Literal["IdentityObject"] = "IdentityObject"  # a single string, as the OB schema requires
    identityHash: Text
    identityType: str = "emailAddress"
    hashed: bool = True
    salt: str | None = None


class Result(JsonLdModel):
    """The level the teacher reached on one rubric criterion (``achievedLevel``), or another kind of result."""

    _required_types = (("Result",),)

    type: list[str] = _types("Result")
    resultDescription: Iri | None = None
    achievedLevel: Iri | None = None
    status: (
        Literal["Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"]
        | None
    ) = None
    value: Text | None = None


class AchievementSubject(JsonLdModel):
    """The teacher who earned the micro-credential, and what they achieved.

    The teacher is identified by a DID/URN (``id``), by a hashed e-mail (``identifier``), or both.
    ``activityStartDate``/``activityEndDate`` are timestamps per the OB schema; note that OB context 3.0.3
    types them ``xsd:date``, so a strict RDF consumer may call the value ill-typed — mcbadge does not set them.
    """

    _required_types = (("AchievementSubject",),)

    id: Iri | None = None
    type: list[str] = _types("AchievementSubject")
    achievement: Achievement
    identifier: list[IdentityObject] | None = None
    result: list[Result] | None = None
    creditsEarned: float | None = Field(default=None, ge=0)
    activityStartDate: UtcDateTime | None = None
    activityEndDate: UtcDateTime | None = None

    @model_validator(mode="after")
    def _identified(self) -> AchievementSubject:
        # OB 3.0: "Either id or at least one identifier MUST be supplied."
        if self.id is None and not self.identifier:
            raise ValueError("the credential subject needs an id or at least one identifier")
        if self.result:
            known = {rd.id: rd for rd in self.achievement.resultDescription or []}
            for index, result in enumerate(self.result):
                if result.resultDescription is None:
                    continue
                described = known.get(result.resultDescription)
                if described is None:
                    raise ValueError(
                        f"result[{index}] points to resultDescription {result.resultDescription!r}, "
                        "which the achievement does not define"
                    )
                levels = {lvl.id for lvl in described.rubricCriterionLevel or []}
                if result.achievedLevel is not None and result.achievedLevel not in levels:
                    raise ValueError(
                        f"result[{index}] achievedLevel {result.achievedLevel!r} is not a level of "
                        f"{described.id!r}"
                    )
        if self.activityStartDate and self.activityEndDate and self.activityEndDate < self.activityStartDate:
            raise ValueError("activityEndDate is before activityStartDate")
        return self


class Evidence(JsonLdModel):
    """Something the teacher submitted and the assessor reviewed: a lesson video, student work, a reflection.

    The bytes the assessor saw are bound to the credential by a digest in the credential's ``relatedResource``
    list under the same ``id`` (see ``mcbadge.vc.evidence``).
    """

    _required_types = (("Evidence",),)

    id: Iri | None = None
    type: list[str] = _types("Evidence")
    name: Text | None = None
    description: Text | None = None
    narrative: Text | None = None
    genre: Text | None = None
    audience: Text | None = None


class RelatedResource(JsonLdModel):
    """VC 2.0 integrity information for a file the credential refers to (here: an evidence file).

    ``id`` is the resource's URL or URN; ``digestMultibase`` a multibase multihash of its exact bytes.
    """

    id: Iri
    digestMultibase: Text | None = None
    digestSRI: Text | None = None
    mediaType: Annotated[str, StringConstraints(pattern=r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")] | None = None

    @model_validator(mode="after")
    def _has_digest(self) -> RelatedResource:
        # VC 2.0 §5.3: each relatedResource object MUST contain digestSRI or digestMultibase.
        if self.digestMultibase is None and self.digestSRI is None:
            raise ValueError("a related resource needs digestMultibase or digestSRI")
        return self


class BitstringStatusListEntry(JsonLdModel):
    """Where a verifier checks whether the badge was revoked or suspended (one bit in a status list)."""

    id: Iri | None = None
    type: Literal["BitstringStatusListEntry"] = "BitstringStatusListEntry"
    statusPurpose: Text
    statusListIndex: Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]*)$")]
    statusListCredential: Iri
    statusSize: int | None = Field(default=None, ge=1)


class CredentialSchema(JsonLdModel):
    """A JSON Schema a verifier may check the credential against (needs the OB extensions context)."""

    id: Iri
    type: Text = "1EdTechJsonSchemaValidator2019"


# --------------------------------------------------------------------------------------------------
# The credential
# --------------------------------------------------------------------------------------------------


class AchievementCredential(JsonLdModel):
    """The digital badge a teacher receives: the issuer's signed statement that this teacher earned this
    micro-credential, with the rubric results and the evidence it was awarded on.

    Unsigned here; a proof (Data Integrity or VC-JWT) is added by the signing code.
    """

    _required_types = (("VerifiableCredential",), ("OpenBadgeCredential", "AchievementCredential"))

    context: list[str] = Field(default_factory=lambda: [CREDENTIALS_V2, OB_CONTEXT], alias="@context")
    id: Iri
    type: list[str] = _types("VerifiableCredential", "OpenBadgeCredential")
    name: Text
    description: Text | None = None
    image: Image | None = None
    issuer: Profile
    validFrom: UtcDateTime
    validUntil: UtcDateTime | None = None
    credentialSubject: AchievementSubject
    evidence: list[Evidence] | None = None
    relatedResource: list[RelatedResource] | None = None
    credentialStatus: BitstringStatusListEntry | None = None
    credentialSchema: list[CredentialSchema] | None = None

    @field_validator("context")
    @classmethod
    def _pinned_contexts(cls, value: list[str]) -> list[str]:
        if value[:2] != [CREDENTIALS_V2, OB_CONTEXT]:
            raise ValueError(f"@context must start with {CREDENTIALS_V2!r}, {OB_CONTEXT!r}")
        for extra in value[2:]:
            if extra not in PINNED_LOADER.urls:
                raise ValueError(f"context {extra!r} is not pinned; it could not be canonicalized")
        if len(set(value)) != len(value):
            raise ValueError("@context must not repeat a context")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AchievementCredential:
        if self.validUntil is not None and self.validUntil <= self.validFrom:
            raise ValueError("validUntil must be after validFrom")
        evidence_ids = [e.id for e in self.evidence or [] if e.id is not None]
        if len(set(evidence_ids)) != len(evidence_ids):
            raise ValueError("evidence ids must be distinct")
        related_ids = [r.id for r in self.relatedResource or []]
        if len(set(related_ids)) != len(related_ids):
            # VC 2.0 §5.3: "The value MUST be unique among the list of related resource objects."
            raise ValueError("relatedResource ids must be distinct")
        if any(s.type == "1EdTechJsonSchemaValidator2019" for s in self.credentialSchema or []):
            # That type is defined only in the OB extensions context; without it SAFE canonicalization fails.
            if OB_EXTENSIONS not in self.context:
                raise ValueError(f"credentialSchema 1EdTechJsonSchemaValidator2019 needs {OB_EXTENSIONS!r}")
        return self


__all__ = [
    "ACHIEVEMENT_TYPES",
    "ALIGNMENT_TARGET_TYPES",
    "RESULT_TYPES",
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Alignment",
    "BitstringStatusListEntry",
    "CredentialSchema",
    "Criteria",
    "Evidence",
    "IdentityObject",
    "Image",
    "JsonLdModel",
    "Profile",
    "RelatedResource",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "UtcDateTime",
]
