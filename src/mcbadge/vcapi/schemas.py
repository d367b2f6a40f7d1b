"""Request bodies of the W3C VC API (VCALM: https://w3c.github.io/vcalm/), as pydantic models.

Every model forbids members it does not know: an option mcbadge would silently ignore (say,
``mandatoryPointers`` for a selective-disclosure suite it does not implement) is refused with 422 rather
than producing a credential other than the one the caller asked for. The credential itself is a plain
object here; its shape is checked by :func:`mcbadge.vcapi.service.check_credential`, which can say which
member is wrong in words the caller can act on.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

__all__ = [
    "CreateStatusListRequest",
    "CredentialStatusOption",
    "IssueOptions",
    "IssueRequest",
    "StatusListOptions",
    "UpdateStatusRequest",
    "UpdateStatusTarget",
    "VerifyPresentationOptions",
    "VerifyPresentationRequest",
]

Purpose = Literal["revocation", "suspension"]
MAX_ID_LENGTH = 512

FORMATS = {
    "ldp": "ldp", "ldp_vc": "ldp", "application/vc": "ldp", "application/vc+ld+json": "ldp",
    "vc-jwt": "jwt", "jwt": "jwt", "jwt_vc": "jwt", "jwt_vc_json": "jwt", "application/vc+jwt": "jwt",
}
"""Spellings of ``options.format`` in use across implementations -> ``ldp`` (Data Integrity) or ``jwt``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _object(value: Any, what: str) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object")
    return value


class CredentialStatusOption(_Strict):
    """Add a ``BitstringStatusListEntry`` for ``statusPurpose`` (a random free index in one of the
    issuer's VC API status lists; ``statusListCredential`` picks a list made by ``POST /status-lists``)."""

    type: Literal["BitstringStatusListEntry"]
    statusPurpose: Purpose
    statusListCredential: str | None = Field(default=None, max_length=2048)


class IssueOptions(_Strict):
    """``options`` of ``POST /credentials/issue``."""

    credentialId: str | None = Field(default=None, min_length=1, max_length=MAX_ID_LENGTH, description=(
        "Names the credential for POST /credentials/status when it has no id of its own."))
    credentialStatus: CredentialStatusOption | list[CredentialStatusOption] | None = Field(default=None, description=(
        "Status entries to add, one per purpose (revocation, suspension)."))
    format: str | None = Field(default=None, description=(
        "ldp (default: Data Integrity eddsa-rdfc-2022) or vc-jwt (an EnvelopedVerifiableCredential); also "
        "spelled " + ", ".join(sorted(FORMATS)) + "."))
    mandatoryPointers: list[str] | None = Field(default=None, description=(
        "Selective disclosure is not supported: only an empty list is accepted."))

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is not None and value not in FORMATS:
            raise ValueError(f"unknown format {value!r}; use one of {sorted(FORMATS)}")
        return value

    @field_validator("mandatoryPointers")
    @classmethod
    def _no_pointers(cls, value: list[str] | None) -> list[str] | None:
        if value:
            raise ValueError("selective disclosure (mandatoryPointers) is not supported by eddsa-rdfc-2022")
        return value


class IssueRequest(_Strict):
    """``POST /credentials/issue``: the unsigned credential and how to issue it."""

    credential: dict[str, Any] = Field(description="The credential to sign (VC 2.0, or VC 1.1 with issuanceDate).")
    options: IssueOptions = Field(default_factory=IssueOptions)

    @field_validator("credential", mode="before")
    @classmethod
    def _credential_object(cls, value: Any) -> Any:
        return _object(value, "credential")

    @field_validator("options", mode="before")
    @classmethod
    def _options_object(cls, value: Any) -> Any:
        return {} if value is None else _object(value, "options")


class UpdateStatusTarget(_Strict):
    """Which status entry of the credential to change. ``id``, ``statusListIndex`` and
    ``statusListCredential``, when given, must be the entry's own."""

    type: Literal["BitstringStatusListEntry", "BitstringStatusList"]
    statusPurpose: Purpose
    id: str | None = None
    statusListIndex: str | None = None
    statusListCredential: str | None = None


class UpdateStatusRequest(_Strict):
    """``POST /credentials/status``: set (``status: true``, the default) or clear a credential's status bit.
    A revocation cannot be cleared."""

    credentialId: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    credentialStatus: UpdateStatusTarget
    status: StrictBool = True
    indexAllocator: str | None = Field(default=None, description="Accepted for compatibility; unused.")


class StatusListOptions(_Strict):
    """``options`` of ``POST /status-lists``."""

    length: int | None = Field(default=None, ge=8, le=2**24, multiple_of=8, description=(
        "Number of entries (default and minimum for herd privacy: 131,072)."))


class CreateStatusListRequest(_Strict):
    """``POST /status-lists``: a new, empty list for one purpose."""

    statusPurpose: Purpose
    id: str | None = Field(default=None, max_length=2048, description=(
        "The list's URL; it must be <public base URL>/status-lists/<key> with a key of 1-64 letters, digits, "
        "'-' or '_'. Default: a fresh random key."))
    options: StatusListOptions = Field(default_factory=StatusListOptions)


class VerifyPresentationOptions(BaseModel):
    """``options`` of ``POST /presentations/verify``. Other members are allowed (the spec lets
    implementations extend it) and ignored."""

    model_config = ConfigDict(extra="allow")

    challenge: str | None = None
    domain: str | None = None
    returnPresentation: StrictBool = False


class VerifyPresentationRequest(_Strict):
    """``POST /presentations/verify``: a signed presentation (``verifiablePresentation``), or an unsigned one
    (``presentation``, or a ``verifiablePresentation`` without a proof)."""

    verifiablePresentation: dict[str, Any] | None = None
    presentation: dict[str, Any] | None = None
    options: VerifyPresentationOptions = Field(default_factory=VerifyPresentationOptions)

    @field_validator("verifiablePresentation", "presentation", mode="before")
    @classmethod
    def _presentation_object(cls, value: Any) -> Any:
        return value if value is None else _object(value, "the presentation")

    @field_validator("options", mode="before")
    @classmethod
    def _options_object(cls, value: Any) -> Any:
        return {} if value is None else _object(value, "options")
