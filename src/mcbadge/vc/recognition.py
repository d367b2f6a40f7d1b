"""State recognition registries: which achievements a state agency recognises for license renewal.

A state education agency publishes a **recognition registry**: a VC 2.0 credential it signs (its issuer is
the agency's DID, its subject names the agency again), with a status entry so it can be withdrawn. Each
entry recognises one exact achievement *definition version* (issuer DID + achievement id + the digest of
the definition, see ``definition_digest``) for one or more endorsement areas, says what it counts toward
renewal (``k`` of the ``n`` micro-credentials required, or hours), and when it is effective. The registry
also lists the other agencies whose registries it accepts (reciprocity), each with ``allowChaining``: by
default reciprocity is one step (T accepts S's list, not the lists S accepts in turn).

Every term is defined by mcbadge's own pinned context, ``RECOGNITION_V1``; signing is in safe mode, so a
registry with an undefined term is refused when it is signed.

Three steps, all pure (collaborators are arguments):

1. ``registry_credential`` builds the unsigned registry; ``sign_credential`` (``data_integrity``) signs it.
2. ``verify_registry`` verifies one registry with ``verify.verify`` (signature, status, validity) and
   checks that it is the registry of the agency it claims to be (issuer = subject agency = expected DID).
3. ``evaluate_recognition`` answers, for an achievement credential, a state, an optional endorsement area
   and a date, from registries already verified: recognised (directly or through reciprocity), or not,
   with reasons in plain words and structured fields.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from .canon import Canonicalizer, default_canonicalizer
from .contexts import CREDENTIALS_V2, OB_CONTEXT, QUALITY_V1, RECOGNITION_V1
from .data_integrity import format_datetime, parse_datetime
from .data_model import check_members, is_url
from .dids import DidResolver
from .errors import CredentialError
from .evidence import DigestFormatError, digest_multibase, parse_digest_multibase
from .json_values import as_list, issuer_id
from .verify import DocumentCache, Outcome, StatusFetcher, VerificationReport, verify

REGISTRY_CREDENTIAL_TYPE = "RecognitionRegistryCredential"
REGISTRY_SUBJECT_TYPE = "RecognitionRegistry"
ENTRY_TYPE = "RecognizedAchievement"
COUNT_CREDIT_TYPE = "MicroCredentialCount"
HOURS_CREDIT_TYPE = "RenewalHours"
RECIPROCITY_TYPE = "ReciprocityAcceptance"


class RegistryError(CredentialError, ValueError):
    """A registry that must not be built: a missing or malformed member."""


# --------------------------------------------------------------------------------------------------
# Definition digests
# --------------------------------------------------------------------------------------------------


def definition_digest(
    achievement: Mapping[str, Any],
    *,
    contexts: Sequence[Any] = (CREDENTIALS_V2, OB_CONTEXT),
    canonicalizer: Canonicalizer | None = None,
) -> str:
    """``digestMultibase`` (sha2-256) of the RDFC-1.0 canonical form of an OB ``Achievement``.

    The achievement is read as a stand-alone JSON-LD document under ``contexts`` (by default VC 2.0 and the
    OB context mcbadge emits). To recompute the digest from an achievement inside a credential, pass that
    credential's ``@context``: OB contexts 3.0.2 and 3.0.3 canonicalize differently, and what counts is the
    definition as the credential states it. Any change to the definition (a word of its criteria, its
    rubric) changes the digest, so a new version is never mistaken for the one a state recognised.
    """
    document = {"@context": list(contexts), **{k: v for k, v in achievement.items() if k != "@context"}}
    canonical = (canonicalizer or default_canonicalizer()).canonicalize(document)
    return digest_multibase(canonical.encode("utf-8"))


# --------------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountCredit:
    """The entry counts ``count`` toward the ``required`` micro-credentials renewal asks for (k of n)."""

    count: int
    required: int

    def to_json(self) -> dict[str, Any]:
        return {"type": COUNT_CREDIT_TYPE, "creditCount": self.count, "requiredCount": self.required}

    def describe(self) -> str:
        noun = "micro-credential" if self.required == 1 else "micro-credentials"
        return f"counts {self.count} of the {self.required} {noun} required"


@dataclass(frozen=True)
class HoursCredit:
    """The entry counts ``hours`` of professional learning toward renewal."""

    hours: int | float

    def to_json(self) -> dict[str, Any]:
        return {"type": HOURS_CREDIT_TYPE, "creditHours": self.hours}

    def describe(self) -> str:
        return f"counts {self.hours:g} hour{'s' if self.hours != 1 else ''} toward renewal"


RenewalCredit = CountCredit | HoursCredit


@dataclass(frozen=True)
class RecognizedAchievement:
    """One registry entry: an exact achievement definition version, the areas, the credit and the dates."""

    achievement_issuer: str
    achievement_id: str
    definition_digest: str
    endorsement_areas: tuple[str, ...]
    credit: RenewalCredit
    effective_from: date
    effective_until: date | None = None
    minimum_scoring_kappa: float | None = None
    """The state counts the achievement only while its issuer's newest verified quality statement of it
    (``vc.quality``) shows a weighted kappa at least this high (``minimumScoringKappa``, a term of the quality
    context, which the registry then names)."""

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "type": ENTRY_TYPE,
            "achievementIssuer": self.achievement_issuer,
            "achievementId": self.achievement_id,
            "definitionDigest": self.definition_digest,
            "endorsementArea": list(self.endorsement_areas),
            "renewalCredit": self.credit.to_json(),
            "effectiveFrom": self.effective_from.isoformat(),
        }
        if self.effective_until is not None:
            entry["effectiveUntil"] = self.effective_until.isoformat()
        if self.minimum_scoring_kappa is not None:
            entry["minimumScoringKappa"] = self.minimum_scoring_kappa
        return entry


@dataclass(frozen=True)
class ReciprocityAcceptance:
    """This registry accepts the recognitions of ``agency``'s registry; onward only if ``allow_chaining``."""

    agency: str
    allow_chaining: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"type": RECIPROCITY_TYPE, "agency": self.agency, "allowChaining": self.allow_chaining}


def _check_entry(entry: RecognizedAchievement) -> None:
    if not is_url(entry.achievement_issuer) or not is_url(entry.achievement_id):
        raise RegistryError("an entry's achievement issuer and achievement id must be URLs (a DID, an https URL)")
    try:
        parse_digest_multibase(entry.definition_digest)
    except DigestFormatError as exc:
        raise RegistryError(f"the definition digest of {entry.achievement_id} is unreadable: {exc}") from None
    if not entry.endorsement_areas or not all(isinstance(a, str) and a.strip() for a in entry.endorsement_areas):
        raise RegistryError(f"{entry.achievement_id}: name at least one endorsement area")
    credit = entry.credit
    if isinstance(credit, CountCredit):
        if isinstance(credit.count, bool) or isinstance(credit.required, bool) or not (
            0 < credit.count <= credit.required
        ):
            raise RegistryError(f"{entry.achievement_id}: a count credit needs 0 < count <= required")
    elif isinstance(credit.hours, bool) or not credit.hours > 0:
        raise RegistryError(f"{entry.achievement_id}: hours must be a positive number")
    if entry.effective_until is not None and entry.effective_until < entry.effective_from:
        raise RegistryError(f"{entry.achievement_id}: effectiveUntil is before effectiveFrom")
    kappa = entry.minimum_scoring_kappa
    if kappa is not None and (isinstance(kappa, bool) or not -1 <= kappa <= 1):
        raise RegistryError(f"{entry.achievement_id}: a minimum scoring kappa lies between -1 and 1")


def registry_credential(
    *,
    id: str,
    agency: str,
    agency_name: str | None = None,
    entries: Sequence[RecognizedAchievement],
    reciprocity: Sequence[ReciprocityAcceptance] = (),
    valid_from: datetime,
    valid_until: datetime | None = None,
    credential_status: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """An UNSIGNED recognition registry credential; sign it with ``data_integrity.sign_credential``.

    ``agency`` is the state agency's DID: both the issuer and the subject's ``agency``. ``credential_status``
    holds the status entries (``status_list.status_entry``) by which the agency can withdraw the registry.
    Raises ``RegistryError`` for a malformed entry; terms the context does not define are refused when the
    result is signed (safe-mode canonicalization).
    """
    if not is_url(id) or not is_url(agency):
        raise RegistryError("the registry's id and the agency's DID must be URLs")
    for entry in entries:
        _check_entry(entry)
    for acceptance in reciprocity:
        if not is_url(acceptance.agency) or acceptance.agency == agency:
            raise RegistryError("reciprocity names another agency by its DID")
    if valid_until is not None and valid_until <= valid_from:
        raise RegistryError("validUntil must be later than validFrom")
    # The quality context only when an entry needs its term: registries without a minimum stay as they were.
    needs_quality = any(e.minimum_scoring_kappa is not None for e in entries)
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, RECOGNITION_V1, *([QUALITY_V1] if needs_quality else [])],
        "id": id,
        "type": ["VerifiableCredential", REGISTRY_CREDENTIAL_TYPE],
        "issuer": {"id": agency, "name": agency_name} if agency_name else agency,
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    if credential_status:
        credential["credentialStatus"] = [dict(s) for s in credential_status]
    credential["credentialSubject"] = {
        "type": REGISTRY_SUBJECT_TYPE,
        "agency": agency,
        "recognizes": [e.to_json() for e in entries],
        "acceptsRegistriesOf": [a.to_json() for a in reciprocity],
    }
    check_members(credential)
    return credential


# --------------------------------------------------------------------------------------------------
# Verifying a registry
# --------------------------------------------------------------------------------------------------






def _issuer_name(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    name = issuer.get("name") if isinstance(issuer, Mapping) else None
    return name if isinstance(name, str) and name.strip() else None


@dataclass(frozen=True)
class RegistryVerification:
    """One registry as verified: whose it claims to be, whether it verified, and why not."""

    agency: str | None
    """The DID of the agency it is (or claims to be) the registry of."""
    verified: bool
    problems: tuple[str, ...]
    document: Mapping[str, Any]
    report: VerificationReport
    agency_name: str | None = None

    @property
    def label(self) -> str:
        return self.agency_name or self.agency or "an unnamed agency"


def verify_registry(
    document: Any,
    *,
    resolver: DidResolver,
    now: datetime,
    status_fetcher: StatusFetcher | None,
    expected_agency: str | None = None,
    canonicalizer: Canonicalizer | None = None,
    document_cache: DocumentCache | None = None,
) -> RegistryVerification:
    """Verify a recognition registry: ``verify`` (context, signature, validity, status), then its identity.

    The status must be *checked and clear*: a registry whose withdrawal cannot be ruled out is not
    verified. The issuer must be the agency the subject names, and ``expected_agency`` when given (the
    DID the caller trusts as that state). Never raises for a bad document. ``document_cache``: a verifier
    reads the same registry at every verification, so what depends on its exact bytes alone (canonical form,
    signature) may be remembered there (``verify``'s ``remember_document``); its status is read every time.
    """
    report = verify(document, resolver=resolver, now=now, status_fetcher=status_fetcher,
                    canonicalizer=canonicalizer, check_schema=False, document_cache=document_cache,
                    remember_document=True)
    credential = report.credential or {}
    subject = credential.get("credentialSubject")
    subject_agency = subject.get("agency") if isinstance(subject, Mapping) else None
    issuer = issuer_id(credential)
    claimed = expected_agency or (subject_agency if isinstance(subject_agency, str) else None) or issuer
    problems = [f"{c.code}: {c.message}" for c in report.failed()]
    status = report.check("status")
    if status is not None and status.outcome is Outcome.NOT_CHECKED:
        problems.append(f"status: could not be checked ({status.message})")
    if REGISTRY_CREDENTIAL_TYPE not in as_list(credential.get("type")) or not isinstance(subject, Mapping) or (
        REGISTRY_SUBJECT_TYPE not in as_list(subject.get("type"))
    ):
        problems.append("it is not a recognition registry")
    if issuer != claimed:
        problems.append(f"it is signed by {issuer}, not by the agency it speaks for ({claimed})")
    elif subject_agency != issuer:
        problems.append(f"its issuer {issuer} is not the agency it names ({subject_agency})")
    verified = report.verified and not problems
    return RegistryVerification(claimed, verified, tuple(problems), credential, report, _issuer_name(credential))


# --------------------------------------------------------------------------------------------------
# Evaluating recognition
# --------------------------------------------------------------------------------------------------


class RecognitionOutcome(str, Enum):
    RECOGNISED = "recognised"
    RECOGNISED_THROUGH_RECIPROCITY = "recognised_through_reciprocity"
    NOT_RECOGNISED = "not_recognised"
    NOT_CHECKED = "not_checked"
    """The state's registry is missing or did not verify: the question could not be answered."""


@dataclass(frozen=True)
class Reason:
    """Why an entry did not apply (or why the registry could not be used): a stable code and a sentence."""

    code: str
    """One of: ``not_listed``, ``digest_mismatch``, ``area_not_listed``, ``entry_expired``,
    ``entry_not_yet_effective``, ``entry_malformed``, ``scoring_agreement_unknown``,
    ``scoring_agreement_below_minimum``, ``registry_missing``, ``registry_not_verified``,
    ``registry_not_valid_on_date``, ``credential_unreadable``."""
    message: str
    agency: str | None = None


@dataclass(frozen=True)
class RecognitionMatch:
    """One way the credential counts: by which agency's entry, through which agencies, for which area."""

    agency: str
    agency_name: str | None
    via: tuple[str, ...]
    """The reciprocity path from the state asked about to ``agency``: empty when recognised directly."""
    endorsement_area: str
    credit: RenewalCredit
    effective_from: date
    effective_until: date | None

    def to_dict(self) -> dict[str, Any]:
        credit: dict[str, Any] = (
            {"kind": "count", "count": self.credit.count, "required": self.credit.required}
            if isinstance(self.credit, CountCredit) else {"kind": "hours", "hours": self.credit.hours}
        )
        return {
            "agency": self.agency, "agency_name": self.agency_name, "via": list(self.via),
            "endorsement_area": self.endorsement_area, "credit": credit,
            "effective_from": self.effective_from.isoformat(),
            "effective_until": self.effective_until.isoformat() if self.effective_until else None,
        }


@dataclass(frozen=True)
class RecognitionAnswer:
    """The answer for one state: its outcome, every way the credential counts, and the reasons it does not."""

    state: str
    state_name: str | None
    outcome: RecognitionOutcome
    matches: tuple[RecognitionMatch, ...] = ()
    reasons: tuple[Reason, ...] = ()
    messages: tuple[str, ...] = ()

    @property
    def recognised(self) -> bool:
        return self.outcome in (RecognitionOutcome.RECOGNISED, RecognitionOutcome.RECOGNISED_THROUGH_RECIPROCITY)

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state, "state_name": self.state_name, "outcome": self.outcome.value,
            "recognised": self.recognised, "messages": list(self.messages),
            "matches": [m.to_dict() for m in self.matches],
            "reasons": [{"code": r.code, "message": r.message, "agency": r.agency} for r in self.reasons],
        }


@dataclass(frozen=True)
class _Credential:
    issuer: str | None
    achievement_id: str | None
    digest: str | None
    digest_problem: str | None


def _read_credential(credential: Mapping[str, Any], canonicalizer: Canonicalizer) -> _Credential:
    issuer = issuer_id(credential)
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    achievement = subjects[0].get("achievement") if subjects else None
    if not isinstance(achievement, Mapping):
        return _Credential(issuer, None, None, "the credential names no achievement")
    achievement_id = achievement.get("id") if isinstance(achievement.get("id"), str) else None
    try:
        digest = definition_digest(achievement, contexts=as_list(credential.get("@context")),
                                   canonicalizer=canonicalizer)
    except CredentialError as exc:
        return _Credential(issuer, achievement_id, None, f"its achievement cannot be canonicalized: {exc}")
    return _Credential(issuer, achievement_id, digest, None)


def _digest_matches(recorded: Any, computed: str) -> bool:
    # Compare the decoded digests (one value can be spelled in base64url or base58btc).
    try:
        recorded_alg, recorded_raw = parse_digest_multibase(recorded)
        computed_alg, computed_raw = parse_digest_multibase(computed)
    except DigestFormatError:
        return False
    return recorded_alg == computed_alg and hmac.compare_digest(recorded_raw, computed_raw)


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_credit(value: Any) -> RenewalCredit | None:
    if not isinstance(value, Mapping):
        return None
    kind = value.get("type")
    count, required, hours = value.get("creditCount"), value.get("requiredCount"), value.get("creditHours")
    if kind == COUNT_CREDIT_TYPE and type(count) is int and type(required) is int:
        return CountCredit(count, required)
    if kind == HOURS_CREDIT_TYPE and isinstance(hours, (int, float)) and not isinstance(hours, bool):
        return HoursCredit(hours)
    return None


def _on_date(registry: RegistryVerification, on: date) -> str | None:
    """Why the registry itself is not in force on ``on``, or None."""
    start = parse_datetime(registry.document.get("validFrom"))
    end = parse_datetime(registry.document.get("validUntil"))
    if start is not None and on < start.date():
        return f"{registry.label}'s registry is valid only from {start.date().isoformat()}"
    if end is not None and on > end.date():
        return f"{registry.label}'s registry expired on {end.date().isoformat()}"
    return None


def _scoring_short(entry: Mapping[str, Any], who: str, agency: str, scoring_kappa: float | None) -> Reason | None:
    """Why the entry's minimum scoring agreement is not met (None when it has none or it is met)."""
    minimum = entry.get("minimumScoringKappa")
    if minimum is None:
        return None
    if isinstance(minimum, bool) or not isinstance(minimum, (int, float)):
        return Reason("entry_malformed", f"{who}'s entry for this achievement cannot be read", agency)
    if scoring_kappa is None:
        return Reason("scoring_agreement_unknown",
                      f"{who} requires a scoring agreement of at least κ = {minimum:.2f}, and no verified quality "
                      "statement of this micro-credential by its issuer gives one", agency)
    if scoring_kappa < minimum:
        return Reason("scoring_agreement_below_minimum",
                      f"{who} requires a scoring agreement of at least κ = {minimum:.2f}; the issuer's latest "
                      f"quality statement shows κ = {scoring_kappa:.2f}", agency)
    return None


def _entries_of(
    registry: RegistryVerification,
    held: _Credential,
    area: str | None,
    on: date,
    via: tuple[str, ...],
    reasons: list[Reason],
    scoring_kappa: float | None = None,
) -> list[RecognitionMatch]:
    subject = registry.document.get("credentialSubject")
    entries = as_list(subject.get("recognizes")) if isinstance(subject, Mapping) else []
    agency = registry.agency or ""
    matches: list[RecognitionMatch] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        if entry.get("achievementIssuer") != held.issuer or entry.get("achievementId") != held.achievement_id:
            continue
        who = registry.label
        if held.digest is None or not _digest_matches(entry.get("definitionDigest"), held.digest):
            reasons.append(Reason(
                "digest_mismatch",
                f"{who} recognises a different version of this achievement: the definition in the credential "
                "does not match the digest on the list", agency))
            continue
        areas = [a for a in as_list(entry.get("endorsementArea")) if isinstance(a, str)]
        wanted = [a for a in areas if area is None or a == area]
        if not wanted:
            reasons.append(Reason("area_not_listed",
                                  f"{who} recognises it only for {', '.join(areas) or 'no area'}, not for {area}",
                                  agency))
            continue
        start, end = _parse_date(entry.get("effectiveFrom")), _parse_date(entry.get("effectiveUntil"))
        credit = _parse_credit(entry.get("renewalCredit"))
        if start is None or credit is None or ("effectiveUntil" in entry and end is None):
            reasons.append(Reason("entry_malformed", f"{who}'s entry for this achievement cannot be read", agency))
            continue
        if on < start:
            reasons.append(Reason("entry_not_yet_effective",
                                  f"{who}'s recognition takes effect only on {start.isoformat()}", agency))
            continue
        if end is not None and on > end:
            reasons.append(Reason("entry_expired", f"{who}'s recognition expired on {end.isoformat()}", agency))
            continue
        short = _scoring_short(entry, who, agency, scoring_kappa)
        if short is not None:
            reasons.append(short)
            continue
        for name in wanted:
            matches.append(RecognitionMatch(agency, registry.agency_name, via, name, credit, start, end))
    return matches


def credits_by_area(registry: RegistryVerification) -> dict[str, list[RenewalCredit]]:
    """Each endorsement area the registry lists, with the renewal credit of each of its entries there
    (entries that cannot be read are left out). Empty for a registry that did not verify."""
    if not registry.verified:
        return {}
    subject = registry.document.get("credentialSubject")
    found: dict[str, list[RenewalCredit]] = {}
    for entry in as_list(subject.get("recognizes")) if isinstance(subject, Mapping) else []:
        credit = _parse_credit(entry.get("renewalCredit")) if isinstance(entry, Mapping) else None
        if credit is None:
            continue
        for area in as_list(entry.get("endorsementArea")):
            if isinstance(area, str):
                found.setdefault(area, []).append(credit)
    return found


def _acceptances(registry: RegistryVerification) -> list[tuple[str, bool]]:
    subject = registry.document.get("credentialSubject")
    found: list[tuple[str, bool]] = []
    for item in as_list(subject.get("acceptsRegistriesOf")) if isinstance(subject, Mapping) else []:
        if isinstance(item, Mapping) and isinstance(item.get("agency"), str):
            found.append((item["agency"], item.get("allowChaining") is True))
    return found


def _phrase(match: RecognitionMatch, state_label: str, names: Mapping[str, str]) -> str:
    until = f" to {match.effective_until.isoformat()}" if match.effective_until else ", with no end date"
    body = (f"for license renewal in {match.endorsement_area}: {match.credit.describe()}, "
            f"effective {match.effective_from.isoformat()}{until}")
    if not match.via:
        return f"Recognised by {state_label} {body}"
    # The agency whose list holds the entry, and (for a chain) the agencies it was reached through.
    source = names.get(match.via[-1], match.via[-1])
    between = ", ".join(names.get(a, a) for a in match.via[:-1])
    through = f" (by way of {between})" if between else ""
    return f"Recognised by {state_label} through reciprocity with {source}{through} {body}"


def evaluate_recognition(
    credential: Mapping[str, Any],
    *,
    state: str,
    registries: Iterable[RegistryVerification],
    on: date,
    endorsement_area: str | None = None,
    canonicalizer: Canonicalizer | None = None,
    registries_on: date | None = None,
    scoring_kappa: float | None = None,
) -> RecognitionAnswer:
    """Does ``credential`` (an OB AchievementCredential the caller has verified) count in ``state`` on ``on``?

    ``registries`` are results of ``verify_registry`` (the state's own and those reached by reciprocity);
    a registry that did not verify is never used. Reciprocity goes one step (the state's registry accepts
    another agency's) and further only where the accepting registry's entry says ``allowChaining``.

    Entries must be effective on ``on``; the registries themselves must be in force on ``registries_on``
    (default: ``on``). A renewal report asks about each entry at the credential's award date, but about the
    registry as the state publishes it today: a list published in 2026 still says what counted in 2025.

    ``scoring_kappa``: the weighted kappa of the newest quality statement of the credential's micro-credential
    that the caller verified (``vc.quality.verify_statement``; signed by the credential's issuer), for entries
    with a ``minimumScoringKappa``; None when there is none, and such entries then do not apply.
    """
    canon = canonicalizer or default_canonicalizer()
    by_agency: dict[str, RegistryVerification] = {}
    for registry in registries:
        if registry.agency is not None and (registry.agency not in by_agency or registry.verified):
            by_agency[registry.agency] = registry  # a verified copy wins over an unverified one
    names = {a: r.label for a, r in by_agency.items()}
    home = by_agency.get(state)
    state_name = home.agency_name if home is not None else None
    state_label = names.get(state, state)
    if home is None:
        reason = Reason("registry_missing", f"no registry of {state_label} was given", state)
        return RecognitionAnswer(state, None, RecognitionOutcome.NOT_CHECKED, reasons=(reason,),
                                 messages=(f"Could not check recognition by {state_label}: {reason.message}",))
    if not home.verified:
        reason = Reason("registry_not_verified",
                        f"{state_label}'s registry did not verify: {'; '.join(home.problems)}", state)
        return RecognitionAnswer(state, state_name, RecognitionOutcome.NOT_CHECKED, reasons=(reason,),
                                 messages=(f"Could not check recognition by {state_label}: {reason.message}",))

    held = _read_credential(credential, canon)
    reasons: list[Reason] = []
    if held.digest_problem:
        reasons.append(Reason("credential_unreadable", held.digest_problem))
    matches: list[RecognitionMatch] = []
    # Breadth first: the shortest reciprocity path wins, and every agency is visited once (no loops).
    queue: list[tuple[str, tuple[str, ...], bool]] = [(state, (), True)]
    visited = {state}
    while queue:
        agency, via, may_follow = queue.pop(0)
        found = by_agency.get(agency)
        if found is None or not found.verified:
            if found is None:
                reasons.append(Reason("registry_missing", f"no registry of {names.get(agency, agency)} was given",
                                      agency))
            else:
                reasons.append(Reason("registry_not_verified", f"{found.label}'s registry did not verify: "
                                      + "; ".join(found.problems), agency))
            continue
        registry = found
        not_in_force = _on_date(registry, registries_on or on)
        if not_in_force:
            reasons.append(Reason("registry_not_valid_on_date", not_in_force, agency))
            continue
        matches += _entries_of(registry, held, endorsement_area, on, via, reasons, scoring_kappa)
        if not may_follow:
            continue
        for other, chaining in _acceptances(registry):
            if other not in visited:
                visited.add(other)
                queue.append((other, (*via, other), chaining))

    if matches:
        direct = any(not m.via for m in matches)
        outcome = (RecognitionOutcome.RECOGNISED if direct
                   else RecognitionOutcome.RECOGNISED_THROUGH_RECIPROCITY)
        messages = tuple(_phrase(m, state_label, names) for m in matches)
        return RecognitionAnswer(state, state_name, outcome, tuple(matches), tuple(reasons), messages)
    area = f" for {endorsement_area}" if endorsement_area else ""
    if not any(r.code not in ("registry_missing",) for r in reasons):
        reasons.append(Reason("not_listed", f"the achievement is not on {state_label}'s list{area}", state))
    explained = [r.message for r in reasons if r.code != "not_listed"]
    message = f"Not on {state_label}'s list{area}" + (": " + "; ".join(explained) if explained else "")
    return RecognitionAnswer(state, state_name, RecognitionOutcome.NOT_RECOGNISED, (), tuple(reasons),
                             (message,))


__all__ = [
    "COUNT_CREDIT_TYPE",
    "ENTRY_TYPE",
    "HOURS_CREDIT_TYPE",
    "RECIPROCITY_TYPE",
    "REGISTRY_CREDENTIAL_TYPE",
    "REGISTRY_SUBJECT_TYPE",
    "CountCredit",
    "HoursCredit",
    "Reason",
    "RecognitionAnswer",
    "RecognitionMatch",
    "RecognitionOutcome",
    "ReciprocityAcceptance",
    "RecognizedAchievement",
    "RegistryError",
    "RegistryVerification",
    "RenewalCredit",
    "credits_by_area",
    "definition_digest",
    "evaluate_recognition",
    "registry_credential",
    "verify_registry",
]
