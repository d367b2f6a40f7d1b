"""Turn database rows into an unsigned Open Badges 3.0 ``AchievementCredential`` (through ``mcbadge.vc.models``).

What goes where, and why:

- ``achievement`` is the micro-credential *version* the educator earned (``.../microcredentials/{key}/v{n}``):
  description = the competency, criteria = the key method and the evidence requirements, the rubric as one
  ``RubricCriterionLevel`` ResultDescription per criterion (levels lowest first, ``points`` = position),
  ``creditsAvailable`` = PD hours (a term of OB context 3.0.3).
- ``result``: one per criterion, ``achievedLevel`` = the deciding level (``Submission.decided_scores``: the one
  assessor's level, the level two independent assessors agreed on, the lower of two adjacent ones, or the
  lead assessor's; ``assessments.scoring``).
- The subject is the educator's salted, hashed e-mail address: never the address, never a license number.
- Evidence, privacy first. Every item's ``id`` is this service's URL
  ``/credentials/{id}/evidence/{evidence_id}`` — for URLs too — so what the public can open stays under the
  earner's ``show_evidence`` switch after issuance (a signed credential cannot be edited later; a classroom
  video link inside it could never be withdrawn). Files and written reflections carry, in
  ``relatedResource``, the digest of the exact bytes the assessor saw (a file's SHA-256 is already known, so
  the multihash is built from it without re-reading the file; a reflection is digested as UTF-8). The
  reflection's text is never embedded: it often speaks about students. Evidence imported from an issuer's
  records (``award_imports``) whose bytes this service does not hold carries the digest the issuer recorded
  (``EvidenceItem.sha256``): a file or reflection kept by the issuer, or the content of a link.
- The assessor: OB 3.0 has no assessor property on Result or Evidence, and a person's name does not belong
  in a credential the earner shares with the world. An ``Evidence`` item of genre "Assessment" says in its
  narrative that a trained assessor of the issuer scored the work against the rubric (and whether a second
  scorer or a lead assessor decided), with an opaque reference the issuer can resolve in its audit log. A
  double-scored award says so there, in OB 3.0's own place for how the evidence was assessed: that two assessors
  scored every criterion independently, why the work was double-scored (at random, borderline, or the issuer's
  rule for every submission), on how many criteria they agreed, and whether a lead decided.
- The assessors' qualifications (``qualifications``, issue 12): for each assessor who scored the work and held a
  qualification current at the award, an ``Evidence`` item of genre "Assessment" whose ``id`` is the
  qualification credential, naming the assessor by pseudonym (and by name only if they opted in), and a
  ``relatedResource`` binding the qualification's digest (``vc.qualification``). The verifier's
  ``assessor_qualification`` check follows them.
- ``credentialStatus`` is ONE object, the revocation entry: OB 3.0 (written on VC 1.1) gives it a
  cardinality of 0..1 and the unmodified 1EdTech JSON Schema requires an object, and what mcbadge issues
  must be accepted by every conformant host (docs/DECISIONS.md, "One status entry"). An issuer that
  opts into suspension (``Issuer.suspension_status``) gets the suspension entry beside it, as a VC 2.0
  array (:func:`credential_status`): a suspension no verifier can see would protect no one, and that array
  is what the 1EdTech schema refuses, the cost the issuer accepts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from ..db.models import (
    Assessment,
    Credential,
    EvidenceItem,
    Issuer,
    MicroCredential,
    Person,
)
from ..vc.evidence import digest_multibase, encode_digest_multibase
from ..vc.identity_hash import identity_object
from ..vc.qualification import ASSESSMENT_GENRE, QUALIFICATION_MEDIA_TYPE
from ..vc.recognition import definition_digest
from ..vc.models import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Alignment,
    Criteria,
    Evidence,
    Image,
    Profile,
    RelatedResource,
    Result,
    ResultDescription,
    RubricCriterionLevel,
)

__all__ = ["AwardContext", "DoubleScoring", "QualificationCitation", "achievement_id", "build_credential", "credential_status",
           "credential_url", "digest_multibase_from_hex", "microcredential_achievement", "microcredential_definition"]



@dataclass(frozen=True)
class QualificationCitation:
    """The qualification of one assessor who scored the work, as the award cites it."""

    url: str
    digest: str
    """``vc.qualification.qualification_digest`` of the qualification as issued."""
    pseudonym: str
    assessor_name: str | None = None
    """Only when the assessor opted in to being named."""


REASON_WORDS = {
    "issuer_rule": "the issuer double-scores every submission",
    "sampled": "chosen at random for a second scoring",
    "borderline": "a borderline score",
}


@dataclass(frozen=True)
class DoubleScoring:
    """How a double-scored submission's deciding scores were reached, as the award states it."""

    reason: str
    """``issuer_rule``, ``sampled`` or ``borderline`` (``Submission.double_scoring_reason``)."""
    sources: Mapping[str, str]
    """{criterion: agreed | adjacent | lead} (``Submission.score_sources``; empty when not recorded)."""


@dataclass(frozen=True)
class AwardContext:
    """Everything the credential says, read from the database by the award service."""

    credential: Credential
    issuer: Issuer
    issuer_did: str
    microcredential: MicroCredential
    educator: Person
    evidence: Sequence[EvidenceItem]
    assessment: Assessment
    assessor_count: int
    revocation_entry: Mapping[str, Any]
    suspension_entry: Mapping[str, Any] | None = None
    """Given only for an issuer that opted into suspension (see the module docstring)."""
    qualifications: Sequence[QualificationCitation] = ()
    """The scoring assessors' qualifications current at the award (see the module docstring)."""
    scores: Mapping[str, str] | None = None
    """The deciding level per criterion (``Submission.decided_scores``); ``assessment``'s scores when None."""
    double_scoring: DoubleScoring | None = None
    """Set when two assessors scored the work independently."""
    achievement: Achievement | None = None
    """The version's Achievement (:func:`microcredential_achievement`) when the caller has made it already: a bulk
    award makes it once per version instead of once per credential. Made from ``microcredential`` otherwise."""


def credential_status(revocation: Mapping[str, Any],
                      suspension: Mapping[str, Any] | None) -> dict[str, Any] | list[dict[str, Any]]:
    """The ``credentialStatus`` of a credential issued here (awards and designations): the revocation entry
    as one object, which the 1EdTech OB 3.0 schema accepts; with a suspension entry, both as a VC 2.0 array,
    which it refuses (the cost of an issuer's opt-in)."""
    if suspension is None:
        return dict(revocation)
    return [dict(revocation), dict(suspension)]


def credential_url(public_base_url: str, credential_id: uuid.UUID) -> str:
    """The stable public URL of a credential: its ``id``, and where its JSON (and badge page) is served."""
    return f"{public_base_url.rstrip('/')}/credentials/{credential_id}"


def achievement_id(public_base_url: str, slug: str, key: str, version: int) -> str:
    """The id of a micro-credential version (an achievement)."""
    return f"{public_base_url.rstrip('/')}/issuers/{slug}/microcredentials/{quote(key, safe='')}/v{version}"


def digest_multibase_from_hex(sha256_hex: str) -> str:
    """The ``digestMultibase`` (base64url multihash) of bytes whose SHA-256 is ``sha256_hex`` (as stored)."""
    return encode_digest_multibase(bytes.fromhex(sha256_hex), "sha2-256")


def _image(url: str | None, caption: str | None = None) -> Image | None:
    return Image(id=url, caption=caption) if url else None


def _alignment(raw: Mapping[str, Any]) -> Alignment:
    return Alignment(
        targetName=raw["target_name"],
        targetUrl=raw["target_url"],
        targetDescription=raw.get("target_description"),
        targetCode=raw.get("target_code"),
        targetFramework=raw.get("target_framework"),
        targetType=raw.get("target_type"),
    )


def _level_id(rd_id: str, level_key: str) -> str:
    return f"{rd_id}-{quote(str(level_key), safe='')}"


def _result_description_id(ach_id: str, criterion_key: str) -> str:
    return f"{ach_id}#{quote(str(criterion_key), safe='')}"


def _rubric(ach_id: str, rubric: Mapping[str, Any]) -> tuple[list[ResultDescription], dict[str, str]]:
    """ResultDescriptions, and criterion key -> ResultDescription id."""
    levels = rubric.get("levels", [])
    descriptions: list[ResultDescription] = []
    ids: dict[str, str] = {}
    for criterion in rubric.get("criteria", []):
        rd_id = _result_description_id(ach_id, criterion["key"])
        ids[criterion["key"]] = rd_id
        descriptions.append(
            ResultDescription(
                id=rd_id,
                name=criterion["name"],
                resultType="RubricCriterionLevel",
                requiredLevel=_level_id(rd_id, criterion["required_level"]),
                rubricCriterionLevel=[
                    RubricCriterionLevel(
                        id=_level_id(rd_id, level["key"]),
                        name=level["name"],
                        description=level.get("description") or None,
                        points=str(position),
                    )
                    for position, level in enumerate(levels)
                ],
            )
        )
    return descriptions, ids


def _criteria_narrative(mc: MicroCredential) -> str:
    lines = [mc.key_method.strip(), "", "Evidence required:"]
    for requirement in mc.requirements:
        text = requirement.get("title") or requirement.get("key")
        if requirement.get("description"):
            text = f"{text}: {requirement['description']}"
        lines.append(f"- {text}")
    levels = {level["key"]: level["name"] for level in mc.rubric.get("levels", [])}
    required = [
        f"{criterion['name']} (at least {levels.get(criterion['required_level'], criterion['required_level'])})"
        for criterion in mc.rubric.get("criteria", [])
    ]
    if required:
        lines += ["", "Scored against the rubric; every criterion must reach its required level: " + "; ".join(required) + "."]
    return "\n".join(lines)


def _evidence(
    ctx: AwardContext, base: str, requirement_titles: Mapping[str, str]
) -> tuple[list[Evidence], list[RelatedResource]]:
    evidence: list[Evidence] = []
    related: list[RelatedResource] = []
    cred_url = credential_url(base, ctx.credential.id)
    for item in ctx.evidence:
        item_id = f"{cred_url}/evidence/{item.id}"
        title = requirement_titles.get(item.requirement_key, item.requirement_key)
        if item.kind == "file":
            # A stored file's digest, or (imported) the digest the issuer recorded for a file it keeps itself.
            sha256 = item.blob_sha256 or item.sha256
            if not sha256:
                raise ValueError(f"evidence item {item.id} is a file without a blob or a recorded digest")
            evidence.append(Evidence(id=item_id, name=item.filename or title, description=title, genre="File"))
            media_type = item.blob.media_type if item.blob is not None else None
            related.append(RelatedResource(id=item_id, digestMultibase=digest_multibase_from_hex(sha256),
                                           mediaType=media_type))
        elif item.kind == "reflection":
            evidence.append(Evidence(id=item_id, name=title, description="A written reflection (text not published)",
                                     genre="Reflection"))
            if item.text:
                related.append(RelatedResource(id=item_id, digestMultibase=digest_multibase(item.text.encode("utf-8")),
                                               mediaType="text/plain; charset=utf-8"))
            elif item.sha256:  # imported: the issuer keeps the text and recorded its digest
                related.append(RelatedResource(id=item_id, digestMultibase=digest_multibase_from_hex(item.sha256)))
        else:  # url
            evidence.append(Evidence(id=item_id, name=title, description="A link submitted as evidence", genre="Link"))
            if item.sha256:  # imported with the digest of the linked content, as the issuer recorded it
                related.append(RelatedResource(id=item_id, digestMultibase=digest_multibase_from_hex(item.sha256)))
    for cited in ctx.qualifications:
        who = f"{cited.assessor_name} (assessor {cited.pseudonym})" if cited.assessor_name else f"assessor {cited.pseudonym}"
        evidence.append(Evidence(id=cited.url, name="Assessor qualification", genre=ASSESSMENT_GENRE,
                                 description=(f"Scored by {who}, qualified by {ctx.issuer.name} to assess this "
                                              "micro-credential: the linked qualification credential.")))
        related.append(RelatedResource(id=cited.url, digestMultibase=cited.digest, mediaType=QUALIFICATION_MEDIA_TYPE))
    reference = f"(assessment reference urn:uuid:{ctx.assessment.id})"
    if ctx.double_scoring is not None:
        evidence.append(Evidence(name="Rubric assessment (double-scored)", genre="Assessment",
                                 narrative=_double_scoring_narrative(ctx, ctx.double_scoring) + f" {reference}"))
        return evidence, related
    how = "scored by two trained assessors" if ctx.assessor_count > 1 else "scored by a trained assessor"
    if ctx.assessment.lead_decision:
        how += "; a lead assessor decided"
    evidence.append(
        Evidence(
            name="Rubric assessment",
            genre="Assessment",
            narrative=(
                f"The evidence was {how} of {ctx.issuer.name}, against the rubric of this micro-credential "
                f"{reference}."
            ),
        )
    )
    return evidence, related


def _double_scoring_narrative(ctx: AwardContext, double: DoubleScoring) -> str:
    why = REASON_WORDS.get(double.reason, double.reason)
    text = (f"The evidence was double-scored ({why}): two trained assessors of {ctx.issuer.name} each scored every "
            "criterion of this micro-credential's rubric independently.")
    if double.sources:
        agreed = sum(1 for source in double.sources.values() if source in ("agreed", "adjacent"))
        lead = any(source == "lead" for source in double.sources.values())
        if lead:
            text += " They disagreed, and a lead assessor who saw both scores decided every criterion."
        else:
            text += (f" They agreed on {agreed} of {len(double.sources)} criteria (the same level, or adjacent "
                     "levels on the same side of the required level, the lower standing).")
    return text + " The results are the deciding scores."


def microcredential_achievement(public_base_url: str, slug: str, mc: MicroCredential) -> Achievement:
    """The OB ``Achievement`` of one micro-credential version, as every award of it states it: also what a
    state's recognition registry digests (``vc.recognition.definition_digest``)."""
    ach_id = achievement_id(public_base_url.rstrip("/"), slug, mc.key, mc.version)
    descriptions, _ = _rubric(ach_id, mc.rubric)
    return Achievement(
        id=ach_id,
        name=mc.title,
        description=mc.competency,
        criteria=Criteria(narrative=_criteria_narrative(mc)),
        achievementType="MicroCredential",
        image=_image(mc.image_url, mc.title),
        alignment=[_alignment(a) for a in mc.alignments] or None,
        resultDescription=descriptions or None,
        tag=[str(t) for t in mc.tags] or None,
        version=str(mc.version),
        creditsAvailable=mc.pd_hours,
    )


def microcredential_definition(public_base_url: str, slug: str, mc: MicroCredential) -> tuple[str, str]:
    """(achievement id, definition digest) of one micro-credential version, computed from the Achievement its
    awards carry: what a recognition registry entry and a vetting endorsement bind."""
    achievement = microcredential_achievement(public_base_url, slug, mc).to_json_ld()
    return achievement["id"], definition_digest(achievement)


def validity_days(issuer: Issuer, mc: MicroCredential) -> int | None:
    """How long an award of ``mc`` is valid, in days: the version's own period (a license cycle), else the
    issuer's; None: it does not expire."""
    return mc.validity_days or issuer.validity_days


def build_credential(ctx: AwardContext, *, public_base_url: str, valid_from: datetime) -> dict[str, Any]:
    """The unsigned credential JSON for ``ctx``, built and checked by the OB 3.0 models.

    validUntil = validFrom + :func:`validity_days` when set.
    """
    base = public_base_url.rstrip("/")
    issuer, mc = ctx.issuer, ctx.microcredential
    ach_id = achievement_id(base, issuer.slug, mc.key, mc.version)
    rd_ids = {c["key"]: _result_description_id(ach_id, c["key"]) for c in mc.rubric.get("criteria", [])}
    # In the rubric's order: PostgreSQL's JSONB does not keep the order of the stored scores.
    scores = ctx.scores if ctx.scores is not None else ctx.assessment.scores
    results = [
        Result(resultDescription=rd_ids[c["key"]], achievedLevel=_level_id(rd_ids[c["key"]], scores[c["key"]]))
        for c in mc.rubric.get("criteria", [])
        if c["key"] in rd_ids and c["key"] in scores
    ]
    titles = {r["key"]: r.get("title") or r["key"] for r in mc.requirements}
    evidence, related = _evidence(ctx, base, titles)
    days = validity_days(issuer, mc)
    valid_until = valid_from + timedelta(days=days) if days else None
    # One entry goes through the model (its BitstringStatusListEntry checks it); two are set afterwards.
    status: Any = ctx.revocation_entry if ctx.suspension_entry is None else None
    credential = AchievementCredential(
        id=credential_url(base, ctx.credential.id),
        name=mc.title,
        description=f"{issuer.name} awarded the micro-credential \u201c{mc.title}\u201d (version {mc.version}).",
        image=_image(mc.image_url, mc.title),
        issuer=Profile(
            id=ctx.issuer_did,
            name=issuer.name,
            url=issuer.url or None,
            email=issuer.email or None,
            image=_image(issuer.image_url, issuer.name),
        ),
        validFrom=valid_from,
        validUntil=valid_until,
        credentialSubject=AchievementSubject(
            identifier=[identity_object(ctx.educator.email)],
            achievement=ctx.achievement or microcredential_achievement(base, issuer.slug, mc),
            result=results or None,
        ),
        evidence=evidence,
        relatedResource=related or None,
        credentialStatus=status,
    )
    document = credential.to_json_ld()
    if ctx.suspension_entry is not None:
        # VC 2.0 allows several status entries; the OB 3.0 schema does not (see the module docstring).
        document["credentialStatus"] = credential_status(ctx.revocation_entry, ctx.suspension_entry)
    return document
