"""Pydantic models of the Open Badges 3.0 credentials mcbadge issues, and the rubric outcome of a credential.

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

``rubric_outcome(credential_json)`` works on the JSON, not the models, because the verifier evaluates
credentials issued by anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
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
        return _prune(self.model_dump(mode="json", by_alias=True, exclude_none=True))


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


# --------------------------------------------------------------------------------------------------
# Hashed e-mail identity
# --------------------------------------------------------------------------------------------------


def _normalize_email(email: str) -> str:
    # Addresses are compared case-insensitively in practice; normalising lets a verifier who knows the
    # address (in any case, with stray spaces) recompute the hash.
    return email.strip().lower()


def identity_object(email: str, salt: str | None = None, *, normalize: bool = True) -> IdentityObject:
    """A salted OB ``IdentityObject`` for an e-mail address.

    ``identityHash`` is ``"sha256$" + hex(sha256(utf8(email + salt)))`` as OB 3.0 defines it. The address is
    trimmed and lower-cased first unless ``normalize=False``. Without ``salt`` a random one is generated: an
    unsalted hash of an e-mail address is reversible with a dictionary of addresses.
    ``identity_object(...).to_json_ld()`` is the dict to embed.
    """
    if salt is None:
        salt = secrets.token_urlsafe(16)
    value = _normalize_email(email) if normalize else email
    digest = hashlib.sha256((value + salt).encode("utf-8")).hexdigest()
    return IdentityObject(identityHash=f"sha256${digest}", identityType="emailAddress", hashed=True, salt=salt)


def identity_matches(identity: Mapping[str, Any], email: str, *, normalize: bool = True) -> bool:
    """True when a (JSON) IdentityObject is a hash of ``email`` (sha256 or md5, as OB allows), or equals it."""
    value = _normalize_email(email) if normalize else email
    stored = identity.get("identityHash")
    if not isinstance(stored, str):
        return False
    if identity.get("hashed") is not True:
        return hmac.compare_digest(stored.strip().lower().encode(), value.encode())
    algorithm, sep, hex_digest = stored.partition("$")
    if not sep:
        return False
    salt = identity.get("salt") or ""
    data = (value + (salt if isinstance(salt, str) else "")).encode("utf-8")
    if algorithm.lower() == "sha256":
        computed = hashlib.sha256(data).hexdigest()
    elif algorithm.lower() == "md5":
        computed = hashlib.md5(data, usedforsecurity=False).hexdigest()
    else:
        return False
    return hmac.compare_digest(computed, hex_digest.lower())


# --------------------------------------------------------------------------------------------------
# Rubric outcome (verifier side, on JSON)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionOutcome:
    """One rubric criterion: the level reached, the level required, and whether the first meets the second.

    ``ordering`` says how levels were ranked: ``"points"`` or ``"position"`` (see ``rubric_outcome``).
    """

    result_description_id: str
    name: str
    achieved_level: str
    required_level: str
    met: bool
    ordering: Literal["points", "position"]


@dataclass(frozen=True)
class RubricProblem:
    """A rubric result the verifier could not evaluate (dangling id, missing level...), in words."""

    result_description_id: str | None
    message: str


@dataclass(frozen=True)
class RubricOutcome:
    """The rubric results of a credential. ``met`` is True only when at least one criterion was evaluated,
    every evaluated criterion is met and nothing could not be evaluated (``problems`` is empty)."""

    criteria: tuple[CriterionOutcome, ...] = ()
    problems: tuple[RubricProblem, ...] = ()
    met: bool = field(init=False)

    def __post_init__(self) -> None:
        met = bool(self.criteria) and not self.problems and all(c.met for c in self.criteria)
        object.__setattr__(self, "met", met)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _as_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return None


def _has_type(node: Mapping[str, Any], name: str) -> bool:
    return name in _as_list(node.get("type"))


def _points(level: Mapping[str, Any]) -> Decimal | None:
    raw = level.get("points")
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _rank(levels: list[Mapping[str, Any]]) -> tuple[dict[str, Decimal | int], Literal["points", "position"]]:
    """How high each level id ranks.

    By ``points`` when every level has distinct numeric points (rubrics are often printed highest-first, and
    points are unambiguous); otherwise by position in the list, lowest first — the order OB 3.0 prescribes
    for ``allowedValue`` and the order mcbadge emits. ``level`` is free text ("Mastered") and never used.
    """
    ids = [_as_str(level.get("id")) or "" for level in levels]
    points = [_points(level) for level in levels]
    if points and all(p is not None for p in points) and len(set(points)) == len(points):
        return {i: p for i, p in zip(ids, points, strict=True) if p is not None}, "points"
    return {i: pos for pos, i in enumerate(ids)}, "position"


def _subjects(credential: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for subject in _as_list(credential.get("credentialSubject")):
        if isinstance(subject, Mapping):
            yield subject


def rubric_outcome(credential: Mapping[str, Any]) -> RubricOutcome:
    """Evaluate every rubric result of a credential (JSON) against its required level.

    A result is a rubric result when its ``resultDescription`` names a ResultDescription of the subject's
    achievement whose ``resultType`` is ``RubricCriterionLevel``; results pointing to other descriptions, or
    to none, are ignored. Level ranking: see ``_rank`` (points if all distinct and numeric, else list order
    lowest → highest). Anything that cannot be evaluated — an unknown description or level id, a missing
    ``requiredLevel``, a rubric criterion without any result — becomes a ``RubricProblem``; this function
    never raises on malformed input, because the verifier reports instead of crashing.
    """
    criteria: list[CriterionOutcome] = []
    problems: list[RubricProblem] = []
    for subject in _subjects(credential):
        achievement = subject.get("achievement")
        descriptions: dict[str, Mapping[str, Any]] = {}
        if isinstance(achievement, Mapping):
            for rd in _as_list(achievement.get("resultDescription")):
                rd_id = _as_str(rd.get("id")) if isinstance(rd, Mapping) else None
                if rd_id is not None:
                    descriptions[rd_id] = rd
        rubric_ids = {i for i, rd in descriptions.items() if rd.get("resultType") == "RubricCriterionLevel"}
        evaluated: set[str] = set()
        for index, result in enumerate(_as_list(subject.get("result"))):
            if not isinstance(result, Mapping):
                continue
            rd_id = _as_str(result.get("resultDescription"))
            if rd_id is None:
                continue
            rd = descriptions.get(rd_id)
            if rd is None:
                problems.append(RubricProblem(rd_id, f"result[{index}] points to an unknown resultDescription"))
                continue
            if rd_id not in rubric_ids:
                continue
            evaluated.add(rd_id)
            outcome = _evaluate(rd_id, rd, result, index)
            if isinstance(outcome, RubricProblem):
                problems.append(outcome)
            else:
                criteria.append(outcome)
        for rd_id in sorted(rubric_ids - evaluated):
            name = _as_str(descriptions[rd_id].get("name")) or rd_id
            problems.append(RubricProblem(rd_id, f"rubric criterion {name!r} has no result"))
    return RubricOutcome(criteria=tuple(criteria), problems=tuple(problems))


def _evaluate(
    rd_id: str, rd: Mapping[str, Any], result: Mapping[str, Any], index: int
) -> CriterionOutcome | RubricProblem:
    levels = [lvl for lvl in _as_list(rd.get("rubricCriterionLevel")) if isinstance(lvl, Mapping)]
    by_id = {i: lvl for lvl in levels if (i := _as_str(lvl.get("id"))) is not None}
    achieved_id = _as_str(result.get("achievedLevel"))
    required_id = _as_str(rd.get("requiredLevel"))
    if achieved_id is None:
        return RubricProblem(rd_id, f"result[{index}] has no achievedLevel")
    if achieved_id not in by_id:
        return RubricProblem(rd_id, f"result[{index}] achievedLevel {achieved_id!r} is not a level of {rd_id!r}")
    if required_id is None:
        return RubricProblem(rd_id, f"resultDescription {rd_id!r} has no requiredLevel")
    if required_id not in by_id:
        return RubricProblem(rd_id, f"requiredLevel {required_id!r} is not a level of {rd_id!r}")
    ranks, ordering = _rank(levels)
    return CriterionOutcome(
        result_description_id=rd_id,
        name=_as_str(rd.get("name")) or rd_id,
        achieved_level=_as_str(by_id[achieved_id].get("name")) or achieved_id,
        required_level=_as_str(by_id[required_id].get("name")) or required_id,
        met=ranks[achieved_id] >= ranks[required_id],
        ordering=ordering,
    )


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
    "CriterionOutcome",
    "Evidence",
    "IdentityObject",
    "Image",
    "JsonLdModel",
    "Profile",
    "RelatedResource",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "RubricOutcome",
    "RubricProblem",
    "UtcDateTime",
    "identity_matches",
    "identity_object",
    "rubric_outcome",
]
