"""What one request may carry: the limits, named in one place.

Work per request must be bounded before anything expensive runs (JSON-LD expansion and canonicalization,
signature checks, status look-ups: each costs time in proportion to what the credential holds). Each limit is
generous: no real credential comes near it (an OB 3.0 credential has one or two proofs, two status entries, two
or three types, a few kilobytes of JSON; a designation names at most 100 components). A request beyond one is
refused with 413 and a problem detail naming the limit (``limit``, ``max``, and the ``field`` where it was met).

This module also holds the one reader of untrusted JSON, :func:`read_json`, and the checks every JSON value
from a request goes through once, at the edge (:func:`check_json`, :func:`check_credential`, :func:`check_text`):

- the limits above;
- member names that repeat within one object are refused (:class:`DuplicateJsonMember`): RFC 8259 leaves such a
  document's meaning to the parser (Python keeps the last, others the first), so a credential with a fake
  ``issuer`` before the real one would be read differently by different verifiers; I-JSON (RFC 7493) forbids it;
- integers beyond I-JSON's range (:data:`MAX_JSON_INTEGER`) and numbers too large for a double are refused
  (:class:`NumberOutOfRange`): the databases' columns would overflow (a 500), JavaScript readers would round them;
- text that JSON or the databases cannot carry is refused (:class:`UnencodableText`): a lone surrogate has no
  UTF-8 encoding (the response could not be written), NUL cannot be stored by PostgreSQL (SQLite can, so the
  same request behaved differently on each); ``NaN`` and ``Infinity`` are not JSON (:class:`MalformedJson`).

Each refusal names where it was met, as a JSON Pointer (RFC 6901) into what was given (``field``).
"""

from __future__ import annotations

import base64
import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import anyio

from .errors import Invalid, TooLarge, Unreadable
from .vc.json_values import DuplicateMember, as_list, strict_loads

__all__ = [
    "DuplicateJsonMember",
    "LimitExceeded",
    "MalformedJson",
    "NumberOutOfRange",
    "UnencodableText",
    "check_credential",
    "check_json",
    "check_text",
    "parse_off_loop",
    "printable",
    "read_json",
]

T = TypeVar("T")

MIB = 1024 * 1024

# -- any JSON a request carries (a body, a credential's text, a form field holding JSON) --------------------

MAX_JSON_BYTES = 4 * MIB
"""A JSON request body, or one credential's JSON text however it came (pasted, a file, a URL, a VC-JWT's payload).
The same bound as a credential fetched from a URL. (``POST /verify`` takes 32 MiB, but only for evidence files.)"""

MAX_JSON_DEPTH = 32
"""Nesting of arrays and objects (an OB 3.0 credential nests about 7 deep)."""

MAX_ARRAY_ITEMS = 10_000
"""Items of any one array, where no smaller limit below applies."""

MAX_OBJECT_MEMBERS = 1_000
"""Members of any one object."""

MAX_STRING_CHARS = MIB
"""Characters of any one string or member name (an image as a data: URL fits)."""

MAX_JSON_INTEGER = 2**53 - 1
"""The largest integer (either sign) a JSON value may hold: I-JSON's interoperable range (RFC 7493 §2.2), the
integers an IEEE 754 double holds exactly (a JavaScript reader rounds any beyond). No request needs more, and a
larger one would overflow a database column (500 "bigint out of range") rather than be refused. A number
too large for a double (``1e400``, read as infinity) cannot be written back as JSON and is refused too."""

MAX_COLUMN_INTEGER = 2**31 - 1
"""The largest integer a request may give where the databases store it in an integer column (a version, an offset):
PostgreSQL's ``integer``. Beyond it the query fails ("integer out of range"), a 500 instead of a refusal; the
request models bound such fields with it, so the OpenAPI document says so too."""

MAX_JSON_VALUES = 50_000
"""Values (objects, arrays, strings, numbers...) in one JSON body in all (a presentation of 21 credentials has
about 4 000). Bounded before the text is parsed, from its commas, braces and brackets (no value without one)."""

# -- a credential or presentation, wherever it appears (its endorsements and components are credentials too) --

MAX_CREDENTIAL_VALUES = 25_000
"""Values in one credential, or one presentation with its credentials (a rich credential has about 200; a
designation naming thousands of components, which the verifier refuses unread, about 4 per component)."""

MAX_PROOFS = 8
"""Entries of a ``proof`` (a proof set or chain)."""

MAX_STATUS_ENTRIES = 8
"""Entries of a ``credentialStatus`` (revocation and suspension are two)."""

MAX_TYPES = 32
"""Entries of a ``type``: each is expanded against the contexts."""

MAX_CONTEXTS = 16
"""Entries of an ``@context``."""

MAX_ENDORSEMENTS = 32
"""Entries of an ``endorsement`` (each an EndorsementCredential)."""

# ``relatedResource`` has no limit of its own: a designation names each component there, and the verifier reads at
# most ``vc.components.MAX_COMPONENTS`` (100) of them, failing a designation that names more without reading any
# (a report, not a refusal); MAX_ARRAY_ITEMS and MAX_CREDENTIAL_VALUES bound the array itself.

MAX_EVIDENCE = 100
"""Entries of an ``evidence``."""

MAX_PRESENTED_CREDENTIALS = 128
"""Entries of a ``verifiableCredential`` (a presentation's credentials, a CLR's): each is verified in turn, at a
cost of milliseconds to seconds (another issuer's keys and lists), so a request holds only so many. Room for a
designation presented with all ``vc.components.MAX_COMPONENTS`` (100) of its components; a CLR holds at most
``vc.clr.MAX_CLR_CREDENTIALS`` (100) of its own."""

ON_LOOP_BYTES = 64 * 1024
"""JSON text or an image up to this size is read on the event loop (about a millisecond); larger input is read in
the thread pool, so that no request holds the loop for long."""

ON_LOOP_VERIFY_BYTES = 16 * 1024
"""A credential up to this size (its JSON text; this service's are about 5 KiB) may be verified on the event loop,
when it needs nothing but memory (``verification.service.verifies_locally``); any larger goes to the thread pool."""

MEMBER_LIMITS: dict[str, int] = {
    "proof": MAX_PROOFS,
    "credentialStatus": MAX_STATUS_ENTRIES,
    "type": MAX_TYPES,
    "@context": MAX_CONTEXTS,
    "endorsement": MAX_ENDORSEMENTS,
    "evidence": MAX_EVIDENCE,
    "verifiableCredential": MAX_PRESENTED_CREDENTIALS,
}
"""The members of a credential with a limit of their own, wherever they appear in it."""


# -- errors ----------------------------------------------------------------------------------------------------


class LimitExceeded(TooLarge):
    """What was given exceeds a limit of ``mcbadge.limits`` (the problem's ``limit``, ``max`` and ``field``)."""

    code = "limit-exceeded"

    def __init__(self, limit: str, maximum: int, field: str | None, found: str) -> None:
        field = printable(field) if field else field
        where = f" at {field}" if field else ""
        super().__init__(f"{found}{where}, over the limit of {maximum} ({limit}) that bounds the work of one request",
                         limit=limit, max=maximum, field=field)


class UnencodableText(Invalid):
    """Text with a character JSON or the databases cannot carry: a lone surrogate, or NUL (the ``field`` is named)."""

    code = "unencodable-text"

    def __init__(self, field: str, reason: str) -> None:
        field = printable(field)
        super().__init__(f"{field}: {reason}; such text cannot be stored or sent back as JSON", field=field)


class NumberOutOfRange(Invalid):
    """A JSON number beyond :data:`MAX_JSON_INTEGER`, or too large for a double (the ``field`` is named)."""

    code = "number-out-of-range"

    def __init__(self, field: str) -> None:
        field = printable(field) or "/"
        super().__init__(f"{field}: the number is out of range (integers from -{MAX_JSON_INTEGER} to "
                         f"{MAX_JSON_INTEGER}, I-JSON's interoperable range; finite numbers only)",
                         field=field, max=MAX_JSON_INTEGER)


class DuplicateJsonMember(Unreadable):
    """A JSON object names one member twice: parsers disagree on which counts, so it is refused (I-JSON)."""

    code = "duplicate-member"

    def __init__(self, name: str, field: str) -> None:
        name, field = printable(name), printable(field)
        super().__init__(f"duplicate member {name!r} at {field}: a name appears twice in one object, and JSON "
                         "parsers disagree on which one counts, so the document would mean different things to "
                         "different readers (refused, as I-JSON, RFC 7493 §2.3, requires)", field=field)


class MalformedJson(Unreadable):
    """JSON that cannot be parsed (``NaN`` and ``Infinity`` are not JSON either)."""

    code = "malformed-json"


def printable(text: str) -> str:
    """``text`` as it can be sent back in a response: a lone surrogate or NUL written as its ``\\uXXXX`` escape
    (a field name in a refusal may be the very text that was refused)."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")


# -- reading ---------------------------------------------------------------------------------------------------


def read_json(data: bytes | str, *, what: str = "the body", at: str = "") -> Any:
    """Parse untrusted JSON text and check the value (:func:`check_json`). ``what`` names it in messages; ``at`` is
    the JSON Pointer of where the text was (a form field holding JSON: ``""``, the text is the document).

    Raises :class:`LimitExceeded`, :class:`DuplicateJsonMember`, :class:`UnencodableText` or :class:`MalformedJson`.
    """
    if len(data) > MAX_JSON_BYTES:
        raise LimitExceeded("bytes of JSON", MAX_JSON_BYTES, at or None, f"{what} is {len(data)} bytes")
    # Parsing costs time per value (the duplicate check is Python code per object): bound the values first,
    # from above, at C speed. Every value but the first of an array or object follows a comma; every array and
    # object opens with a bracket or brace. (Those inside strings count too: a bound, never an undercount.)
    if isinstance(data, bytes):
        upper_bound = data.count(b",") + data.count(b"{") + data.count(b"[")
    else:
        upper_bound = data.count(",") + data.count("{") + data.count("[")
    if upper_bound > MAX_JSON_VALUES:
        raise LimitExceeded("JSON values", MAX_JSON_VALUES, at or None,
                            f"{what} holds up to {upper_bound} values (counting its commas, braces and brackets)")
    try:
        value = strict_loads(data)
    except DuplicateMember:
        name, pointer = _first_duplicate(data)
        raise DuplicateJsonMember(name, at + pointer) from None
    except RecursionError:
        raise LimitExceeded("depth", MAX_JSON_DEPTH, at or None, f"{what} nests too deep") from None
    except ValueError as exc:  # also UnicodeDecodeError: bytes that are not UTF-8
        raise MalformedJson(f"{what} is not valid JSON: {exc}") from None
    check_json(value, at=at)
    return value


def check_json(value: Any, *, at: str = "") -> None:
    """Check a JSON value from a request: depth, array and object sizes, string sizes, the number of values, and
    text JSON and the databases can carry. Linear in the value's size; no copy."""
    _walk(value, at, MAX_JSON_VALUES, "JSON values", None)


def check_credential(value: Any, *, at: str = "") -> None:
    """Check a credential or presentation (a JSON object, or a compact VC-JWT whose payload is read for it) against
    the limits of credentials, besides :func:`check_json`'s: ``proof``, ``credentialStatus``, ``type`` ... entries
    (:data:`MEMBER_LIMITS`, wherever they appear) and :data:`MAX_CREDENTIAL_VALUES` values in all."""
    if isinstance(value, str):
        value = _jwt_payload(value, at)
    elif isinstance(value, Mapping) and "EnvelopedVerifiableCredential" in as_list(value.get("type")):
        token = value.get("id")
        if isinstance(token, str) and token.startswith("data:") and "," in token:
            check_credential(token.rsplit(",", 1)[1], at=f"{at}/id")
    if value is not None:
        _walk(value, at, MAX_CREDENTIAL_VALUES, "credential values", MEMBER_LIMITS)


def check_text(text: str, field: str) -> None:
    """Refuse text JSON or the databases cannot carry: a lone surrogate, or NUL. ``field`` names it."""
    if "\x00" in text:
        raise UnencodableText(field, "NUL (U+0000) is not allowed in text")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UnencodableText(field, f"U+{ord(text[exc.start]):04X} is a lone surrogate, which no text "
                                         "encoding can represent") from None


_COMPACT_JWS = re.compile(r"^\s*[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*\s*$")


def _jwt_payload(token: str, at: str) -> Any:
    """The JSON payload of a compact JWS, read and checked; None when ``token`` is not one (the verifier says so)."""
    if len(token) > MAX_STRING_CHARS:
        raise LimitExceeded("string characters", MAX_STRING_CHARS, at or None, f"a string of {len(token)} characters")
    match = _COMPACT_JWS.match(token)
    if match is None:
        return None
    part = match[1]
    try:
        payload = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except ValueError:
        return None
    try:
        return read_json(payload, what="the VC-JWT's payload", at=at)
    except MalformedJson:
        return None  # not JSON: the verifier reports it as it reports any unreadable token


def _pointer(path: tuple[Any, ...] | None, at: str) -> str:
    """The JSON Pointer (RFC 6901) of a path kept as nested (parent, key) pairs."""
    keys: list[str] = []
    while path is not None:
        path, key = path
        keys.append(str(key).replace("~", "~0").replace("/", "~1"))
    return at + "".join("/" + k for k in reversed(keys))


def _walk(root: Any, at: str, max_values: int, values_limit: str, members: Mapping[str, int] | None) -> None:
    # Iterative (no recursion limit to hit) and allocation-light: a container's path is a (parent, key) pair,
    # turned into a pointer only when something is refused.
    count = 0
    stack: list[tuple[Any, int, tuple[Any, ...] | None]] = [(root, 1, None)]
    if isinstance(root, str):
        _check_string(root, None, at)
        return
    if type(root) is int or type(root) is float:
        _check_number(root, None, at)
        return
    while stack:
        node, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise LimitExceeded("depth", MAX_JSON_DEPTH, _pointer(path, at), "this value nests too deep")
        if isinstance(node, dict):
            if len(node) > MAX_OBJECT_MEMBERS:
                raise LimitExceeded("object members", MAX_OBJECT_MEMBERS, _pointer(path, at),
                                    f"an object of {len(node)} members")
            items: Any = node.items()
        elif isinstance(node, list):
            if len(node) > MAX_ARRAY_ITEMS:
                raise LimitExceeded("array items", MAX_ARRAY_ITEMS, _pointer(path, at),
                                    f"an array of {len(node)} items")
            items = enumerate(node)
        else:
            continue
        count += len(node)
        if count > max_values:
            raise LimitExceeded(values_limit, max_values, None, f"more than {max_values} values")
        for key, item in items:
            if type(key) is str:
                _check_string(key, (path, key), at)
                if members is not None and key in members and isinstance(item, list) and len(item) > members[key]:
                    raise LimitExceeded(key, members[key], _pointer((path, key), at),
                                        f"{key} has {len(item)} entries")
            if type(item) is str:
                _check_string(item, (path, key), at)
            elif isinstance(item, (dict, list)):
                stack.append((item, depth + 1, (path, key)))
            elif type(item) is int or type(item) is float:  # not bool, a subclass of int
                _check_number(item, (path, key), at)


def _check_string(text: str, path: tuple[Any, ...] | None, at: str) -> None:
    if len(text) > MAX_STRING_CHARS:
        raise LimitExceeded("string characters", MAX_STRING_CHARS, _pointer(path, at),
                            f"a string of {len(text)} characters")
    if "\x00" in text or not text.isascii():
        check_text(text, _pointer(path, at))


def _check_number(number: int | float, path: tuple[Any, ...] | None, at: str) -> None:
    in_range = -MAX_JSON_INTEGER <= number <= MAX_JSON_INTEGER if type(number) is int else math.isfinite(number)
    if not in_range:
        raise NumberOutOfRange(_pointer(path, at))


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its list of members, repeats kept (to find where a duplicate is)."""


def _first_duplicate(data: bytes | str) -> tuple[str, str]:
    """A repeated member name of ``data`` (known to hold one) and where it is, as a JSON Pointer. Only on refusal:
    the parser's hook knows the name but not where its object is."""
    root = json.loads(data, object_pairs_hook=_Pairs)
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, pointer = stack.pop(0)
        if isinstance(node, _Pairs):
            seen: set[str] = set()
            for name, _ in node:
                if name in seen:
                    return name, pointer + "/" + name.replace("~", "~0").replace("/", "~1")
                seen.add(name)
            stack.extend((item, pointer + "/" + name.replace("~", "~0").replace("/", "~1")) for name, item in node)
        elif isinstance(node, list):
            stack.extend((item, f"{pointer}/{index}") for index, item in enumerate(node))
    return "", ""


async def parse_off_loop(size: int, parse: Callable[..., T], *args: Any) -> T:
    """``parse(*args)`` for input of ``size`` bytes: on the event loop up to :data:`ON_LOOP_BYTES` (cheaper than
    the hop), else in a worker thread, so that reading large input never holds up other requests."""
    if size <= ON_LOOP_BYTES:
        return parse(*args)
    return await anyio.to_thread.run_sync(functools.partial(parse, *args))
