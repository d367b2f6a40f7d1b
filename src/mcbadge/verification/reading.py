"""What a credential says, read once for people: the verification page, the public badge page, the JSON
answer of ``POST /verify`` (its ``credential`` member) and the baked badge's label all read it here.

Credentials come from anyone (the verification page reads what a stranger pasted), so everything here is
defensive: a missing or oddly typed field shows as absent, never as an error. Links are only ever made from
``http(s)`` URLs (no ``javascript:``). Nothing here knows HTTP or templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any

from ..vc import evidence as vc_evidence
from ..vc.components import component_entries
from ..vc.data_integrity import parse_datetime
from ..vc.json_values import as_list
from ..vc.rubric import rubric_outcome

__all__ = ["CredentialView", "Criterion", "EvidenceRow", "When", "credential_summary", "credential_view"]




def _text(value: Any) -> str | None:
    """A display string: a string, or the first string of a list / language map; else None."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        return next((t for v in value if (t := _text(v))), None)
    if isinstance(value, Mapping) and "@value" in value:
        return _text(value["@value"])
    return None


def _link(value: Any) -> str | None:
    """``value`` when it is an http(s) URL a page may link to, else None."""
    text = _text(value)
    if text and text.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in text):
        return text
    return None


@dataclass(frozen=True)
class When:
    """A date-time as the page shows it: machine-readable ``iso`` and a readable ``text``."""

    iso: str
    text: str


def _when(value: Any) -> When | None:
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    utc = parsed.astimezone(timezone.utc)
    return When(iso=str(value), text=f"{utc.day} {utc:%B %Y}")


# -- the credential --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    name: str
    description: str | None
    required: bool
    achieved: bool


@dataclass(frozen=True)
class Criterion:
    name: str
    description: str | None
    levels: tuple[Level, ...]
    achieved: str | None
    required: str | None
    met: bool | None  # None: could not be evaluated


@dataclass(frozen=True)
class Digest:
    algorithm: str
    multibase: str
    hex: str | None


@dataclass(frozen=True)
class EvidenceRow:
    id: str | None
    own_name: str | None  # the item's own name (``name`` falls back to its genre, then "Evidence")
    name: str
    description: str | None
    narrative: str | None
    genre: str | None
    url: str | None
    digests: tuple[Digest, ...]


@dataclass(frozen=True)
class OtherResult:
    name: str
    value: str


@dataclass(frozen=True)
class ComponentRef:
    """A component credential a designation names: its ``relatedResource`` binding (id, digest), and what the
    evidence entry naming it says (issuer, achievement)."""

    id: str
    url: str | None  # the id, when it is an http(s) link (a badge page)
    description: str | None
    digest: str | None


@dataclass(frozen=True)
class CredentialView:
    """A credential's content as a person reads it. Fields named ``own_*`` and ``*_text`` hold what the
    credential itself says (None when it says nothing); the others may fall back to something readable."""

    id: str | None
    own_name: str | None
    title: str
    description: str | None
    issuer_name: str
    issuer_own_name: str | None
    issuer_id: str | None
    issuer_url: str | None
    achievement_id: str | None
    achievement_name: str
    achievement_own_name: str | None
    achievement_description: str | None
    achievement_type: str | None
    criteria_narrative: str | None
    credits: str | None
    alignments: tuple[tuple[str, str | None], ...]
    tags: tuple[str, ...]
    earner: str | None
    earner_id: str | None
    earner_own_name: str | None
    identifiers: tuple[tuple[str | None, bool], ...]  # (identityType, hashed) of each identifier
    valid_from: When | None
    valid_until: When | None
    valid_from_text: str | None
    valid_until_text: str | None
    awarded_text: str | None
    rubric: tuple[Criterion, ...]
    other_results: tuple[OtherResult, ...]
    evidence: tuple[EvidenceRow, ...]
    format: str = "json"
    notes: tuple[str, ...] = field(default_factory=tuple)
    components: tuple[ComponentRef, ...] = ()
    """Non-empty for a designation: the component credentials it rests on."""

    @property
    def is_designation(self) -> bool:
        return bool(self.components)


def _digest(value: Any) -> Digest | None:
    if not isinstance(value, str):
        return None
    try:
        algorithm, raw = vc_evidence.parse_digest_multibase(value)
    except (ValueError, TypeError):
        return Digest(algorithm="unreadable", multibase=value, hex=None)
    return Digest(algorithm=algorithm, multibase=value, hex=raw.hex())


def _sri_digests(value: Any) -> list[Digest]:
    out = []
    for text in as_list(value):
        if isinstance(text, str):
            try:
                for algorithm, raw in vc_evidence.parse_digest_sri(text):
                    out.append(Digest(algorithm=algorithm, multibase=text, hex=raw.hex()))
            except (ValueError, TypeError):
                out.append(Digest(algorithm="unreadable", multibase=text, hex=None))
    return out


def _digests_by_id(credential: Mapping[str, Any]) -> dict[str, list[Digest]]:
    found: dict[str, list[Digest]] = {}
    for related in as_list(credential.get("relatedResource")):
        if isinstance(related, Mapping) and isinstance(related.get("id"), str):
            digests = [d for v in as_list(related.get("digestMultibase")) if (d := _digest(v))]
            digests += _sri_digests(related.get("digestSRI"))
            found.setdefault(related["id"], []).extend(digests)
    return found


def _evidence(credential: Mapping[str, Any], show_links: bool) -> tuple[EvidenceRow, ...]:
    related = _digests_by_id(credential)
    rows = []
    for item in as_list(credential.get("evidence")):
        if not isinstance(item, Mapping):
            continue
        item_id = item.get("id") if isinstance(item.get("id"), str) else None
        digests = [d for v in as_list(item.get("digestMultibase")) if (d := _digest(v))]
        digests += _sri_digests(item.get("digestSRI"))
        if item_id:
            digests += related.get(item_id, [])
        rows.append(EvidenceRow(
            id=item_id,
            own_name=_text(item.get("name")),
            name=_text(item.get("name")) or _text(item.get("genre")) or "Evidence",
            description=_text(item.get("description")),
            narrative=_text(item.get("narrative")),
            genre=_text(item.get("genre")),
            url=_link(item_id) if show_links else None,
            digests=tuple(digests),
        ))
    return tuple(rows)


def _rubric(achievement: Mapping[str, Any], results: list[Any], credential: Mapping[str, Any]
            ) -> tuple[tuple[Criterion, ...], tuple[OtherResult, ...]]:
    outcome = {c.result_description_id: c for c in rubric_outcome(credential).criteria}
    achieved_by_rd: dict[str, str] = {}
    others: list[OtherResult] = []
    descriptions: dict[str, Mapping[str, Any]] = {
        rd["id"]: rd for rd in as_list(achievement.get("resultDescription"))
        if isinstance(rd, Mapping) and isinstance(rd.get("id"), str)}
    for result in results:
        if not isinstance(result, Mapping):
            continue
        rd_id = _text(result.get("resultDescription"))
        level = _text(result.get("achievedLevel"))
        rd = descriptions.get(rd_id) if rd_id else None
        if rd_id and rd is not None and rd.get("resultType") == "RubricCriterionLevel" and level:
            achieved_by_rd[rd_id] = level
        else:
            value = _text(result.get("value")) or _text(result.get("status")) or level
            name = _text(rd.get("name")) if rd is not None else None
            if value:
                others.append(OtherResult(name or "Result", value))
    criteria = []
    for rd_id, rd in descriptions.items():
        if rd.get("resultType") != "RubricCriterionLevel":
            continue
        achieved_id = achieved_by_rd.get(rd_id)
        required_id = _text(rd.get("requiredLevel"))
        levels = []
        names: dict[str, str] = {}
        for level in as_list(rd.get("rubricCriterionLevel")):
            if not isinstance(level, Mapping):
                continue
            level_id = _text(level.get("id")) or ""
            name = _text(level.get("name")) or _text(level.get("level")) or level_id
            names[level_id] = name
            levels.append(Level(name=name, description=_text(level.get("description")),
                                required=bool(level_id) and level_id == required_id,
                                achieved=bool(level_id) and level_id == achieved_id))
        evaluated = outcome.get(rd_id)
        criteria.append(Criterion(
            name=_text(rd.get("name")) or str(rd_id),
            description=_text(rd.get("description")),
            levels=tuple(levels),
            achieved=names.get(achieved_id or "", achieved_id),
            required=names.get(required_id or "", required_id),
            met=evaluated.met if evaluated is not None else None,
        ))
    return tuple(criteria), tuple(others)


def _earner(subject: Mapping[str, Any]) -> str | None:
    name = _text(subject.get("name"))
    if name:
        return name
    for identity in as_list(subject.get("identifier")):
        if isinstance(identity, Mapping):
            kind = _text(identity.get("identityType")) or "identifier"
            words = {"emailAddress": "e-mail address", "sourcedId": "student information system id"}.get(kind, kind)
            return f"identified by a hashed {words}" if identity.get("hashed") else f"identified by {words}"
    subject_id = _text(subject.get("id"))
    return f"identified by {subject_id}" if subject_id else None


def _components(credential: Mapping[str, Any]) -> tuple[ComponentRef, ...]:
    """The components a designation binds (``relatedResource`` entries of the component media types, as the
    verifier's ``components`` check finds them), described by the evidence entry with the same id."""
    described = {e.get("id"): _text(e.get("description")) for e in as_list(credential.get("evidence"))
                 if isinstance(e, Mapping)}
    return tuple(
        ComponentRef(id=ident, url=_link(ident), description=described.get(ident), digest=_text(r.get("digestMultibase")))
        for r in component_entries(credential) if (ident := _text(r.get("id"))))


def credential_view(credential: Mapping[str, Any], *, show_evidence_links: bool, format: str = "json",
                    earner_name: str | None = None) -> CredentialView:
    """The readable content of a credential (JSON). ``earner_name`` replaces the subject's (hashed) identity.
    An Open Badges 2.0 assertion (``vc.ob2``: its badge class and issuer embedded) is read as the OB 3.0 terms
    that say the same things."""
    if "Assertion" in as_list(credential.get("type")):
        credential = _ob2_as_ob3(credential)
    issuer = credential.get("issuer")
    issuer_map: Mapping[str, Any] = issuer if isinstance(issuer, Mapping) else {}
    issuer_id = _text(issuer) if isinstance(issuer, str) else _text(issuer_map.get("id"))
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    subject: Mapping[str, Any] = subjects[0] if subjects else {}
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), Mapping) else {}
    assert isinstance(achievement, Mapping)
    criteria = achievement.get("criteria") if isinstance(achievement.get("criteria"), Mapping) else {}
    assert isinstance(criteria, Mapping)
    rubric, others = _rubric(achievement, as_list(subject.get("result")), credential)
    components = _components(credential)
    alignments = tuple(
        (name, _link(a.get("targetUrl")))
        for a in as_list(achievement.get("alignment"))
        if isinstance(a, Mapping) and (name := _text(a.get("targetName")))
    )
    credits = achievement.get("creditsAvailable")
    title = _text(credential.get("name")) or _text(achievement.get("name")) or "Credential"
    identifiers = tuple((_text(i.get("identityType")), i.get("hashed") is True)
                        for i in as_list(subject.get("identifier")) if isinstance(i, Mapping))
    return CredentialView(
        id=_text(credential.get("id")),
        own_name=_text(credential.get("name")),
        title=title,
        description=_text(credential.get("description")),
        issuer_name=_text(issuer_map.get("name")) or issuer_id or "an unnamed issuer",
        issuer_own_name=_text(issuer_map.get("name")),
        issuer_id=issuer_id,
        issuer_url=_link(issuer_map.get("url")),
        achievement_id=_text(achievement.get("id")),
        achievement_name=_text(achievement.get("name")) or title,
        achievement_own_name=_text(achievement.get("name")),
        achievement_description=_text(achievement.get("description")),
        achievement_type=_text(achievement.get("achievementType")),
        criteria_narrative=_text(criteria.get("narrative")),
        credits=f"{credits:g}" if isinstance(credits, (int, float)) and not isinstance(credits, bool) else None,
        alignments=alignments,
        tags=tuple(t for t in (_text(x) for x in as_list(achievement.get("tag"))) if t),
        earner=earner_name or _earner(subject),
        earner_id=_text(subject.get("id")),
        earner_own_name=_text(subject.get("name")),
        identifiers=identifiers,
        valid_from=_when(credential.get("validFrom") or credential.get("issuanceDate")),
        valid_until=_when(credential.get("validUntil") or credential.get("expirationDate")),
        valid_from_text=_text(credential.get("validFrom")) or _text(credential.get("issuanceDate")),
        valid_until_text=_text(credential.get("validUntil")) or _text(credential.get("expirationDate")),
        awarded_text=_text(credential.get("awardedDate")),
        rubric=rubric,
        other_results=others,
        # A designation's components are shown as such (with what the verifier found), not again as evidence.
        evidence=tuple(e for e in _evidence(credential, show_evidence_links) if e.id not in {c.id for c in components}),
        format=format,
        components=components,
    )


_OB2_IDENTITY_TYPES = {"email": "emailAddress", "url": "url", "telephone": "telephone"}


def _ob2_as_ob3(assertion: Mapping[str, Any]) -> dict[str, Any]:
    """An OB 2.0 assertion's displayed content in OB 3.0 terms: badge class -> achievement, issuedOn -> validFrom,
    expires -> validUntil, recipient -> identifier, tags -> tag. Only for reading; never verified as OB 3.0."""
    badge = assertion.get("badge") if isinstance(assertion.get("badge"), Mapping) else {}
    assert isinstance(badge, Mapping)
    criteria = badge.get("criteria")
    recipient = assertion.get("recipient") if isinstance(assertion.get("recipient"), Mapping) else {}
    assert isinstance(recipient, Mapping)
    identity_type = _OB2_IDENTITY_TYPES.get(str(recipient.get("type")))
    return {
        "id": assertion.get("id"),
        "issuer": badge.get("issuer"),
        "validFrom": assertion.get("issuedOn"),
        "validUntil": assertion.get("expires"),
        "credentialSubject": {
            "achievement": {
                "id": badge.get("id"), "name": badge.get("name"), "description": badge.get("description"),
                "criteria": criteria if isinstance(criteria, Mapping) else {},
                "alignment": badge.get("alignment"), "tag": badge.get("tags"),
            },
            "identifier": [{"identityType": identity_type, "hashed": recipient.get("hashed") is True}]
            if identity_type else [],
        },
        "evidence": [e for e in as_list(assertion.get("evidence")) if isinstance(e, Mapping)],
    }


def _without_nulls(value: Any) -> Any:
    """``value`` without members that say nothing (None, and objects left empty): a reader sees what is there."""
    if isinstance(value, dict):
        kept = {k: _without_nulls(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def credential_summary(document: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the credential says, in plain JSON fields (the ``credential`` member of a verification answer):
    issuer, achievement, earner, dates, rubric results, evidence. Read from the credential as given, whether
    or not it verified (the report says whether to trust it)."""
    if not isinstance(document, Mapping):
        return None
    view = credential_view(document, show_evidence_links=False)
    summary: dict[str, Any] = _without_nulls({
        "name": view.own_name,
        "issuer": {"id": view.issuer_id, "name": view.issuer_own_name},
        "achievement": {
            "id": view.achievement_id,
            "name": view.achievement_own_name,
            "type": view.achievement_type,
            "criteria": view.criteria_narrative,
        },
        "earner": {
            "id": view.earner_id,
            "name": view.earner_own_name,
            "identifiers": [{"type": kind, "hashed": hashed} for kind, hashed in view.identifiers],
        },
        "validFrom": view.valid_from_text,
        "validUntil": view.valid_until_text,
        "awardedDate": view.awarded_text,
        "results": [{"criterion": c.name, "achieved": c.achieved, "required": c.required, "met": c.met}
                    for c in view.rubric if c.met is not None],
        "evidence": [{"id": e.id, "name": e.own_name, "description": e.description} for e in view.evidence],
    })
    return summary
