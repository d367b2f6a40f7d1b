"""Scoring quality statements: an issuer's signed figures of how consistently one micro-credential is scored.

A plain VC 2.0 credential of type ``ScoringQualityStatement`` (not an Open Badges credential, on purpose: OB 3.0
has an ``AchievementCredential``, which says that a *person* achieved something, and an
``EndorsementCredential``, a party's approval of an entity, which OB displays show as "endorsed by"; a statement
of an issuer's own scoring figures is neither, and shown as an endorsement it would read as self-praise). Its
terms are defined by mcbadge's own pinned context ``QUALITY_V1`` (https://w3id.org/mcbadge/quality/v1, served
by this service at ``/contexts/quality/v1``); signing is in safe mode, so an undefined term fails to sign.

* ``issuer`` is the micro-credential's issuer; ``validFrom`` when it was issued. A statement is about a period
  that has ended, so it does not expire: it is re-issued for the next period, and the newest one is shown.
* ``credentialSubject`` (type ``ScoringQuality``) has as ``id`` the micro-credential across its versions
  (``.../issuers/{slug}/microcredentials/{key}``, what ``vc.qualification.microcredential_key_url`` makes of an
  award's Achievement id), its ``name``, the period (``periodStart``, ``periodEnd``: dates, both included), and
  the figures: ``assessorsQualified`` (holding a qualification at some time in the period),
  ``decisions``, ``doubleScored``, ``doubleScoringRate``, overall ``exactAgreement``, ``adjacentAgreement`` and
  ``weightedKappa`` (Cohen's, quadratic weights, on the two independent scores of double-scored submissions),
  ``medianTurnaroundDays`` with ``serviceLevelDays`` and ``withinServiceLevel``, and per criterion a
  ``CriterionAgreement`` (``criterion`` key, ``name``, the agreement figures and ``notYetRate``).
* A figure whose cell had fewer submissions than ``minimumCellSize`` is left out, and its name listed in
  ``withheld`` (for a criterion: on the criterion): the statement never carries a figure from a small cell.
  Shares and kappa are rounded to three decimals, days to one.

Pure: ``statement_credential`` builds the unsigned document, ``verify_statement`` verifies one (signature,
validity, type, and whose micro-credential it speaks for), ``agreement_phrase`` words its headline figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .canon import Canonicalizer
from .contexts import CREDENTIALS_V2, QUALITY_V1
from .data_integrity import format_datetime
from .data_model import check_members, is_url
from .dids import DidResolver
from .errors import CredentialError
from .json_values import as_list, issuer_id
from .verify import DocumentCache, StatusFetcher, VerificationReport, verify

__all__ = [
    "CriterionFigures",
    "STATEMENT_TYPE",
    "SUBJECT_TYPE",
    "StatementError",
    "StatementFigures",
    "StatementVerification",
    "agreement_phrase",
    "statement_credential",
    "verify_statement",
]

STATEMENT_TYPE = "ScoringQualityStatement"
SUBJECT_TYPE = "ScoringQuality"
CRITERION_TYPE = "CriterionAgreement"


class StatementError(CredentialError, ValueError):
    """A statement that must not be built: a malformed member."""


@dataclass(frozen=True)
class CriterionFigures:
    """One criterion's published figures; None for a figure withheld (its cell was below the minimum) or, for
    kappa, undefined."""

    criterion: str
    name: str
    exact_agreement: float | None = None
    adjacent_agreement: float | None = None
    weighted_kappa: float | None = None
    not_yet_rate: float | None = None


@dataclass(frozen=True)
class StatementFigures:
    """What a statement says about one micro-credential over a period (None: withheld)."""

    microcredential: str
    """The micro-credential across its versions (a URL)."""
    name: str
    period_start: date
    period_end: date
    """The last day covered."""
    minimum_cell_size: int
    assessors_qualified: int
    decisions: int | None = None
    double_scored: int | None = None
    double_scoring_rate: float | None = None
    exact_agreement: float | None = None
    adjacent_agreement: float | None = None
    weighted_kappa: float | None = None
    median_turnaround_days: float | None = None
    service_level_days: int | None = None
    within_service_level: float | None = None
    criteria: Sequence[CriterionFigures] = field(default_factory=tuple)


def _share(value: float) -> float:
    return round(value, 3)


def _put(target: dict[str, Any], withheld: list[str], name: str, value: float | int | None,
         rounding: Any = None) -> None:
    if value is None:
        withheld.append(name)
    else:
        target[name] = rounding(value) if rounding is not None else value


def _criterion(figures: CriterionFigures) -> dict[str, Any]:
    out: dict[str, Any] = {"type": CRITERION_TYPE, "criterion": figures.criterion, "name": figures.name}
    withheld: list[str] = []
    _put(out, withheld, "exactAgreement", figures.exact_agreement, _share)
    _put(out, withheld, "adjacentAgreement", figures.adjacent_agreement, _share)
    _put(out, withheld, "weightedKappa", figures.weighted_kappa, _share)
    _put(out, withheld, "notYetRate", figures.not_yet_rate, _share)
    if withheld:
        out["withheld"] = withheld
    return out


def statement_credential(*, id: str, issuer: str, issuer_name: str | None, figures: StatementFigures,
                         valid_from: datetime, credential_status: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An UNSIGNED quality statement; sign it with ``data_integrity.sign_credential``. ``credential_status``:
    its entry in the issuer's revocation list, so that the issuer can withdraw it. Raises ``StatementError`` for
    a malformed member."""
    if not is_url(id) or not is_url(issuer) or not is_url(figures.microcredential):
        raise StatementError("the statement's id, its issuer and the micro-credential must be URLs")
    if figures.period_end < figures.period_start:
        raise StatementError("the period ends before it starts")
    subject: dict[str, Any] = {
        "id": figures.microcredential,
        "type": SUBJECT_TYPE,
        "name": figures.name,
        "periodStart": figures.period_start.isoformat(),
        "periodEnd": figures.period_end.isoformat(),
        "minimumCellSize": figures.minimum_cell_size,
        "assessorsQualified": figures.assessors_qualified,
    }
    withheld: list[str] = []
    _put(subject, withheld, "decisions", figures.decisions)
    _put(subject, withheld, "doubleScored", figures.double_scored)
    _put(subject, withheld, "doubleScoringRate", figures.double_scoring_rate, _share)
    _put(subject, withheld, "exactAgreement", figures.exact_agreement, _share)
    _put(subject, withheld, "adjacentAgreement", figures.adjacent_agreement, _share)
    _put(subject, withheld, "weightedKappa", figures.weighted_kappa, _share)
    _put(subject, withheld, "medianTurnaroundDays", figures.median_turnaround_days, lambda d: round(d, 1))
    if figures.service_level_days is not None:
        subject["serviceLevelDays"] = figures.service_level_days
    _put(subject, withheld, "withinServiceLevel", figures.within_service_level, _share)
    subject["criterionAgreement"] = [_criterion(c) for c in figures.criteria]
    if withheld:
        subject["withheld"] = withheld
    period = f"{figures.period_start.isoformat()} to {figures.period_end.isoformat()}"
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, QUALITY_V1],
        "id": id,
        "type": ["VerifiableCredential", STATEMENT_TYPE],
        "name": f"Scoring quality of {figures.name}, {period}",
        "description": (
            "The issuer's figures of how consistently this micro-credential was scored: agreement between two "
            "assessors who scored the same submission independently (exact, within one level, and Cohen's "
            "weighted kappa with quadratic weights), the share of decisions double-scored, not-yet rates, and "
            "turnaround from submission to decision. Figures from fewer than minimumCellSize submissions are "
            "withheld."),
        "issuer": {"id": issuer, "name": issuer_name} if issuer_name else issuer,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": subject,
    }
    if credential_status is not None:
        credential["credentialStatus"] = dict(credential_status)
    check_members(credential)
    return credential


@dataclass(frozen=True)
class StatementVerification:
    """One statement as verified: whose micro-credential it speaks for, whether it holds, and why not."""

    verified: bool
    problems: tuple[str, ...]
    document: Mapping[str, Any]
    report: VerificationReport

    @property
    def subject(self) -> Mapping[str, Any]:
        subjects = [s for s in as_list(self.document.get("credentialSubject")) if isinstance(s, Mapping)]
        return subjects[0] if subjects else {}


def verify_statement(
    document: Any,
    *,
    resolver: DidResolver,
    now: datetime,
    microcredential: str,
    expected_issuer: str,
    status_fetcher: StatusFetcher | None = None,
    canonicalizer: Canonicalizer | None = None,
    document_cache: DocumentCache | None = None,
) -> StatementVerification:
    """Whether ``document`` is a quality statement about ``microcredential`` signed by ``expected_issuer`` (the
    issuer of the credential it is shown beside) that verifies now. Never raises for a bad document."""
    report = verify(document, resolver=resolver, now=now, status_fetcher=status_fetcher, canonicalizer=canonicalizer,
                    check_schema=False, document_cache=document_cache, remember_document=True)
    credential = report.credential or {}
    problems = [f"{c.code}: {c.message}" for c in report.failed()]
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    if STATEMENT_TYPE not in as_list(credential.get("type")) or len(subjects) != 1 or (
        SUBJECT_TYPE not in as_list(subjects[0].get("type"))
    ):
        problems.append("it is not a scoring quality statement")
    elif subjects[0].get("id") != microcredential:
        problems.append(f"it is about {subjects[0].get('id')!r}, not {microcredential}")
    if issuer_id(credential) != expected_issuer:
        problems.append(f"it is signed by {issuer_id(credential)}, not by the issuer {expected_issuer}")
    return StatementVerification(report.verified and not problems, tuple(problems), credential, report)


def agreement_phrase(subject: Mapping[str, Any]) -> str:
    """The statement's headline in words: "scoring agreement 2026-01-01 to 2026-03-31: κ = 0.78 (quadratic
    weighted, 40 double-scored submissions)", or that it was withheld."""
    period = f"{subject.get('periodStart')} to {subject.get('periodEnd')}"
    kappa = subject.get("weightedKappa")
    if isinstance(kappa, (int, float)) and not isinstance(kappa, bool):
        count = subject.get("doubleScored")
        basis = f", {count} double-scored submissions" if isinstance(count, int) else ""
        return f"scoring agreement {period}: κ = {kappa:.2f} (Cohen's, quadratic weights{basis})"
    return f"scoring agreement {period}: withheld (fewer than {subject.get('minimumCellSize')} double-scored " \
           "submissions, or no disagreement to measure)"
