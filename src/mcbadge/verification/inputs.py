"""What a verifier gave, read into something the credential library verifies.

A credential arrives as JSON text, a parsed JSON value (the credential, an EnvelopedVerifiableCredential,
``{"verifiableCredential": ...}``, ``{"url": ...}``, or a Verifiable Presentation: see :func:`from_json`),
a compact VC-JWT, a baked PNG or SVG, a file that is any of these (told apart by content, never by name), or
a URL. A designation's components may come with it (``GivenCredential.components``). The API (``api/verification.py``) and
the verification page (``web/``) both read through here, so the same input means the same thing in both.

Input that is not a credential at all raises a domain error (mapped to HTTP in ``api/problems.py``; the
page shows its sentence); a credential that fails verification is not an error here, it is a report. Whatever
is read is first held to the limits of ``mcbadge.limits`` (JSON text by ``read_json``, every credential or
presentation by ``check_credential``), so nothing beyond them reaches the verifier.
``label`` names the input in those sentences: "the pasted text", "the file lesson.json", "the body".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from ..credentials import service as credentials
from ..errors import (
    DomainError,
    Invalid,
    TooLarge,
    Unreadable,
    Unsupported,
    UpstreamFailed,
)
from ..limits import MalformedJson, check_credential, read_json
from ..outbound import FetchFailed, FetchRefused
from ..services import Services
from ..vc import baking
from ..vc.errors import BakingError
from ..vc.evidence import GivenFile

__all__ = [
    "MAX_COMPONENTS",
    "MAX_EVIDENCE_FILES",
    "EvidenceFile",
    "evidence_digest",
    "GivenCredential",
    "MalformedImage",
    "MalformedJson",
    "NotACredential",
    "UnsupportedInput",
    "UrlFetchFailed",
    "UrlRefused",
    "from_file",
    "from_image",
    "from_json",
    "from_text",
    "from_url",
    "own_component",
    "own_components",
]

MAX_EVIDENCE_FILES = 20
"""Evidence files one verification compares (the API and the page alike)."""

MAX_COMPONENTS = 20
"""Component credentials one verification takes with a designation (a form's files, a presentation's entries)."""

URL_MAX_BYTES = 4 * 1024 * 1024
"""Largest credential or badge image fetched from a URL."""

_URL_ACCEPT = ("application/ld+json, application/json;q=0.9, application/vc+jwt, application/jwt, "
               "image/png, image/svg+xml, text/plain;q=0.5")


# -- errors ----------------------------------------------------------------------------------------------


class MalformedImage(Unreadable):
    """A PNG or SVG that cannot be read: bad CRC, truncated, no IEND, malformed XML, a DTD or entities."""

    code = "malformed-image"


class EmptyInput(Unreadable):
    """Nothing was given where a credential was expected."""

    code = "empty-input"


class ImageTooLarge(TooLarge):
    """A badge image beyond the baking limits."""

    code = "image-too-large"


class UnsupportedInput(Unsupported):
    """Neither a credential (JSON or a VC-JWT) nor a badge image (PNG or SVG)."""


class NotACredential(Invalid):
    """Read, but not a credential: an image without a baked credential, a JSON value that is no credential."""

    code = "not-a-credential"


class UrlRefused(NotACredential):
    """The outbound guard refused the URL (not https, a private or loopback address...): nothing was sent."""

    code = "url-refused"


class UrlFetchFailed(UpstreamFailed):
    """The site at the given URL did not answer with a credential (unreachable, timeout, HTTP error)."""

    code = "url-fetch-failed"


_BAKING_ERRORS: dict[str, type[DomainError]] = {
    "too_large": ImageTooLarge,
    "unsupported": UnsupportedInput,
    "malformed": MalformedImage,
}


# -- what was given ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GivenCredential:
    """A credential as the library takes it (a dict, or a VC-JWT string) and where it came from.

    ``source`` is ``json``, ``jwt``, ``png``, ``svg`` or ``url`` (for a URL not yet fetched, ``value`` is
    None); ``url`` is set for a URL input; ``label`` names it for people ("the badge image x.png").
    ``components`` are credentials given with it (documents or VC-JWTs): a designation's components, found
    by their ids when it is verified (``vc.verify``'s ``presented_components``).
    """

    value: Any
    source: str
    url: str | None = None
    label: str = "the credential"
    components: tuple[Any, ...] = ()


EvidenceFile = GivenFile
"""A file the verifier holds and wants compared with the credential's evidence digests: its bytes, or only its
SHA-256 digest (hashed in the verifier's browser, so the file never left their computer)."""

_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def evidence_digest(value: str, index: int) -> GivenFile:
    """An ``evidence_sha256`` form field: ``{"name": ..., "sha256": "<64 hex>", "size": n}`` (what the page's
    script sends), or the 64 hex digits alone."""
    text = value.strip()
    if _SHA256_HEX.match(text):
        return GivenFile(f"evidence file {index}", bytes.fromhex(text))
    try:
        item = read_json(text, what=f"evidence digest {index}")
    except DomainError:
        item = None
    digest = item.get("sha256") if isinstance(item, dict) else None
    if not isinstance(digest, str) or not _SHA256_HEX.match(digest):
        raise Invalid(f"evidence digest {index} must be 64 hexadecimal digits (a SHA-256), or an object "
                      '{"name": ..., "sha256": ..., "size": ...}')
    assert isinstance(item, dict)
    name, size = item.get("name"), item.get("size")
    return GivenFile(name.strip()[:255] if isinstance(name, str) and name.strip() else f"evidence file {index}",
                     bytes.fromhex(digest),
                     size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None)


def from_text(text: str, label: str) -> GivenCredential:
    """Pasted or uploaded text: JSON (a credential, or a JWT as a JSON string), or a compact VC-JWT."""
    stripped = text.strip()
    if not stripped:
        raise EmptyInput(f"{label} is empty")
    if stripped.startswith(("{", "[", '"')):
        return from_json(read_json(stripped, what=label), label)
    check_credential(stripped)
    return GivenCredential(stripped, "jwt", label=label)


def from_json(value: Any, label: str) -> GivenCredential:
    """A parsed JSON value: the credential, a JWT string, ``{"verifiableCredential": ...}``, ``{"url": ...}``,
    or a Verifiable Presentation (as it is, or as ``{"verifiablePresentation": ...}``) whose
    ``verifiableCredential`` list holds the credential to verify **first**, then its components (a
    designation's component credentials, documents or VC-JWTs). The presentation's own proof (the holder's)
    is not checked: what is verified is each credential."""
    check_credential(value)
    if isinstance(value, str):
        return GivenCredential(value, "jwt", label=label)
    if not isinstance(value, dict):
        raise NotACredential(f"{label} is not a credential: expected a JSON object, or a string holding a VC-JWT")
    if "verifiablePresentation" in value and set(value) <= {"verifiablePresentation", "options"}:
        return _from_presentation(value["verifiablePresentation"], label)
    types = value.get("type")
    if "VerifiablePresentation" in (types if isinstance(types, list) else [types]):
        return _from_presentation(value, label)
    if set(value) == {"url"}:
        if not isinstance(value["url"], str):
            raise Invalid("url must be a string")
        return GivenCredential(None, "url", url=value["url"], label=f"the address {value['url']}")
    if "verifiableCredential" in value and set(value) <= {"verifiableCredential", "options"}:
        inner = value["verifiableCredential"]
        if not isinstance(inner, (dict, str)):
            raise NotACredential("verifiableCredential must be a credential (a JSON object) or a VC-JWT (a string)")
        return GivenCredential(inner, "jwt" if isinstance(inner, str) else "json", label=label)
    return GivenCredential(value, "json", label=label)


def _from_presentation(presentation: Any, label: str) -> GivenCredential:
    entries = presentation.get("verifiableCredential") if isinstance(presentation, dict) else None
    entries = [entries] if isinstance(entries, (dict, str)) else entries
    if not isinstance(entries, list) or not entries or not all(isinstance(e, (dict, str)) for e in entries):
        raise NotACredential(f"{label} is not a presentation of credentials: its verifiableCredential must list "
                             "the credential to verify first, then its components (JSON objects or VC-JWTs)")
    if len(entries) > 1 + MAX_COMPONENTS:
        raise Invalid(f"a presentation may carry at most {MAX_COMPONENTS} components with the credential")
    first = entries[0]
    return GivenCredential(first, "jwt" if isinstance(first, str) else "json", label=label,
                           components=tuple(entries[1:]))


def from_image(data: bytes, kind: str | None, label: str) -> GivenCredential:
    """The credential baked into a PNG or SVG (``kind`` None: told apart by content)."""
    kind = kind or baking.image_kind(data)
    unbake = {"png": baking.unbake_png, "svg": baking.unbake_svg}.get(kind or "", baking.unbake)
    try:
        try:
            value = unbake(data)
        except BakingError as exc:
            if exc.reason != "no_credential":
                raise
            value = baking.unbake_ob2(data)  # an Open Badges 2.0 badge, verified as such (vc.ob2); else no badge
    except BakingError as exc:
        if exc.reason == "no_credential":
            picture = "PNG" if kind == "png" else "SVG" if kind == "svg" else "image"
            raise NotACredential(
                f"{label} is an ordinary {picture} picture, not a badge: no credential is stored inside it. A badge "
                "image carries its credential inside the file; ask the candidate for the badge image their issuer "
                "gave them to download, the credential's own file (.json), or its web address",
                reason=exc.reason) from None
        error = _BAKING_ERRORS.get(exc.reason, NotACredential)
        raise error(f"{label} is not a readable badge image: {exc}", reason=exc.reason) from None
    check_credential(value)
    return GivenCredential(value, kind or "image", label=label)


def from_file(data: bytes, filename: str | None) -> GivenCredential:
    """An uploaded credential file: a baked PNG or SVG, or JSON / a VC-JWT, told apart by content (never by
    its name). Labelled "the badge image <filename>" or "the file <filename>"."""
    name = f"the file {filename}" if filename else "the uploaded file"
    image = f"the badge image {filename}" if filename else "the uploaded badge image"
    return _from_bytes(data, name, image_label=image, text_label=name)


def _from_bytes(data: bytes, name: str, *, image_label: str, text_label: str) -> GivenCredential:
    if not data:
        raise EmptyInput(f"{name} is empty")
    if baking.image_kind(data) is not None:
        return replace(from_image(data, None, name), label=image_label)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnsupportedInput(f"{name} is neither a credential (JSON or a VC-JWT) nor a badge image "
                               "(PNG or SVG)") from None
    return replace(from_text(text, name), label=text_label)


# -- URLs --------------------------------------------------------------------------------------------------


_OWN_CREDENTIAL_PATH = re.compile(r"/credentials/(?P<id>[0-9a-fA-F-]{32,36})(?:/badge\.(?:png|svg))?/?")


def from_url(services: Services, url: str) -> GivenCredential:
    """The credential at ``url``: this service's own from the database (never a request to itself), any
    other through the guarded outbound client (https only, public addresses, size and time limits)."""
    url = url.strip()
    label = f"the address {url}"
    own = _own_credential(services, url)
    if own is not None:
        return GivenCredential(own, "url", url=url, label=label)
    try:
        fetched = services.outbound.get(url, max_bytes=URL_MAX_BYTES, accept=_URL_ACCEPT)
    except FetchRefused as exc:
        raise UrlRefused(f"the address {url} was not fetched: {exc}") from None
    except FetchFailed as exc:
        if exc.status == 410:
            # An answer, not a failure: Open Badges 2.0 hosted verification reads 410 Gone as "revoked", the one
            # meaning a badge standard gives it. The URL is verified as an OB 2.0 assertion's address, whose
            # report (vc.ob2) says revoked, instead of a 502 that would tell an employer nothing.
            return GivenCredential(url, "url", url=url, label=label)
        raise UrlFetchFailed(f"the credential could not be fetched from {url}: {exc}") from None
    if fetched.status_code != 200:
        raise UrlFetchFailed(f"the address {url} answered HTTP {fetched.status_code}, not a credential")
    given = _from_bytes(fetched.content, f"the document at {url}", image_label=label, text_label=label)
    return GivenCredential(given.value, "url", url=url, label=label)


def own_component(services: Services, credential_id: str) -> Any:
    """A designation's component issued here, read from the database by its id (the credential URL): the
    ``component_fetcher`` of ``vc.verify``. ``LookupError`` for a credential that is not this service's, or
    that it does not show (private or unknown): the component is then "could not be checked"."""
    try:
        own = _own_credential(services, credential_id)
    except DomainError as exc:
        raise LookupError(str(exc)) from None
    if own is None:
        raise LookupError(f"{credential_id} was not issued here, and was not presented")
    return own


def own_components(services: Services, credential_ids: Iterable[str]) -> dict[str, Any]:
    """Those of a designation's components that :func:`own_component` would give, all read in one query rather
    than one each: id -> the credential. The others are left out (``own_component`` says why for each)."""
    wanted: dict[str, uuid.UUID] = {}
    for url in credential_ids:
        try:
            credential_id = _own_credential_id(services, url)
        except DomainError:
            continue
        if credential_id is not None:
            wanted[url] = credential_id
    if not wanted:
        return {}
    with services.sessions() as session:
        found = credentials.public_documents(session, set(wanted.values()))
    return {url: found[credential_id] for url, credential_id in wanted.items() if credential_id in found}


def _own_credential(services: Services, url: str) -> Any:
    """A credential of this service named by its URL (its id, or its baked badge download), read from the
    database. None when the URL is on another site. Any other URL of this service is not a credential;
    private and unknown credentials are NotFound."""
    credential_id = _own_credential_id(services, url)
    if credential_id is None:
        return None
    with services.sessions() as session:
        credential = credentials.public_credential(session, credential_id)  # private or unknown: NotFound
    return credential.jwt or dict(credential.document or {})


def _own_credential_id(services: Services, url: str) -> uuid.UUID | None:
    """The id of the credential of this service that ``url`` names; None when the URL is on another site.
    Any other URL of this service is not a credential (NotACredential)."""
    base = services.settings.public_base_url.rstrip("/")
    path = url.split("#", 1)[0].split("?", 1)[0]
    if not path.startswith(base + "/"):
        return None
    match = _OWN_CREDENTIAL_PATH.fullmatch(path[len(base):])
    try:
        credential_id = uuid.UUID(match["id"]) if match else None
    except ValueError:
        credential_id = None
    if credential_id is None:
        raise NotACredential(f"the address {url} is a page of this service, not a credential: give a credential's address "
                             f"({base}/credentials/...)")
    return credential_id
