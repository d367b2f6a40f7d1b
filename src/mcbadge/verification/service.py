"""Verifying what was given with this service's resolver, status lists and context policy, and the answer.

:func:`verify_given` is the one way the API and the pages verify: issuers on this service resolved from
the keystore, did:key offline, other did:web issuers and status lists through the guarded outbound client
(cached), this service's status lists from the database, contexts by ``MCBADGE_EXTRA_CONTEXTS``; a
designation's components from what was presented with it, else (issued here) from the database; assessor
qualifications an award cites, with the date of any revocation, from the database (issued here).
:func:`verification_result` adds the JSON answer of ``POST /verify`` and ``POST /credentials/verify``: the
library's report, what the credential says in plain fields, one line per evidence file, and the checks as
problem details.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Any

from ..errors import PROBLEM_TYPE_BASE
from ..identity import issuer_did
from ..qualifications.service import own_qualification
from ..quality.labels import quality_label
from ..recognition.service import recognition_for_report
from ..services import Services
from ..outbound import FetchFailed
from ..vc import ob2
from ..vc.recipient import recipient_check
from ..vc.components import MAX_COMPONENTS, component_entries
from ..vc.endorsements import embedded_endorsements
from ..vc.verify import Check, Outcome, VerificationReport, verify
from .inputs import EvidenceFile, GivenCredential, from_url, own_component, own_components
from .reading import credential_summary

__all__ = [
    "evidence_file_results",
    "problem_details",
    "quality_answer",
    "verification_result",
    "verifies_locally",
    "verify_given",
]

# VC Data Model 2.0 §7.1 (Verification) problem types; checks without a counterpart get an mcbadge type.
_VCDM = "https://www.w3.org/TR/vc-data-model#"
_PROBLEM_TYPES = {
    "parse": _VCDM + "PARSING_ERROR",
    "context": _VCDM + "MALFORMED_VALUE_ERROR",
    "schema": _VCDM + "MALFORMED_VALUE_ERROR",
    "issuer_key": _VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR",
    "proof": _VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR",
}


def verify_given(
    services: Services, given: GivenCredential, evidence_files: Sequence[EvidenceFile] = (),
    *, now: datetime | None = None, recipient: str | None = None,
) -> tuple[GivenCredential, VerificationReport]:
    """Verify what was given (fetching a URL through the guarded client first): (what was verified, report).

    ``recipient``: an identifier the verifier typed (e-mail, URL, telephone, DID), compared with the credential's
    recipient in a ``recipient`` check (``vc.recipient``). An Open Badges 2.0 assertion is verified by ``vc.ob2``.

    Raises an input error (``verification.inputs``) for a URL that gives no credential. Blocking: call it
    from a worker thread.
    """
    if given.source == "url" and given.value is None:
        assert given.url is not None
        given = replace(from_url(services, given.url), components=given.components)

    # Components issued here are read from the database (never a request to itself), a designation's all in
    # one query; any other one must be presented with the designation, else it "could not be checked".
    named = component_entries(given.value) if isinstance(given.value, Mapping) else []
    stored = own_components(services, [e["id"] for e in named if isinstance(e.get("id"), str)]
                            ) if 0 < len(named) <= MAX_COMPONENTS else {}

    def fetch_component(credential_id: str) -> Any:
        found = stored.get(credential_id)
        return found if found is not None else own_component(services, credential_id)  # nested, or why not

    if ob2.is_ob2(given.value):
        # An Open Badges 2.0 assertion (hosted, signed, or the URL an OB 2.0 badge image holds): its documents
        # come through the guarded client, and its report has the same shape (vc.ob2).
        report = ob2.verify_assertion(given.value, fetch=lambda url: _ob2_document(services, url),
                                      now=now or datetime.now(timezone.utc), recipient=recipient)
        services.metrics.verified(report)
        return given, report
    report = verify(given.value, resolver=services.resolver, status_fetcher=services.status_fetcher,
                    status_list_cache=services.status_list_cache,
                    now=now or datetime.now(timezone.utc), evidence_files=list(evidence_files),
                    canonicalizer=services.contexts.canonicalizer_for(given.value),
                    presented_components=given.components, component_fetcher=fetch_component,
                    document_cache=services.document_cache,
                    qualification_fetcher=lambda url: own_qualification(services, url))
    if recipient and isinstance(report.credential, Mapping):
        report = replace(report, checks=(*report.checks, recipient_check(report.credential, recipient)))
    services.metrics.verified(report)
    return given, report


OB2_DOCUMENT_MAX_BYTES = 1024 * 1024
"""Largest Open Badges 2.0 document (assertion, badge class, issuer profile, key, revocation list) fetched."""


def _ob2_document(services: Services, url: str) -> Any:
    """An Open Badges 2.0 document through the guarded client (https, public addresses, size and time limits);
    ``ob2.Gone`` when the server answers 410 (a revoked hosted assertion)."""
    try:
        return services.outbound.fetch_json(url, max_bytes=OB2_DOCUMENT_MAX_BYTES)
    except FetchFailed as exc:
        if exc.status == 410:
            raise ob2.Gone(str(exc)) from None
        raise


def verifies_locally(services: Services, given: GivenCredential) -> bool:
    """Whether verifying ``given`` needs nothing but memory and one indexed ``SELECT`` per status entry.

    True for a JSON credential (not a designation) whose issuer and proof keys are did:key or this service's own issuers, and
    whose status lists are this service's own, with the current revision already in memory, on the
    embedded database. Verifying such a credential is CPU work that never waits on the network, a lock or
    a write, so a route may run it on the event loop rather than pay a hop to the thread pool and back
    (bench/bench_verify_http.py measures the request either way). Anything else — another site's issuer
    or status list, a URL, a VC-JWT, a list that changed since it was last read — must go to the thread
    pool. So does everything on PostgreSQL: its reads cross a connection that can stall (a restart, a
    network fault), and a stalled event loop would stop every request, /health included; PostgreSQL
    deployments scale with worker processes instead.
    """
    document = given.value
    if given.source != "json" or not isinstance(document, Mapping) or not services.own_status_lists.embedded:
        return False
    if given.components or component_entries(document):
        return False  # a designation: its components are read and verified too, whoever issued them
    if embedded_endorsements(document):
        return False  # so are endorsements, whoever issued them (their keys and status lists may be elsewhere)
    own_prefix = issuer_did(services.settings.public_base_url, "x")[:-1]  # did:web:<host>:issuers:

    def local_did(value: Any) -> bool:
        return isinstance(value, str) and (value.startswith("did:key:") or value.startswith(own_prefix))

    issuer = document.get("issuer")
    if not local_did(issuer.get("id") if isinstance(issuer, Mapping) else issuer):
        return False
    proofs = document.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if not isinstance(proof, Mapping) or not local_did(proof.get("verificationMethod")):
            return False
    entries = document.get("credentialStatus")
    for entry in entries if isinstance(entries, list) else [] if entries is None else [entries]:
        url = entry.get("statusListCredential") if isinstance(entry, Mapping) else None
        if not isinstance(url, str) or not services.own_status_lists.is_current(url):
            return False
    return True


def _problem(check: Check) -> dict[str, Any]:
    return {
        "type": _PROBLEM_TYPES.get(check.code, f"{PROBLEM_TYPE_BASE}check:{check.code}"),
        "code": check.code,
        "title": f"{check.code} check failed" if check.outcome is Outcome.FAILED else f"{check.code} not checked",
        "detail": check.message,
    }


def problem_details(report: VerificationReport) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(errors, warnings) of a report as problem details: failed checks; checks that could not be made, and
    passed checks with a warning (``details["warnings"]``: a qualification revoked after the assessment)."""
    errors = [_problem(c) for c in report.checks if c.outcome is Outcome.FAILED]
    # Evidence digests no file was given for are "not checked", but nothing is wrong: not a warning.
    warnings = [_problem(c) for c in report.checks
                if c.outcome is Outcome.NOT_CHECKED and not c.details.get("awaiting_files")]
    warnings += [{"type": f"{PROBLEM_TYPE_BASE}check:{c.code}", "code": c.code, "title": f"{c.code} warning",
                  "detail": str(w)}
                 for c in report.checks if c.outcome is Outcome.PASSED for w in c.details.get("warnings", ())]
    return errors, warnings


def evidence_file_results(
    document: Mapping[str, Any] | None, files: list[EvidenceFile], *, credential_verified: bool
) -> list[dict[str, Any]]:
    """One verdict per evidence file, by its name: is it the file the assessor scored (by the signed digest),
    or not? A file that matches nothing is a verdict on that file, never on the credential."""
    results: list[dict[str, Any]] = []
    for file in files:
        hits = file.matches(document) if isinstance(document, Mapping) else []
        names = [h.evidence_name or h.evidence_id for h in hits]
        if not hits:
            message = (f"{file.name} is not the evidence the assessor scored: its digest matches none the "
                       "credential records")
        elif credential_verified:
            message = (f"{file.name} is the evidence the assessor scored: it matches the signed digest of "
                       + ", ".join(f"\u201c{n}\u201d" for n in names))
        else:
            message = (f"{file.name} matches the digest recorded for " + ", ".join(f"\u201c{n}\u201d" for n in names)
                       + ", but the credential is not verified, so the match proves nothing")
        result: dict[str, Any] = {
            "name": file.name,
            "sha256": file.sha256.hex(),
            # Only the digest came when the verifier's browser hashed the file: the file never left their computer.
            "sent": "file" if file.data is not None else "digest",
            "matched": bool(hits),
            "evidence": [{k: v for k, v in (("id", h.evidence_id), ("name", h.evidence_name)) if v is not None}
                         for h in hits],
            "message": message,
        }
        if file.size is not None:
            result["size"] = file.size
        results.append(result)
    return results


def quality_answer(services: Services, report: VerificationReport, *, now: datetime | None = None
                   ) -> dict[str, Any] | None:
    """The ``quality`` member of an answer (``quality.labels``). Blocking: it reads the database."""
    label = quality_label(services, report, now=now)
    return label.to_dict() if label is not None else None


def verification_result(
    services: Services, given: GivenCredential, evidence_files: Sequence[EvidenceFile] = (),
    *, now: datetime | None = None, state: str | None = None, on: date | None = None, area: str | None = None,
    recipient: str | None = None, quality: bool = True,
) -> tuple[VerificationReport, dict[str, Any]]:
    """Verify what was given (fetching a URL through the guarded client first) and build the answer.

    Returns the library's report and the JSON answer: ``report.to_dict()``, ``source``, the readable
    ``credential`` summary, per-file ``evidenceFiles`` lines, the checks as ``problemDetails`` / ``warnings``,
    and ``document`` (the credential as read) when it came from an image or a URL. Raises an input error
    (``verification.inputs``) for a URL that gives no credential. Blocking: call it from a worker thread.
    ``recognition`` answers, for each trusted state (or only ``state``) on ``on``, whether the credential
    counts for license renewal (in any endorsement area, or only ``area``; ``recognition.service``).
    ``quality``: "scored by a qualified assessor" and the newest quality statement of the credential's
    micro-credential that verifies (``quality.labels``), or null; left out with ``quality=False`` (it reads the
    database: the caller on the event loop answers it with :func:`quality_answer` in a worker thread).
    """
    given, report = verify_given(services, given, evidence_files, now=now, recipient=recipient)
    errors, warnings = problem_details(report)
    result: dict[str, Any] = {
        **report.to_dict(),
        "source": given.source,
        "credential": credential_summary(report.credential),
        "evidenceFiles": evidence_file_results(report.credential, list(evidence_files),
                                               credential_verified=report.verified),
        "problemDetails": errors,
        "warnings": warnings,
        "recognition": recognition_for_report(services, report, state=state, on=on, now=now,
                                              endorsement_area=area),
    }
    if quality:
        result["quality"] = quality_answer(services, report, now=now)
    if given.url is not None:
        result["url"] = given.url
    if given.source in ("png", "svg", "url"):
        result["document"] = report.credential
    return report, result
