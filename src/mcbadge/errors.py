"""Domain errors: what a service function raises when the caller asked for something it cannot have.

They say nothing about HTTP; ``mcbadge.api.problems`` maps each category to a status in one place, and
the ``code`` of each class becomes its stable problem ``type`` (``urn:mcbadge:problem:<code>``; a class
whose ``code`` is None reports ``about:blank``, for errors the HTTP status says all about). A feature
declares its own small classes next to its service, e.g. ``class AlreadyPublished(Conflict)``. These
categories are the only base classes of the errors mcbadge raises on purpose: there is no second tree.

    DomainError
    ├── Unreadable        400  what was given cannot be read at all (malformed JSON, a corrupt image)
    ├── Unauthenticated   401  no valid API key or token
    ├── Forbidden         403  authenticated, but the role may not do this
    ├── NotFound          404  no such object, or it belongs to another tenant (never say which)
    ├── Conflict          409  the object's state does not allow it (published, already awarded, ...)
    ├── TooLarge          413  what was given is larger than the service accepts (BodyTooLarge: a request body)
    ├── Unsupported       415  a kind of content the service does not read
    ├── Invalid           422  the request is well-formed but its content breaks a rule
    ├── TooManyRequests   429  the caller has as many requests in flight as it may (retry shortly)
    ├── UpstreamFailed    502  another site the service had to ask did not answer usefully
    └── Unavailable       503  the service cannot serve this just now (its database is unreachable); retry
"""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE_BASE = "urn:mcbadge:problem:"
"""Prefix of mcbadge's problem type URIs (RFC 9457 ``type``)."""


class DomainError(Exception):
    """Base class. ``detail`` is a sentence for the caller; ``extensions`` are extra problem members."""

    code: str | None = "domain-error"

    @classmethod
    def problem_type(cls) -> str:
        """The stable problem ``type`` URI of this error (``about:blank`` when it has no code of its own)."""
        return PROBLEM_TYPE_BASE + cls.code if cls.code else "about:blank"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class Unauthenticated(DomainError):
    """No valid credentials were presented."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The caller is known but their role does not allow this."""

    code = "forbidden"


class NotFound(DomainError):
    """The object does not exist for this caller (another tenant's objects are reported the same way)."""

    code = "not-found"


class Conflict(DomainError):
    """The object's current state does not allow the operation."""

    code = "conflict"


class Invalid(DomainError):
    """The content of the request breaks a rule of the domain."""

    code = "invalid"


class Unreadable(DomainError):
    """What was given cannot be read at all: malformed JSON, a corrupt image, an empty file."""

    code: str | None = "unreadable"  # the declared type again: a subclass may report about:blank (None)


class TooLarge(DomainError):
    """What was given is larger than the service accepts."""

    code: str | None = "too-large"  # the declared type again: a subclass may report about:blank (None)


class BodyTooLarge(TooLarge):
    """The request body is larger than the service accepts on this path."""

    code = None  # about:blank: the 413 says it all


class Unsupported(DomainError):
    """A kind of content the service does not read."""

    code = "unsupported-media-type"


class TooManyRequests(DomainError):
    """The caller already has as many such requests in flight as it may; retry shortly."""

    code = "too-many-requests"


class UpstreamFailed(DomainError):
    """Another site the service had to ask (a URL the caller gave) did not answer usefully."""

    code = "upstream-failed"


class Unavailable(DomainError):
    """The service cannot serve the request just now (its database cannot be reached); retry after a while."""

    code = "unavailable"
