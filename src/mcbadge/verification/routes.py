"""Verification over HTTP: ``POST /verify`` (any input) and ``POST /credentials/verify`` (W3C VC API shape).

``POST /credentials/verify``
    The W3C VC API request ``{"verifiableCredential": <credential object, or a VC-JWT string>, "options":
    {...}}``. A verified credential answers 200 with the report; one that is not verified answers 422 with a
    problem detail carrying the same report, so a client that only looks at the status code cannot mistake
    a failed verification for a success (unchanged VC API behaviour). The answer's ``recognition`` (does it
    count for license renewal?) covers every trusted state, any area, today; mcbadge's namespaced option
    ``options.recognition = {"state": <agency DID>, "date": "YYYY-MM-DD", "area": <endorsement area>}``
    narrows it (an untrusted state: 422 ``untrusted-state``).

``POST /verify``
    mcbadge's own endpoint, for people and integrators: whatever they hold, one request. The query
    parameters ``state``, ``date`` and ``area`` narrow the ``recognition`` answer as ``options.recognition``
    does above.

    ====================================  ===============================================================
    ``Content-Type``                      body
    ====================================  ===============================================================
    ``application/json`` (``ld+json``…)   the credential itself (JSON-LD, or an
                                          ``EnvelopedVerifiableCredential``), a JSON string holding a
                                          VC-JWT, ``{"verifiableCredential": ...}``, or ``{"url": "https://..."}``
    ``application/jwt``, ``vc+jwt``,      a compact VC-JWT (``text/plain`` may also hold JSON text)
    ``text/plain``
    ``image/png``, ``image/svg+xml``      a baked badge image (Open Badges 3.0 baking, ``mcbadge.vc.baking``)
    ``multipart/form-data``               a ``credential`` field (a file: JSON, JWT, PNG or SVG, told apart by
                                          content; or pasted text), or a ``url`` field; any number of
                                          ``evidence`` files; and, for a designation, its component
                                          credentials as repeated ``component`` fields (files or text) (a
                                          form without files may also be sent as
                                          ``application/x-www-form-urlencoded``)
    ``application/json``                  a Verifiable Presentation, as it is or as
                                          ``{"verifiablePresentation": ...}``: its ``verifiableCredential``
                                          list holds the credential to verify **first**, then its components
                                          (the presentation's own proof is not checked)
    ====================================  ===============================================================

    A designation names its component credentials (``relatedResource`` digests); the report's ``components``
    check verifies each one (signature, status, validity) and compares its digest. Components issued by this
    service are read from its database; any other must be given with the designation (``component`` fields,
    or the presentation), else it "could not be checked" (never "passed"). A revoked, tampered or expired
    component, or one whose digest differs, fails the check, and the message names it.

    A verification that ran is a successful request: **200 whether or not the credential is verified**; the
    verdict is ``verified`` and each check says what passed, failed or could not be checked. (A person
    pasting a revoked badge asked a question and got an answer; an error status would tell their browser or
    script that the question itself was wrong.) Only input that is not a credential at all gets a 4xx
    problem detail: 400 unreadable (malformed JSON, malformed PNG/SVG, a bad form), 413 too large, 415 an
    unsupported content type or image format, 422 readable but not a credential (no baked credential in the
    image, a JSON object that is not a credential, a URL the outbound guard refuses); 502 when a URL's site
    fails to answer.

    Evidence files are hashed and compared with the digests the signed credential records for its evidence;
    instead of a file, its SHA-256 digest may be sent (``evidence_sha256`` fields: what the verification page's
    script sends, so that the file never leaves the verifier's computer). Each file gets its own verdict, by its
    name ("lesson.mp4 is the evidence the assessor scored: ...", or "other.mp4 is not the evidence the assessor
    scored"); a file that matches nothing is a verdict on that file, not on the credential. Without files the
    ``evidence_digest`` check is "not checked: give the files to compare".

    A ``recipient`` form field (the candidate's e-mail address, web address, telephone number or DID) adds a
    ``recipient`` check: compared with the credential's hashed (or plain) identity, never shown back.

    Open Badges 2.0 assertions (hosted or signed, as JSON, a JWS, a URL or a baked PNG/SVG) are verified as such
    (``vc.ob2``; their badge class, issuer profile, key and revocation list fetched through the guarded client),
    with an ``assurance`` member saying what the verdict rests on (a hosted badge: the issuer's web server).

    Body size: ``/verify`` (and the page's ``/verify/report``) may carry evidence files, so they get
    ``max_verify_bytes`` (32 MiB by default) instead of ``max_body_bytes``; the route also counts what it
    reads. Larger evidence (a long classroom video) is checked with ``mcbadge verify`` or the library.

What was given is read by ``mcbadge.verification.inputs`` and verified by ``mcbadge.verification.service``,
the same code the verification page uses; this module adds HTTP: content types, forms, body limits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from ..api.client_limits import TooManyVerifications
from ..api.deps import ServicesDep
from ..api.input_checks import is_json, json_body
from ..api.problems import problem_response, responses
from ..credentials.service import CredentialNotFound
from ..errors import PROBLEM_TYPE_BASE, BodyTooLarge, Unreadable
from ..limits import (
    ON_LOOP_VERIFY_BYTES,
    DuplicateJsonMember,
    LimitExceeded,
    UnencodableText,
    check_credential,
    parse_off_loop,
)
from ..recognition.service import UntrustedState, check_state, wants_recognition
from ..services import Services
from ..vc.verify import Outcome, VerificationReport
from . import inputs
from .form import InvalidForm, MalformedForm, limited_stream, media_type, read_form
from .inputs import EvidenceFile, GivenCredential
from .service import quality_answer, verification_result, verifies_locally

__all__ = ["VerifyCredentialRequest", "router"]

_JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json", "application/vc")
_TEXT_TYPES = ("application/jwt", "application/vc+jwt", "application/vc-ld+jwt", "text/plain")
_IMAGE_TYPES = {"image/png": "png", "image/svg+xml": "svg"}


# -- problems ------------------------------------------------------------------------------------------


class NotText(Unreadable):
    """A body sent as text that is not UTF-8."""

    code = None  # about:blank, as before: the 400 and the sentence say it all


# -- what was given ------------------------------------------------------------------------------------


async def _read_body(request: Request, limit: int) -> bytes:
    return b"".join([chunk async for chunk in limited_stream(request, limit)])


async def _read_form(request: Request, limit: int) -> tuple[GivenCredential, list[EvidenceFile], str | None]:
    """A ``multipart/form-data`` (files) or ``application/x-www-form-urlencoded`` (pasted text, a URL) form:
    the credential, the evidence files (or their digests) and the recipient identifier typed, if any."""
    form = await read_form(request, limit, credential_fields=("credential",), url_field="url", only_known=True,
                           component_field="component")
    if form.given != 1:
        raise InvalidForm("give exactly one credential: a 'credential' field (a file or pasted text) "
                          "or a 'url' field")
    credential = await run_in_threadpool(form.credential)  # parsing a large file must not hold the event loop
    return replace(credential, components=tuple(c.value for c in form.components)), form.evidence, form.recipient


async def _verification_result(
    services: Services, given: GivenCredential, files: Sequence[EvidenceFile] = (),
    state: str | None = None, on: datetime.date | None = None, area: str | None = None,
    *, size: int | None = None, recipient: str | None = None,
) -> tuple[VerificationReport, dict[str, Any]]:
    """``size``: the bytes of JSON the credential came as (None: unknown, never verified on the event loop)."""
    if (size is not None and size <= ON_LOOP_VERIFY_BYTES and state is None and on is None and area is None
            and not files and recipient is None and not wants_recognition(services)
            and verifies_locally(services, given)):
        # This service's own credential, its keys and lists in memory, and small (so within the limits, the
        # work is bounded to a few milliseconds): CPU only, never waiting on another site or a lock, so it runs
        # here and skips the hop to the thread pool and back (see verifies_locally; bench/bench_verify_http.py
        # measures the whole request). The quality label reads the database (on SQLite a transaction waits for
        # the write lock), so it alone goes to the thread pool.
        report, result = verification_result(services, given, quality=False)
        result["quality"] = await run_in_threadpool(quality_answer, services, report)
        return report, result
    # Another site may have to answer (a DID document, a status list, a URL), or files must be hashed.
    # Recognition reads the states' registries (the database, or another site).
    return await run_in_threadpool(verification_result, services, given, files, state=state, on=on, area=area,
                                   recipient=recipient)


# -- routes --------------------------------------------------------------------------------------------


_COMPACT_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


class RecognitionOptions(BaseModel):
    """mcbadge's own verification option: which state's recognition to answer, on which day, for which
    endorsement area. Namespaced under ``options.recognition`` so it cannot clash with the VC API's options."""

    model_config = ConfigDict(extra="forbid")

    state: str | None = Field(default=None, min_length=1, max_length=500, description=(
        "Answer recognition for this state agency only (its DID; one of MCBADGE_TRUSTED_STATES). Default: every "
        "trusted state."))
    date: datetime.date | None = Field(default=None, description="The day recognition is answered for (default: "
                                                                 "today).")
    area: str | None = Field(default=None, min_length=1, max_length=500, description=(
        "Only this endorsement area (as the registries name it). Default: any area."))


class VerifyOptions(BaseModel):
    """``options`` of ``POST /credentials/verify``. The VC API's own options are accepted and do not change the
    checks; ``recognition`` is mcbadge's."""

    model_config = ConfigDict(extra="allow")

    recognition: RecognitionOptions | None = Field(default=None, description=(
        "Which state's recognition for license renewal the answer's `recognition` member gives."))


class VerifyCredentialRequest(BaseModel):
    """A credential to verify: a JSON-LD credential, an EnvelopedVerifiableCredential, or a compact VC-JWT."""

    model_config = ConfigDict(extra="forbid")

    verifiableCredential: dict[str, Any] | str = Field(
        description="The credential: a JSON object (with its proof), or a compact VC-JWT string."
    )
    options: VerifyOptions = Field(
        default_factory=VerifyOptions, description=(
            "VC API verification options; none changes the checks. `recognition` (mcbadge's, namespaced) picks "
            "the state, day and endorsement area of the recognition answer.")
    )

    @field_validator("verifiableCredential", mode="before")
    @classmethod
    def _object_or_jwt(cls, value: Any) -> Any:
        # One readable message instead of one error per member of the union.
        if not isinstance(value, (dict, str)):
            raise ValueError("must be a credential (a JSON object) or a VC-JWT (a string)")
        # Data Integrity: a secured document that is not a map is an error (PARSING_ERROR), so a credential
        # sent as JSON text inside a string is refused rather than parsed.
        if isinstance(value, str) and not _COMPACT_JWT.match(value.strip()):
            raise ValueError("a string must be a compact VC-JWT; send a JSON-LD credential as an object, not as text")
        return value


router = APIRouter(tags=["verification"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@router.post(
    "/credentials/verify",
    responses={
        200: {"description": "Verified: every check passed or could not apply"},
        **responses(inputs.MalformedJson, DuplicateJsonMember, BodyTooLarge, LimitExceeded, UnencodableText,
                    TooManyVerifications, public=True),
        422: {"description": "Not verified (the report says why), an untrusted `options.recognition.state`, or "
                             "the request is invalid", **_PROBLEM},
    },
)
async def verify_credential(body: VerifyCredentialRequest, request: Request, services: ServicesDep) -> JSONResponse:
    """Verify a credential: proof, issuer key, context, schema, validity period, status, evidence, rubric.

    Issuers on this service are resolved locally, did:key offline, other did:web issuers and status lists
    through the guarded outbound client (https only, public addresses only, size and time limits); the
    status check says how old the status information is. The verdict is in ``verified`` and each
    check is listed with a readable message.

    ``recognition`` says whether the credential counts for license renewal with each state this service
    trusts; ``options.recognition`` (``state``, ``date``, ``area``) narrows the question.
    """
    wanted = body.options.recognition or RecognitionOptions()
    check_state(services, wanted.state)  # before verifying: a question this service cannot answer
    # Exactly the credential: no unwrapping, no {"url": ...} to fetch (that is /verify's convenience).
    value = body.verifiableCredential
    check_credential(value, at="/verifiableCredential")
    given = GivenCredential(value, "jwt" if isinstance(value, str) else "json", label="verifiableCredential")
    report, result = await _verification_result(services, given, state=wanted.state, on=wanted.date,
                                                area=wanted.area, size=len(await request.body()))
    if report.verified:
        return JSONResponse(result)
    return problem_response(422, "Credential not verified", report.summary,
                            PROBLEM_TYPE_BASE + "credential-not-verified", **result)


_VERIFY_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"oneOf": [
            {"type": "object", "description": "A credential (JSON-LD, or an EnvelopedVerifiableCredential)"},
            {"type": "string", "description": "A compact VC-JWT"},
            {"type": "object", "properties": {"url": {"type": "string", "format": "uri"}}, "required": ["url"]},
            {"type": "object", "description": "A Verifiable Presentation (or {\"verifiablePresentation\": ...}) "
                                              "whose verifiableCredential list holds the credential to verify "
                                              "first, then its components",
             "properties": {"verifiablePresentation": {"type": "object"},
                            "verifiableCredential": {"type": "array", "items": {}}}},
        ]}},
        "application/jwt": {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/svg+xml": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "credential": {"type": "string", "format": "binary",
                           "description": "A credential file (JSON, JWT, baked PNG or SVG) or pasted text"},
            "url": {"type": "string", "format": "uri"},
            "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "evidence_sha256": {"type": "array", "items": {"type": "string"}, "description": (
                "Instead of an evidence file, its SHA-256 digest (64 hex digits, or {\"name\", \"sha256\", "
                "\"size\"} as JSON): the file never leaves the verifier's computer")},
            "recipient": {"type": "string", "maxLength": 320, "description": (
                "The candidate's e-mail address (or web address, telephone number or DID), compared with the "
                "credential's (hashed) recipient in a `recipient` check; never shown back")},
            "component": {"type": "array", "items": {"type": "string", "format": "binary"},
                          "description": "A designation's component credentials (files or text), repeated"},
        }}},
    },
}


@router.post(
    "/verify",
    openapi_extra={"requestBody": _VERIFY_BODY},
    responses={
        200: {"description": "The verification ran: the verdict is in `verified`, each check in `checks`"},
        **responses(inputs.MalformedJson, DuplicateJsonMember, LimitExceeded, UnencodableText, TooManyVerifications,
                    inputs.MalformedImage, inputs.EmptyInput, MalformedForm, NotText,
                    BodyTooLarge, inputs.ImageTooLarge, inputs.UnsupportedInput, inputs.NotACredential,
                    inputs.UrlRefused, InvalidForm, CredentialNotFound, inputs.UrlFetchFailed, UntrustedState,
                    public=True),
    },
)
async def verify_anything(
    request: Request, services: ServicesDep,
    state: Annotated[str | None, Query(max_length=500, description="Answer recognition for this state agency "
                                       "(its DID; one of MCBADGE_TRUSTED_STATES) only.")] = None,
    on: Annotated[datetime.date | None, Query(alias="date", description="The day recognition is answered for "
                                              "(default: today).")] = None,
    area: Annotated[str | None, Query(min_length=1, max_length=500, description="Answer recognition for this "
                                      "endorsement area only (as the registries name it).")] = None,
) -> JSONResponse:
    """Verify a credential given as JSON, a VC-JWT, a baked PNG or SVG badge, a URL, or a Verifiable
    Presentation; optionally compare evidence files with the digests the credential records, and give a
    designation's component credentials (``component`` form fields, or the presentation's later entries).

    Answers 200 with the report whether or not the credential is verified: ``verified``, ``summary``, every
    check with a readable message, the credential's content in plain fields (issuer, achievement, earner,
    dates, per-criterion rubric results) and one line per evidence file. Only input that is not a
    credential is an error (4xx problem details).
    """
    check_state(services, state)  # before reading the body: a question this service cannot answer
    limit = services.settings.max_verify_bytes
    media = media_type(request)
    files: list[EvidenceFile] = []
    recipient: str | None = None
    size: int | None = None  # the bytes of JSON the credential came as, when it came as JSON
    # Reading is parsing: input larger than limits.ON_LOOP_BYTES is read in the thread pool.
    if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        given, files, recipient = await _read_form(request, limit)
    elif media in _IMAGE_TYPES:
        body = await _read_body(request, limit)
        given = await parse_off_loop(len(body), inputs.from_image, body, _IMAGE_TYPES[media], "the body")
    elif media in _JSON_TYPES or is_json(media):
        value = await json_body(request)  # read and checked once (api.input_checks)
        size = len(await request.body())
        given = await parse_off_loop(size, inputs.from_json, value, "the body")
    elif media in _TEXT_TYPES:
        body = await _read_body(request, limit)
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise NotText("the body is not UTF-8 text") from None
        size = len(body)
        given = await parse_off_loop(size, inputs.from_text, text, "the body")
    else:
        raise inputs.UnsupportedInput(
            f"cannot verify a body of type {media or '(none)'!r}: send application/json, application/jwt, "
            "text/plain, image/png, image/svg+xml or multipart/form-data")
    report, result = await _verification_result(services, given, files, state, on, area, size=size,
                                                recipient=recipient)
    parse = report.check("parse")
    if parse is not None and parse.outcome is Outcome.FAILED:
        raise inputs.NotACredential(f"not a credential: {parse.message}", **result)
    return JSONResponse(result)
