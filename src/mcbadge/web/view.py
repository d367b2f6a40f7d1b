"""What the pages show of a verification report and of the files a verifier brought — never templates' logic.

The credential's own content is read by ``verification.reading`` (one reading for the pages and the API).
Nothing from the credential is loaded by the browser (no images): a verifier's page must not phone home to
whoever wrote the credential.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..vc.verify import Outcome, VerificationReport
from ..verification.reading import When

__all__ = [
    "CHECK_NAMES",
    "CheckRow",
    "ComponentOutcome",
    "EvidenceFileRow",
    "ReportView",
    "evidence_file_rows",
    "report_view",
]

CHECK_NAMES: dict[str, str] = {
    "parse": "Readable credential",
    "context": "Vocabulary",
    "schema": "Open Badges format",
    "issuer_key": "Issuer's key",
    "proof": "Signature",
    "validity": "Dates valid",
    "status": "Not revoked",
    "evidence_digest": "Evidence matches",
    "rubric": "Rubric met",
    "components": "Component credentials",
    "recipient": "Issued to this person",
    "badge_class": "Badge and issuer",
    "hosted": "Hosted by the issuer",
}
"""Plain-language names of the library's check codes, in the words a person reading the page expects."""

_OUTCOMES: dict[Outcome, tuple[str, str, str]] = {
    # outcome -> (css modifier, symbol, words for screen readers and for anyone who cannot tell colours apart)
    Outcome.PASSED: ("passed", "\u2713", "Passed"),
    Outcome.FAILED: ("failed", "\u2717", "Failed"),
    Outcome.NOT_CHECKED: ("unchecked", "\u2013", "Could not be checked"),
}


# -- the report ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRow:
    code: str
    name: str
    state: str  # passed | failed | unchecked (css modifier)
    symbol: str
    label: str
    message: str


@dataclass(frozen=True)
class ComponentOutcome:
    state: str  # passed | failed | unchecked (css modifier)
    symbol: str
    label: str
    message: str


@dataclass(frozen=True)
class ReportView:
    verified: bool
    headline: str
    summary: str
    state: str  # passed | failed
    checks: tuple[CheckRow, ...]
    checked_at: When
    components: Mapping[str, ComponentOutcome]
    """A designation's components by id: what the ``components`` check found for each (empty otherwise)."""
    assurance: str | None = None
    """What the verdict rests on, when it is not a signature alone (a hosted Open Badges 2.0 badge)."""


def _component_outcomes(report: VerificationReport) -> dict[str, ComponentOutcome]:
    check = report.check("components")
    found: dict[str, ComponentOutcome] = {}
    for item in (check.details.get("components") or []) if check is not None else []:
        try:
            state, symbol, label = _OUTCOMES[Outcome(item["outcome"])]
        except (KeyError, ValueError, TypeError):
            continue
        message = str(item.get("message") or "")
        found[str(item.get("id"))] = ComponentOutcome(state, symbol, label, message[:1].upper() + message[1:])
    return found


def report_view(report: VerificationReport, now: datetime) -> ReportView:
    """The report as a checklist: one row per check, in the order the library ran them."""
    rows = []
    for check in report.checks:
        state, symbol, label = _OUTCOMES[check.outcome]
        message = check.message[:1].upper() + check.message[1:] if check.message else ""
        rows.append(CheckRow(check.code, CHECK_NAMES.get(check.code, check.code.replace("_", " ").capitalize()),
                             state, symbol, label, message))
    failed = [r for r in rows if r.state == "failed"]
    # Evidence nobody gave files for was not compared: said so, apart from checks that could not be made.
    awaiting = {c.code for c in report.checks if c.details.get("awaiting_files")}
    unchecked = [r for r in rows if r.state == "unchecked" and r.code not in awaiting]
    if report.verified:
        headline = "Verified"
        summary = "Every check passed." if not unchecked else (
            f"Every check that could be made passed; {len(unchecked)} could not be checked: "
            + ", ".join(r.name for r in unchecked) + ".")
        if awaiting:
            summary += " The evidence files were not compared: give the files to compare them."
    else:
        status = report.check("status")
        others = [r.name for r in failed if r.code != "status"]
        if status is not None and status.outcome is Outcome.FAILED and status.details.get("purpose"):
            headline = "Revoked" if status.details.get("purpose") == "revocation" else "Suspended"
            summary = status.message[:1].upper() + status.message[1:] + "."
            if others:
                summary += " Also failed: " + ", ".join(others) + "."
        elif (validity := report.check("validity")) is not None and validity.outcome is Outcome.FAILED \
                and validity.message.startswith("expired on "):
            # Expired is a plain fact an employer needs first, not a fault: the credential stays visible.
            headline = "Expired"
            summary = validity.message[:1].upper() + validity.message[1:] + "; what it records is shown below."
            if len(failed) > 1:
                summary += " Also failed: " + ", ".join(r.name for r in failed if r.code != "validity") + "."
        else:
            headline = "Not verified"
            summary = ("Failed: " + ", ".join(r.name for r in failed) + ".") if failed else "The signature was not checked."
    now_text = now.astimezone(timezone.utc)
    return ReportView(
        verified=report.verified,
        headline=headline,
        summary=summary,
        state="passed" if report.verified else "failed",
        checks=tuple(rows),
        checked_at=When(iso=now_text.isoformat(timespec="seconds"), text=f"{now_text:%Y-%m-%d %H:%M} UTC"),
        components=_component_outcomes(report),
        assurance=report.assurance,
    )


# -- evidence files a verifier brought -------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceFileRow:
    filename: str
    size: int | None  # None when only the digest came (and the size was not said)
    sha256: str
    matches: tuple[str, ...]  # names of the evidence items this file is
    digest_only: bool = False  # hashed in the verifier's browser: the file never left their computer


def evidence_file_rows(results: Iterable[Mapping[str, Any]]) -> tuple[EvidenceFileRow, ...]:
    """Rows for the files a verifier brought, from ``verification.service.evidence_file_results`` (which
    hashed each file and matched it against the credential's digests): none matched means not this badge's."""
    return tuple(
        EvidenceFileRow(
            filename=result["name"],
            size=result.get("size"),
            sha256=result["sha256"],
            matches=tuple(item.get("name") or item.get("id") or "evidence" for item in result["evidence"]),
            digest_only=result.get("sent") == "digest",
        )
        for result in results
    )
