"""``POST /credentials/verify``: verify a credential and return the report (W3C VC API shape).

The request is ``{"verifiableCredential": <credential object, or a VC-JWT string>, "options": {...}}``.
A verified credential answers 200 with the report; one that is not verified answers 422 with a problem
detail carrying the same report, so a client that only looks at the status code cannot mistake a failed
verification for a success.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..vc.verify import Check, Outcome, VerificationReport, verify
from .deps import ServicesDep
from .problems import PROBLEM_TYPE_BASE, problem_response

__all__ = ["VerifyCredentialRequest", "problem_details", "router"]

# VC Data Model 2.0 §7.1 (Verification) problem types; checks without a counterpart get an mcbadge type.
_VCDM = "https://www.w3.org/TR/vc-data-model#"
_PROBLEM_TYPES = {
    "parse": _VCDM + "PARSING_ERROR",
    "context": _VCDM + "MALFORMED_VALUE_ERROR",
    "schema": _VCDM + "MALFORMED_VALUE_ERROR",
    "issuer_key": _VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR",
    "proof": _VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR",
}


class VerifyCredentialRequest(BaseModel):
    """A credential to verify: a JSON-LD credential, an EnvelopedVerifiableCredential, or a compact VC-JWT."""

    model_config = ConfigDict(extra="forbid")

    verifiableCredential: dict[str, Any] | str = Field(
        description="The credential: a JSON object (with its proof), or a compact VC-JWT string."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="VC API verification options; none changes the checks yet."
    )

    @field_validator("verifiableCredential", mode="before")
    @classmethod
    def _object_or_jwt(cls, value: Any) -> Any:
        # One readable message instead of one error per member of the union.
        if not isinstance(value, (dict, str)):
            raise ValueError("must be a credential (a JSON object) or a VC-JWT (a string)")
        return value


def _problem(check: Check) -> dict[str, Any]:
    return {
        "type": _PROBLEM_TYPES.get(check.code, f"{PROBLEM_TYPE_BASE}check:{check.code}"),
        "code": check.code,
        "title": f"{check.code} check failed" if check.outcome is Outcome.FAILED else f"{check.code} not checked",
        "detail": check.message,
    }


def problem_details(report: VerificationReport) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(errors, warnings) of a report as problem details: failed checks, and checks that could not be made."""
    errors = [_problem(c) for c in report.checks if c.outcome is Outcome.FAILED]
    warnings = [_problem(c) for c in report.checks if c.outcome is Outcome.NOT_CHECKED]
    return errors, warnings


router = APIRouter(tags=["verification"])


@router.post(
    "/credentials/verify",
    responses={
        200: {"description": "Verified: every check passed or could not apply"},
        400: {"description": "The body is not JSON", "content": {"application/problem+json": {}}},
        413: {"description": "The body is too large", "content": {"application/problem+json": {}}},
        422: {"description": "Not verified (the report says why), or the request is invalid",
              "content": {"application/problem+json": {}}},
    },
)
def verify_credential(body: VerifyCredentialRequest, services: ServicesDep) -> JSONResponse:
    """Verify a credential: proof, issuer key, context, schema, validity period, status, evidence, rubric.

    Issuers on this service are resolved locally; did:key offline. The verdict is in ``verified`` and each
    check is listed with a readable message.
    """
    # A plain (sync) route: canonicalization is CPU work, so FastAPI runs it in its thread pool.
    report = verify(body.verifiableCredential, resolver=services.resolver, now=datetime.now(timezone.utc))
    errors, warnings = problem_details(report)
    result = {**report.to_dict(), "problemDetails": errors, "warnings": warnings}
    if report.verified:
        return JSONResponse(result)
    return problem_response(422, "Credential not verified", report.summary,
                            PROBLEM_TYPE_BASE + "credential-not-verified", **result)
