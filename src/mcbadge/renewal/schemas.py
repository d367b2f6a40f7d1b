"""The renewal report's query and its JSON body (the CSV and the printed page show the same fields)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..vc.recognition import CountCredit, Reason, RecognitionMatch, RenewalCredit
from ..vc.renewal import REASON_CODES, RegistryStanding, RenewalLine, RenewalReport

__all__ = ["CreditRead", "EducatorRead", "ReasonRead", "RecognitionRead", "RegistryRead", "RenewalLineRead",
           "RenewalQuery", "RenewalReportRead", "TotalsRead"]


class RenewalQuery(BaseModel):
    """What the report is for: a state agency, an endorsement area and a renewal cycle (both days included)."""

    state: str = Field(description="The state agency's DID: one of MCBADGE_TRUSTED_STATES, or a state agency "
                                   "on this service.")
    area: str = Field(description="The endorsement area, as the state's registry names it.")
    start: date = Field(description="First day of the renewal cycle.")
    end: date = Field(description="Last day of the renewal cycle.")


class EducatorRead(BaseModel):
    id: uuid.UUID
    name: str
    license_number: str | None
    issuer_name: str = Field(description="The issuer (district, provider) whose educator this is.")


class RegistryRead(BaseModel):
    """A registry the answer rests on: the state's own first, then those it accepts by reciprocity."""

    agency: str
    agency_name: str | None
    state: Literal["verified", "withdrawn", "not_verified", "missing"]
    message: str
    registry_id: str | None

    @classmethod
    def of(cls, standing: RegistryStanding) -> RegistryRead:
        return cls(agency=standing.agency, agency_name=standing.agency_name, state=standing.state,
                   message=standing.message, registry_id=standing.registry_id)


class CreditRead(BaseModel):
    """What the credential adds: ``count`` of the ``required`` micro-credentials, or ``hours``."""

    kind: Literal["count", "hours"]
    count: int | None = None
    required: int | None = None
    hours: float | None = None
    text: str = Field(description="In words, e.g. 'counts 1 of the 3 micro-credentials required'.")

    @classmethod
    def of(cls, credit: RenewalCredit) -> CreditRead:
        if isinstance(credit, CountCredit):
            return cls(kind="count", count=credit.count, required=credit.required, text=credit.describe())
        return cls(kind="hours", hours=credit.hours, text=credit.describe())


class RecognitionRead(BaseModel):
    """The registry entry the credential counts by (or would count by, but for the reasons given)."""

    agency: str = Field(description="The agency whose list holds the entry.")
    agency_name: str | None
    via: list[str] = Field(description="The reciprocity path from the state asked about: empty when direct.")
    effective_from: date
    effective_until: date | None
    credit: CreditRead

    @classmethod
    def of(cls, match: RecognitionMatch) -> RecognitionRead:
        return cls(agency=match.agency, agency_name=match.agency_name, via=list(match.via),
                   effective_from=match.effective_from, effective_until=match.effective_until,
                   credit=CreditRead.of(match.credit))


class ReasonRead(BaseModel):
    code: str = Field(description="A stable code, one of: " + ", ".join(REASON_CODES) + ".")
    message: str
    agency: str | None = None

    @classmethod
    def of(cls, reason: Reason) -> ReasonRead:
        return cls(code=reason.code, message=reason.message, agency=reason.agency)


class RenewalLineRead(BaseModel):
    """One of the educator's credentials: whether it counts, and why not."""

    reference: str = Field(description="The credential's id (or where it was found).")
    source: Literal["awarded", "added"] = Field(description="Awarded by this service, or added by the educator.")
    credential_id: str | None
    achievement_id: str | None
    achievement_name: str | None
    issuer: str | None = Field(description="The issuer's DID.")
    issuer_name: str | None
    awarded_on: date | None
    verified: bool = Field(description="Whether the credential verified now (signature, validity, status...).")
    counts: bool
    recognition: RecognitionRead | None
    reasons: list[ReasonRead] = Field(description="Why it does not count; empty when it counts.")
    verification_url: str | None = Field(description="Where anyone can check the credential.")

    @classmethod
    def of(cls, line: RenewalLine) -> RenewalLineRead:
        return cls(reference=line.reference, source=line.source, credential_id=line.credential_id,
                   achievement_id=line.achievement_id, achievement_name=line.achievement_name, issuer=line.issuer,
                   issuer_name=line.issuer_name, awarded_on=line.awarded_on, verified=line.verified,
                   counts=line.counts, recognition=RecognitionRead.of(line.match) if line.match else None,
                   reasons=[ReasonRead.of(r) for r in line.reasons], verification_url=line.verification_url)


class TotalsRead(BaseModel):
    micro_credentials_counted: int
    micro_credentials_required: int | None = Field(description="None when the state's list counts hours only.")
    requirement_met: bool | None = Field(description="Whether k of n is reached; None when there is no count.")
    hours_counted: float
    counts_hours: bool = Field(description="Whether the lists count hours for the area (they name no number of "
                                           "hours required: that is the licensing office's to state).")


class RenewalReportRead(BaseModel):
    """Which of the educator's credentials count toward license renewal in a state, for an endorsement area
    and a renewal cycle; which do not and why; and the total against the requirement."""

    educator: EducatorRead
    state: str
    state_name: str | None
    endorsement_area: str
    cycle_start: date
    cycle_end: date
    checked_at: datetime = Field(description="When the credentials and registries were verified.")
    summary: str
    registries: list[RegistryRead]
    totals: TotalsRead
    credentials: list[RenewalLineRead] = Field(description="Those that count first, then the others.")
    verify_page: str = Field(description="Where anyone can check a credential file by hand.")

    @classmethod
    def of(cls, report: RenewalReport, *, educator: EducatorRead, checked_at: datetime,
           verify_page: str) -> RenewalReportRead:
        totals = report.totals
        return cls(
            educator=educator, state=report.state, state_name=report.state_name,
            endorsement_area=report.endorsement_area, cycle_start=report.cycle_start, cycle_end=report.cycle_end,
            checked_at=checked_at, summary=report.summary,
            registries=[RegistryRead.of(s) for s in report.registries],
            totals=TotalsRead(micro_credentials_counted=totals.counted, micro_credentials_required=totals.required,
                              requirement_met=totals.met, hours_counted=totals.hours,
                              counts_hours=totals.counts_hours),
            credentials=[RenewalLineRead.of(line) for line in report.lines], verify_page=verify_page,
        )
