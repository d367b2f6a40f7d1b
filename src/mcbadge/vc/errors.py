"""Errors raised by the credential library.

Issuing code raises these for input it must not sign; ``verify`` never raises them for a bad
credential (it reports a failed check instead).

    CredentialError
    ├── ContextError          a JSON-LD context that is not pinned, or malformed
    ├── CanonicalizationError the document cannot be canonicalized safely (dropped terms, bad literals)
    ├── KeyFormatError        a key, Multikey or JWK that cannot be decoded or used
    ├── DidResolutionError    a DID that cannot be resolved
    ├── ProofError            a proof cannot be created
    ├── JwtError              a VC-JWT that cannot be created or parsed
    │   └── JwtKeyError       its key is not the issuer's (or cannot be resolved)
    ├── StatusListError       a malformed or oversized status list
    ├── DataModelError        a credential or presentation the VC data model refuses (``data_model``)
    │   └── IssuerMismatch    its issuer is not the one expected
    └── BakingError           an image that cannot be baked or unbaked (not PNG/SVG, malformed, too large)
"""

from __future__ import annotations


class CredentialError(Exception):
    """Base class for every error of the credential library."""


class ContextError(CredentialError):
    """A JSON-LD context that is not one of the pinned copies (no network, ever), or is malformed."""


class CanonicalizationError(CredentialError):
    """The document would lose data or be canonicalized ambiguously (safe mode)."""


class KeyFormatError(CredentialError):
    """A key, Multikey or JWK that cannot be decoded or is of the wrong type."""


class DidResolutionError(CredentialError):
    """A DID that cannot be resolved to a DID document."""


class ProofError(CredentialError):
    """A Data Integrity proof that cannot be created."""


class JwtError(CredentialError):
    """A VC-JWT that cannot be created or parsed."""


class JwtKeyError(JwtError):
    """A VC-JWT whose key cannot be resolved, or is not the issuer's assertionMethod key."""


class StatusListError(CredentialError):
    """A Bitstring Status List that is malformed, too large, or out of range."""


class DataModelError(CredentialError):
    """A credential (to be signed) or a presentation that breaks a rule of the W3C VC data model."""


class IssuerMismatch(DataModelError):
    """A credential whose issuer is not the one expected (who is about to sign it)."""

    def __init__(self, expected: str, found: str) -> None:
        super().__init__(f"issuer must be {expected}, not {found!r}")
        self.expected = expected
        self.found = found


class BakingError(CredentialError):
    """An image that cannot carry or give back a credential (Open Badges 3.0 baking).

    Not a PNG or SVG, malformed (bad CRC, truncated, no IEND, an XML bomb or DTD), too large, without a
    baked credential, or with more than one. ``reason`` is a stable code for callers that map it to a
    response: ``unsupported``, ``too_large``, ``malformed``, ``no_credential``, ``multiple_credentials``,
    ``bad_credential``.
    """

    def __init__(self, message: str, *, reason: str = "malformed") -> None:
        super().__init__(message)
        self.reason = reason
