"""Renewal reports: which of an educator's credentials count toward license renewal in a state, for one
endorsement area and one renewal cycle, which do not and why, and the total against the requirement.

Pure, like the rest of ``vc``: the caller gathers the educator's credentials, verifies each one
(``verify.verify``) and the state's registries (``recognition.verify_registry``), and passes the results.
:func:`renewal_report` decides, credential by credential:

1. it verifies now (signature, issuer key, validity, status...): a revoked, suspended, expired or tampered
   credential does not count, nor one whose status could not be checked;
2. it was issued to the educator: a credential the educator *added* (another issuer's) counts only if one
   of its subject's e-mail identities is theirs (``identity_hash.issued_to``); a credential *awarded* here
   was chosen by the database, which knows whose it is;
3. it was awarded within the cycle (``awardedDate``, else ``validFrom`` / ``issuanceDate``; the date as
   written in the credential), both ends included;
4. the state recognises its exact achievement version for the area by an entry effective on the award
   date (``recognition.evaluate_recognition``: directly or through reciprocity), the registries being in
   force on the day of the report;
5. no other credential for the same achievement was counted already: an achievement counts once (the
   earliest award in the cycle is the one counted).

Totals: the micro-credentials counted against the number required ("k of n": the ``requiredCount`` of
the state's own entries for the area, the largest if they differ, else that of the registries it
accepts), and the hours counted. A registry names no number of hours required, so for hours the report
gives the total and says that the requirement is the licensing office's to state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from .canon import Canonicalizer
from .data_integrity import parse_datetime
from .identity_hash import issued_to
from .json_values import as_list, issuer_id
from .recognition import (
    CountCredit,
    HoursCredit,
    Reason,
    RecognitionMatch,
    RegistryVerification,
    RenewalCredit,
    credits_by_area,
    evaluate_recognition,
)
from .verify import Outcome, VerificationReport

Source = Literal["awarded", "added"]
"""Where the credential comes from: ``awarded`` by this service, or ``added`` by the educator to their record."""

RegistryState = Literal["verified", "withdrawn", "not_verified", "missing"]

REASON_CODES: tuple[str, ...] = (
    "not_verified", "revoked", "suspended", "expired", "status_unknown", "components_unchecked",
    "not_issued_to_educator", "no_award_date", "outside_cycle", "already_counted", "registry_withdrawn",
    # from recognition.evaluate_recognition:
    "not_listed", "digest_mismatch", "area_not_listed", "entry_expired", "entry_not_yet_effective",
    "entry_malformed", "registry_missing", "registry_not_verified", "registry_not_valid_on_date",
    "credential_unreadable",
)
"""Every code a line's reasons may carry: a stable vocabulary for programs reading the report."""


@dataclass(frozen=True)
class HeldCredential:
    """One of the educator's credentials, as the caller found it and with its verification report."""

    report: VerificationReport
    source: Source
    reference: str
    """How the caller names it, also when it cannot be read (its id or URL)."""
    verification_url: str | None = None
    """Where anyone can check it (its public page); None when there is none to give."""
    scoring_kappa: float | None = None
    """The weighted kappa of the newest verified quality statement of its micro-credential (``vc.quality``), for
    registry entries that require a minimum scoring agreement; None when there is none."""


@dataclass(frozen=True)
class RenewalLine:
    """One credential in the report: what it is, whether it counts, by which entry, and why not."""

    reference: str
    source: Source
    credential_id: str | None
    achievement_id: str | None
    achievement_name: str | None
    issuer: str | None
    issuer_name: str | None
    awarded_on: date | None
    verified: bool
    counts: bool
    match: RecognitionMatch | None
    """The entry it counts by; for a line that does not count, the entry it would count by (if any)."""
    reasons: tuple[Reason, ...]
    """Why it does not count (empty when it counts)."""
    verification_url: str | None

    @property
    def credit(self) -> RenewalCredit | None:
        """What it adds to the total: None unless it counts."""
        return self.match.credit if self.counts and self.match is not None else None


@dataclass(frozen=True)
class RegistryStanding:
    """A registry the answer rests on: the state's own first, then those it accepts by reciprocity."""

    agency: str
    agency_name: str | None
    state: RegistryState
    message: str
    registry_id: str | None


@dataclass(frozen=True)
class RenewalTotals:
    """The total against the requirement: micro-credentials (k of n) and hours."""

    counted: int
    """Micro-credentials counted (the sum of the count credits of the lines that count)."""
    required: int | None
    """Micro-credentials the state requires for the area; None when its list counts none (hours only)."""
    hours: float
    """Hours of professional learning counted."""
    counts_hours: bool
    """Whether the lists count hours for the area (they name no number of hours required)."""

    @property
    def met(self) -> bool | None:
        """Whether the k-of-n requirement is met; None when there is none to meet."""
        return None if self.required is None else self.counted >= self.required


@dataclass(frozen=True)
class RenewalReport:
    """The renewal report for one educator, state, endorsement area and cycle."""

    state: str
    state_name: str | None
    endorsement_area: str
    cycle_start: date
    cycle_end: date
    checked_on: date
    """The day the credentials and registries were verified."""
    registries: tuple[RegistryStanding, ...]
    lines: tuple[RenewalLine, ...]
    totals: RenewalTotals
    areas_listed: tuple[str, ...]
    """Every endorsement area the verified registries list (a caller can tell an unknown area from these)."""

    @property
    def state_label(self) -> str:
        return self.state_name or self.state

    @property
    def checkable(self) -> bool:
        """Whether the state's own registry verified: otherwise nothing can count."""
        return bool(self.registries) and self.registries[0].state == "verified"

    @property
    def summary(self) -> str:
        """The outcome in one sentence, as the printed report states it."""
        if not self.checkable:
            return f"Nothing can be counted: {self.registries[0].message}." if self.registries else "Nothing can be counted."
        totals = self.totals
        parts: list[str] = []
        if totals.required is not None:
            noun = "micro-credential" if totals.required == 1 else "micro-credentials"
            verdict = "requirement met" if totals.met else "requirement not met"
            parts.append(f"{totals.counted} of the {totals.required} {noun} required ({verdict})")
        if totals.counts_hours or totals.hours:
            parts.append(f"{totals.hours:g} hour{'s' if totals.hours != 1 else ''} of professional learning "
                         "(the list names no number of hours required)")
        counted = sum(1 for line in self.lines if line.counts)
        head = (f"{counted} credential{'s' if counted != 1 else ''} count{'s' if counted == 1 else ''} toward "
                f"renewal in {self.endorsement_area} with {self.state_label} for the cycle "
                f"{self.cycle_start.isoformat()} to {self.cycle_end.isoformat()}")
        return head + (": " + "; ".join(parts) if parts else "") + "."


# -- reading a credential ------------------------------------------------------------------------------------


def _achievement(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    achievement = subjects[0].get("achievement") if subjects else None
    return achievement if isinstance(achievement, Mapping) else {}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def award_date(credential: Mapping[str, Any]) -> date | None:
    """The day the credential was awarded: OB ``awardedDate``, else ``validFrom`` (VC 2.0) or
    ``issuanceDate`` (VC 1.1); the calendar date as written (in the issuer's own offset), which is the date
    printed on the badge."""
    for name in ("awardedDate", "validFrom", "issuanceDate"):
        moment = parse_datetime(credential.get(name))
        if moment is not None:
            return moment.date()
    return None


def _expired(credential: Mapping[str, Any], now: datetime) -> bool:
    end = parse_datetime(credential.get("validUntil")) or parse_datetime(credential.get("expirationDate"))
    return end is not None and end < now


# -- the rules -----------------------------------------------------------------------------------------------


def _verification_reasons(held: HeldCredential, now: datetime) -> list[Reason]:
    """Why the credential cannot count as verified (empty when it verified and its status was checked)."""
    report, credential = held.report, held.report.credential or {}
    reasons: list[Reason] = []
    others: list[str] = []
    for check in report.checks:
        if check.outcome is Outcome.FAILED and check.code == "status":
            purpose = check.details.get("purpose")
            if purpose in ("revocation", "suspension"):
                word = "revoked" if purpose == "revocation" else "suspended"
                reasons.append(Reason(word, f"its issuer has {word} it"))
            else:
                others.append(f"status: {check.message}")
        elif check.outcome is Outcome.FAILED and check.code == "validity" and _expired(credential, now):
            reasons.append(Reason("expired", f"it has expired: {check.message}"))
        elif check.outcome is Outcome.FAILED:
            others.append(f"{check.code}: {check.message}")
        elif check.outcome is Outcome.NOT_CHECKED and check.code == "status" and as_list(
                credential.get("credentialStatus")):
            # A credential without a status entry cannot be revoked; one with entries must have been checked.
            reasons.append(Reason("status_unknown", f"whether it was revoked could not be checked: {check.message}"))
        elif check.outcome is Outcome.NOT_CHECKED and check.code == "components":
            reasons.append(Reason("components_unchecked",
                                  f"the credentials it rests on could not all be checked: {check.message}"))
    if others or (not report.verified and not reasons):
        detail = "; ".join(others) if others else report.summary
        reasons.insert(0, Reason("not_verified", f"it does not verify ({detail})"))
    return reasons


def _preferred(matches: Sequence[RecognitionMatch]) -> RecognitionMatch | None:
    """The entry a credential counts by: the state's own list before reciprocity, then the list's order."""
    return min(matches, key=lambda m: len(m.via)) if matches else None


def _registry_standings(state: str, registries: Sequence[RegistryVerification]) -> tuple[RegistryStanding, ...]:
    by_agency: dict[str, RegistryVerification] = {}
    for given in registries:
        if given.agency is not None and (given.agency not in by_agency or given.verified):
            by_agency[given.agency] = given  # a verified copy wins over an unverified one
    order = [state] + [a for a in by_agency if a != state]
    standings: list[RegistryStanding] = []
    for agency in order:
        registry = by_agency.get(agency)
        if registry is None:
            standings.append(RegistryStanding(agency, None, "missing", f"no registry of {agency} was found", None))
            continue
        document_id = registry.document.get("id") if isinstance(registry.document.get("id"), str) else None
        status = registry.report.check("status")
        if registry.verified:
            standings.append(RegistryStanding(
                agency, registry.agency_name, "verified",
                f"{registry.label}'s registry verified: signature, validity and status (not withdrawn)",
                document_id))
        elif status is not None and status.outcome is Outcome.FAILED and status.details.get("purpose") == "revocation":
            standings.append(RegistryStanding(agency, registry.agency_name, "withdrawn",
                                              f"{registry.label} has withdrawn its registry", document_id))
        else:
            standings.append(RegistryStanding(
                agency, registry.agency_name, "not_verified",
                f"{registry.label}'s registry did not verify: {'; '.join(registry.problems)}", document_id))
    return tuple(standings)


def _requirement(state: str, registries: Sequence[RegistryVerification], area: str) -> tuple[int | None, bool]:
    """(micro-credentials required for the area, whether hours count there): the state's own list first."""
    own = [r for r in registries if r.agency == state and r.verified]
    others = [r for r in registries if r.agency != state and r.verified]
    counts_hours = False
    for group in (own, others):
        credits = [c for r in group for c in credits_by_area(r).get(area, [])]
        counts_hours = counts_hours or any(isinstance(c, HoursCredit) for c in credits)
        required = [c.required for c in credits if isinstance(c, CountCredit)]
        if required:
            return max(required), counts_hours
    return None, counts_hours


def _line(
    held: HeldCredential,
    *,
    state: str,
    registries: Sequence[RegistryVerification],
    standings: Mapping[str, RegistryStanding],
    area: str,
    cycle: tuple[date, date],
    educator_email: str | None,
    now: datetime,
    canonicalizer_for: Callable[[Any], Canonicalizer] | None,
) -> RenewalLine:
    credential = held.report.credential
    reasons = _verification_reasons(held, now)
    document: Mapping[str, Any] = credential or {}
    achievement = _achievement(document)
    awarded_on = award_date(document) if credential is not None else None
    if credential is not None and held.source == "added" and not (
            educator_email and issued_to(credential, educator_email)):
        reasons.append(Reason("not_issued_to_educator",
                              "it was not issued to this educator: none of its subject's identifiers is their "
                              "e-mail address"))
    start, end = cycle
    if credential is not None and awarded_on is None:
        reasons.append(Reason("no_award_date", "it states no date of award"))
    elif awarded_on is not None and not start <= awarded_on <= end:
        reasons.append(Reason("outside_cycle", f"it was awarded on {awarded_on.isoformat()}, outside the renewal "
                                               f"cycle {start.isoformat()} to {end.isoformat()}"))
    match: RecognitionMatch | None = None
    if credential is not None and awarded_on is not None:
        answer = evaluate_recognition(
            credential, state=state, registries=registries, on=awarded_on, endorsement_area=area,
            canonicalizer=canonicalizer_for(credential) if canonicalizer_for else None, registries_on=now.date(),
            scoring_kappa=held.scoring_kappa)
        match = _preferred(answer.matches)
        if match is None:
            for reason in answer.reasons:
                standing = standings.get(reason.agency or "")
                if reason.code == "registry_not_verified" and standing is not None and standing.state == "withdrawn":
                    reason = Reason("registry_withdrawn", standing.message, reason.agency)
                reasons.append(reason)
    return RenewalLine(
        reference=held.reference, source=held.source,
        credential_id=document.get("id") if isinstance(document.get("id"), str) else None,
        achievement_id=achievement.get("id") if isinstance(achievement.get("id"), str) else None,
        achievement_name=_text(achievement.get("name")),
        issuer=issuer_id(document) if credential is not None else None,
        issuer_name=_text(document["issuer"].get("name")) if isinstance(document.get("issuer"), Mapping) else None,
        awarded_on=awarded_on, verified=held.report.verified, counts=match is not None and not reasons,
        match=match, reasons=tuple(reasons), verification_url=held.verification_url,
    )


def _count_once(lines: list[RenewalLine]) -> list[RenewalLine]:
    """An achievement counts once: of the lines that would count for the same (issuer, achievement), the
    earliest award counts and the others say which credential was counted instead."""
    first: dict[tuple[str | None, str | None], RenewalLine] = {}
    for line in sorted((line for line in lines if line.counts), key=lambda line: (line.awarded_on, line.reference)):
        first.setdefault((line.issuer, line.achievement_id), line)
    result = []
    for line in lines:
        counted = first.get((line.issuer, line.achievement_id))
        if line.counts and counted is not None and counted is not line:
            line = replace(line, counts=False, reasons=(Reason(
                "already_counted", f"the same achievement is already counted by {counted.reference}"),))
        result.append(line)
    return result


def renewal_report(
    held: Iterable[HeldCredential],
    *,
    state: str,
    endorsement_area: str,
    cycle_start: date,
    cycle_end: date,
    registries: Sequence[RegistryVerification],
    educator_email: str | None,
    now: datetime,
    canonicalizer_for: Callable[[Any], Canonicalizer] | None = None,
) -> RenewalReport:
    """Decide which of ``held`` count toward renewal in ``state`` for ``endorsement_area`` in the cycle.

    ``registries`` are ``verify_registry`` results: the state's own and those its reciprocity reaches.
    ``educator_email`` is the address credentials the educator added must be issued to. ``now`` is when the
    credentials and registries were verified (an aware datetime). ``canonicalizer_for(credential)`` picks
    the canonicalizer that reads a credential's achievement (default: the pinned contexts only).
    Raises ``ValueError`` only for a cycle that ends before it starts (the caller's mistake).
    """
    if cycle_end < cycle_start:
        raise ValueError("the renewal cycle ends before it starts")
    standings = _registry_standings(state, registries)
    by_agency = {s.agency: s for s in standings}
    lines = [_line(h, state=state, registries=registries, standings=by_agency, area=endorsement_area,
                   cycle=(cycle_start, cycle_end), educator_email=educator_email, now=now,
                   canonicalizer_for=canonicalizer_for) for h in held]
    lines = _count_once(lines)
    lines.sort(key=lambda line: (not line.counts, line.awarded_on or date.max, line.reference))
    counted = sum(c.count for line in lines if isinstance(c := line.credit, CountCredit))
    hours = float(sum(c.hours for line in lines if isinstance(c := line.credit, HoursCredit)))
    required, counts_hours = _requirement(state, registries, endorsement_area)
    areas = sorted({area for r in registries for area in credits_by_area(r)})
    home = standings[0]
    return RenewalReport(
        state=state, state_name=home.agency_name, endorsement_area=endorsement_area, cycle_start=cycle_start,
        cycle_end=cycle_end, checked_on=now.date(), registries=standings, lines=tuple(lines),
        totals=RenewalTotals(counted, required, hours, counts_hours), areas_listed=tuple(areas),
    )


__all__ = [
    "REASON_CODES",
    "HeldCredential",
    "RegistryStanding",
    "RenewalLine",
    "RenewalReport",
    "RenewalTotals",
    "award_date",
    "renewal_report",
]
