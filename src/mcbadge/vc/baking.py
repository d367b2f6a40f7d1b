"""Baked badges: an Open Badges 3.0 credential carried inside its PNG or SVG image.

Open Badges 3.0 §5.3 ("Baked Badge") defines both forms; this module follows it:

PNG (§5.3.1)
    One ``iTXt`` chunk with keyword ``openbadgecredential``, compression flag 0 and compression method 0,
    empty language tag and translated keyword; its text is the credential as JSON (embedded proof) or the
    compact JWS (VC-JWT), UTF-8. The chunk "MUST NOT appear in a PNG more than once"; when re-baking, the
    spec lets the implementer refuse or overwrite: we overwrite (the old chunk is removed, the new one is
    written just before ``IEND``, where PNG allows ancillary chunks).
SVG (§5.3.2)
    ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the ``<svg>`` root and, directly after
    the root's start tag, one ``<openbadges:credential>`` element: with a ``verify="<compact JWS>"``
    attribute for VC-JWT, or with the JSON wrapped in ``<![CDATA[...]]>`` as its content otherwise.
    "There MUST be only one" such element; re-baking replaces it.

Reading is stricter than the spec's "parse until the first one": an image carrying two credentials is
refused (:class:`BakingError`), because which one a person sees would depend on the tool. Everything else
that can go wrong is refused with a one-line message, too: an image over ``max_image_bytes``, a credential
text over ``max_credential_bytes``, a PNG with a bad CRC, a chunk running past the data, no ``IEND``, a
compressed credential chunk (the spec forbids compression, and refusing it also refuses zlib bombs), an SVG
with a DTD (billion laughs, external entities: refused before any expansion, by ``defusedxml``), an SVG
that is not UTF-8, or an image that is neither PNG nor SVG.

PNG chunks are read and written with ``pypng`` (which checks every CRC and chunk type); the ``iTXt`` payload
layout (PNG §11.3.4.5) is built here. SVG is parsed with ``defusedxml``; baking splices the new element
and namespace declaration into the original bytes at offsets reported by the XML parser, so the rest of the
image is kept byte for byte, and the result is parsed again before it is returned.
"""

from __future__ import annotations

import io
import json
import re
import xml.parsers.expat
from collections.abc import Mapping
from typing import Any, NoReturn

import png
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as _safe_fromstring

from .errors import BakingError
from .json_values import DuplicateMember, strict_loads

__all__ = [
    "MAX_CREDENTIAL_BYTES",
    "MAX_IMAGE_BYTES",
    "OB3_SVG_NAMESPACE",
    "PNG_KEYWORD",
    "BakingError",
    "bake",
    "bake_png",
    "bake_svg",
    "image_kind",
    "unbake",
    "unbake_ob2",
    "unbake_png",
    "unbake_svg",
]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Default largest image accepted for baking or unbaking (10 MiB)."""
MAX_CREDENTIAL_BYTES = 1024 * 1024
"""Default largest credential text (UTF-8 bytes) baked into or read from an image (1 MiB)."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
"""The ``iTXt`` keyword of an OB 3.0 baked PNG (OB 2.0 used ``openbadges``)."""
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
"""The namespace of the ``<openbadges:credential>`` element in an OB 3.0 baked SVG."""
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_OB2_PNG_KEYWORD = b"openbadges"
_OB2_SVG_NAMESPACE = "http://openbadges.org"

_JWS_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_XML_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8_BOM = b"\xef\xbb\xbf"


# -- the credential as text ----------------------------------------------------------------------------


def _credential_text(credential: Mapping[str, Any] | str, *, ascii_only: bool, limit: int) -> str:
    """The text to bake: the JSON of a credential object, or a compact JWS as given."""
    if isinstance(credential, str):
        token = credential.strip()
        if not _JWS_RE.match(token):
            raise BakingError("a credential given as text must be a compact JWS (VC-JWT)", reason="bad_credential")
        text = token
    elif isinstance(credential, Mapping):
        try:
            # Compact JSON: the Data Integrity proof covers the canonical RDF, not this spelling.
            text = json.dumps(credential, ensure_ascii=ascii_only, separators=(",", ":"))
        except (TypeError, ValueError, RecursionError) as exc:
            raise BakingError(f"the credential cannot be written as JSON: {exc}", reason="bad_credential") from None
    else:
        raise BakingError("a credential must be a JSON object or a compact JWS string", reason="bad_credential")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise BakingError("the credential contains text that is not valid Unicode", reason="bad_credential") from None
    if size > limit:
        raise BakingError(f"the credential is {size} bytes, over the limit of {limit}", reason="too_large")
    return text


def _read_credential_text(text: str, where: str) -> dict[str, Any] | str:
    """A baked credential's text as a JSON object (embedded proof) or a compact JWS string (VC-JWT)."""
    text = text.strip()
    if not text:
        raise BakingError(f"the {where} is empty", reason="bad_credential")
    if _JWS_RE.match(text):
        return text
    try:
        value = strict_loads(text)
    except DuplicateMember as exc:
        raise BakingError(f"the {where} names the member {exc.name!r} twice in one object, which JSON parsers "
                          "read differently", reason="bad_credential") from None
    except (ValueError, RecursionError):
        raise BakingError(f"the {where} is neither JSON nor a compact JWS", reason="bad_credential") from None
    if not isinstance(value, dict):
        raise BakingError(f"the {where} is JSON but not a credential object", reason="bad_credential")
    return value


def _check_size(data: bytes, limit: int, kind: str) -> None:
    if len(data) > limit:
        raise BakingError(f"the {kind} image is {len(data)} bytes, over the limit of {limit}", reason="too_large")


# -- PNG -----------------------------------------------------------------------------------------------


def _png_chunks(data: bytes, max_image_bytes: int) -> list[tuple[bytes, bytes]]:
    """Every chunk up to and including IEND, each CRC checked; refuses anything that is not a sound PNG."""
    if not isinstance(data, (bytes, bytearray)):
        raise BakingError("a PNG image must be given as bytes", reason="unsupported")
    _check_size(data, max_image_bytes, "PNG")
    if not bytes(data[:8]) == PNG_SIGNATURE:
        raise BakingError("not a PNG image (wrong signature)", reason="unsupported")
    try:
        chunks = [(bytes(kind), bytes(body)) for kind, body in png.Reader(bytes=bytes(data)).chunks()]
    except (png.Error, EOFError) as exc:
        detail = "no IEND chunk" if "No more chunks" in str(exc) else str(exc).rstrip(".")
        raise BakingError(f"malformed PNG: {detail}", reason="malformed") from None
    if chunks[0][0] != b"IHDR":
        raise BakingError("malformed PNG: the first chunk is not IHDR", reason="malformed")
    if not any(kind == b"IDAT" for kind, _ in chunks):
        raise BakingError("malformed PNG: no image data (IDAT)", reason="malformed")
    return chunks


def _itxt_keyword(body: bytes) -> bytes:
    return body.split(b"\x00", 1)[0]


def _itxt_chunk(text: str) -> bytes:
    # PNG §11.3.4.5: keyword NUL, compression flag, compression method, language tag NUL,
    # translated keyword NUL, text (UTF-8). OB 3.0: flag 0 (uncompressed), empty tag and translation.
    return PNG_KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")


def _parse_itxt(body: bytes, max_credential_bytes: int) -> str:
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or len(rest) < 2:
        raise BakingError("malformed PNG: the openbadgecredential iTXt chunk is truncated", reason="malformed")
    flag, method, rest = rest[0], rest[1], rest[2:]
    if flag != 0:
        raise BakingError("the openbadgecredential iTXt chunk is compressed, which Open Badges 3.0 forbids",
                          reason="bad_credential")
    _language, sep1, rest = rest.partition(b"\x00")
    _translated, sep2, text = rest.partition(b"\x00")
    if not (sep1 and sep2) or method != 0:
        raise BakingError("malformed PNG: the openbadgecredential iTXt chunk is not a valid iTXt chunk",
                          reason="malformed")
    if len(text) > max_credential_bytes:
        raise BakingError(f"the baked credential is {len(text)} bytes, over the limit of {max_credential_bytes}",
                          reason="too_large")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("the baked credential is not UTF-8 text", reason="bad_credential") from None


def bake_png(
    image: bytes,
    credential: Mapping[str, Any] | str,
    *,
    max_image_bytes: int = MAX_IMAGE_BYTES,
    max_credential_bytes: int = MAX_CREDENTIAL_BYTES,
) -> bytes:
    """Bake ``credential`` (a JSON-LD credential object, or a compact VC-JWT) into the PNG ``image``.

    Returns a new PNG with one ``iTXt`` ``openbadgecredential`` chunk just before ``IEND``; any credential
    already baked in is replaced. Raises :class:`BakingError` for an image that is not a sound PNG, or
    for a credential that is not an object or a JWS, or is too large.
    """
    chunks = _png_chunks(image, max_image_bytes)
    text = _credential_text(credential, ascii_only=False, limit=max_credential_bytes)
    kept = [(k, b) for k, b in chunks if not (k == b"iTXt" and _itxt_keyword(b) == PNG_KEYWORD)]
    kept.insert(len(kept) - 1, (b"iTXt", _itxt_chunk(text)))  # the last chunk is IEND
    out = io.BytesIO()
    png.write_chunks(out, kept)
    return out.getvalue()


def unbake_png(
    data: bytes,
    *,
    max_image_bytes: int = MAX_IMAGE_BYTES,
    max_credential_bytes: int = MAX_CREDENTIAL_BYTES,
) -> dict[str, Any] | str:
    """The credential baked into a PNG: a JSON object, or a compact JWS string.

    Raises :class:`BakingError` when the PNG is malformed (every chunk's CRC is checked), too large,
    carries no ``openbadgecredential`` chunk, or carries more than one.
    """
    chunks = _png_chunks(data, max_image_bytes)
    found = [b for k, b in chunks if k == b"iTXt" and _itxt_keyword(b) == PNG_KEYWORD]
    if not found:
        legacy = any(k in (b"iTXt", b"tEXt") and _itxt_keyword(b) == _OB2_PNG_KEYWORD for k, b in chunks)
        if legacy:
            raise BakingError("this PNG carries an Open Badges 2.0 assertion (keyword 'openbadges'), "
                              "not an Open Badges 3.0 credential (read it with unbake_ob2)", reason="no_credential")
        raise BakingError("this PNG is not a baked badge: it has no 'openbadgecredential' iTXt chunk",
                          reason="no_credential")
    if len(found) > 1:
        raise BakingError(f"this PNG carries {len(found)} baked credentials; Open Badges 3.0 allows one",
                          reason="multiple_credentials")
    return _read_credential_text(_parse_itxt(found[0], max_credential_bytes), "baked credential")


# -- SVG -----------------------------------------------------------------------------------------------


def _svg_bytes(svg: bytes | str, max_image_bytes: int) -> bytes:
    if isinstance(svg, str):
        data = svg.encode("utf-8")
        _check_size(data, max_image_bytes, "SVG")
        declared = _XML_DECL_ENCODING.match(data)
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
            raise BakingError("an SVG given as text must not declare an encoding other than UTF-8",
                              reason="unsupported")
        return data
    if not isinstance(svg, (bytes, bytearray)):
        raise BakingError("an SVG image must be given as bytes or text", reason="unsupported")
    data = bytes(svg)
    _check_size(data, max_image_bytes, "SVG")
    if data[:2] == b"\x1f\x8b":
        raise BakingError("compressed SVG (svgz) is not supported: send the uncompressed SVG", reason="unsupported")
    declared = _XML_DECL_ENCODING.match(data.removeprefix(_UTF8_BOM))
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        raise BakingError(f"only UTF-8 SVG images are supported, not {declared.group(1).decode()}",
                          reason="unsupported")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("only UTF-8 SVG images are supported (this one is not valid UTF-8)",
                          reason="unsupported") from None
    return data


def _parse_svg(data: bytes) -> Any:
    """The parsed SVG root (ElementTree), refusing DTDs, entities and external references up front."""
    try:
        root = _safe_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise BakingError(f"refused SVG: {type(exc).__name__} (DTDs, entities and external references are not "
                          "accepted)", reason="malformed") from None
    except ParseError as exc:
        raise BakingError(f"malformed SVG: {exc}", reason="malformed") from None
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local != "svg" or namespace not in ("", SVG_NAMESPACE):
        raise BakingError("not an SVG image: the root element is not <svg>", reason="unsupported")
    return root


def _svg_credential_elements(root: Any) -> list[Any]:
    return list(root.iter(f"{{{OB3_SVG_NAMESPACE}}}credential"))


class _Layout:
    """Byte offsets in an SVG, as the XML parser reports them (used to splice, never to interpret)."""

    def __init__(self) -> None:
        self.depth = 0
        self.root_start = -1
        self.root_namespaces: dict[str, str] = {}
        self.credentials: list[tuple[int, int]] = []  # (start, end) of each <openbadges:credential>
        self._open: list[tuple[int, int]] = []  # (depth, start) of credential elements being read


def _tag_end(data: bytes, start: int) -> int:
    """Offset just past the '>' of the tag starting at ``start`` ('>' inside quoted values skipped)."""
    quote = 0
    for index in range(start + 1, len(data)):
        byte = data[index]
        if quote:
            if byte == quote:
                quote = 0
        elif byte in (0x22, 0x27):
            quote = byte
        elif byte == 0x3E:
            return index + 1
    raise BakingError("malformed SVG: a tag is not closed", reason="malformed")


def _layout(data: bytes) -> _Layout:
    layout = _Layout()
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    credential_name = f"{OB3_SVG_NAMESPACE} credential"

    def refuse(*_: Any) -> NoReturn:  # already refused by defusedxml; kept so this pass is safe on its own
        raise BakingError("refused SVG: DTDs and entities are not accepted", reason="malformed")

    def namespace_declared(prefix: str | None, uri: str) -> None:
        if layout.depth == 0:
            layout.root_namespaces[prefix or ""] = uri

    def start(name: str, _attrs: Any) -> None:
        offset = parser.CurrentByteIndex
        if layout.depth == 0:
            layout.root_start = offset
        if name == credential_name:
            end = _tag_end(data, offset)
            if data[end - 2:end] == b"/>":
                layout.credentials.append((offset, end))
            else:
                layout._open.append((layout.depth, offset))
        layout.depth += 1

    def end(name: str) -> None:
        layout.depth -= 1
        if name == credential_name and layout._open and layout._open[-1][0] == layout.depth:
            _, begin = layout._open.pop()
            layout.credentials.append((begin, _tag_end(data, parser.CurrentByteIndex)))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartNamespaceDeclHandler = namespace_declared
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise BakingError(f"malformed SVG: {exc}", reason="malformed") from None
    return layout


def _cdata(text: str) -> str:
    # "]]>" cannot occur inside a CDATA section: end the section before its ">" and open another.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(
    svg: bytes | str,
    credential: Mapping[str, Any] | str,
    *,
    max_image_bytes: int = MAX_IMAGE_BYTES,
    max_credential_bytes: int = MAX_CREDENTIAL_BYTES,
) -> bytes:
    """Bake ``credential`` (a JSON-LD credential object, or a compact VC-JWT) into the SVG ``svg``.

    Adds ``xmlns:openbadges`` to the root and ``<openbadges:credential>`` directly after the root's start
    tag (JSON in CDATA, or a ``verify`` attribute for a JWT); a credential already baked in is removed.
    The SVG must be UTF-8, without a DTD. Returns UTF-8 bytes.
    """
    data = _svg_bytes(svg, max_image_bytes)
    _parse_svg(data)
    text = _credential_text(credential, ascii_only=True, limit=max_credential_bytes)
    layout = _layout(data)
    bound = layout.root_namespaces.get("openbadges")
    if bound is not None and bound != OB3_SVG_NAMESPACE:
        raise BakingError(f"the SVG binds the prefix 'openbadges' to {bound!r}, not the Open Badges 3.0 namespace",
                          reason="unsupported")
    if isinstance(credential, str):
        element = f'<openbadges:credential verify="{text}"></openbadges:credential>'
    else:
        element = f"<openbadges:credential>{_cdata(text)}</openbadges:credential>"
    # Remove any credential already baked in (from the end, so earlier offsets stay valid).
    for begin, finish in sorted(layout.credentials, reverse=True):
        data = data[:begin] + data[finish:]
    root_end = _tag_end(data, layout.root_start)  # the root precedes every credential: its offset is unchanged
    declaration = b"" if bound else f' xmlns:openbadges="{OB3_SVG_NAMESPACE}"'.encode()
    if data[root_end - 2:root_end] == b"/>":  # <svg .../>: open it, and close it after the credential
        root_tag = re.match(rb"<([^\s/>]+)", data[layout.root_start:])
        assert root_tag is not None  # layout.root_start is where the parser found the root's start tag
        name = root_tag.group(1)
        head = data[:root_end - 2].rstrip() + declaration + b">"
        baked = head + element.encode("utf-8") + b"</" + name + b">" + data[root_end:]
    else:
        head = data[:root_end - 1].rstrip() + declaration + b">"
        baked = head + element.encode("utf-8") + data[root_end:]
    check = unbake_svg(baked, max_image_bytes=max(max_image_bytes, len(baked)),
                       max_credential_bytes=max_credential_bytes)
    if check != (text if isinstance(credential, str) else json.loads(text)):  # pragma: no cover - a bug here
        raise BakingError("baking the SVG did not round-trip", reason="malformed")
    return baked


def unbake_svg(
    data: bytes | str,
    *,
    max_image_bytes: int = MAX_IMAGE_BYTES,
    max_credential_bytes: int = MAX_CREDENTIAL_BYTES,
) -> dict[str, Any] | str:
    """The credential baked into an SVG: a JSON object, or a compact JWS string (from ``verify``).

    Raises :class:`BakingError` when the SVG is malformed, has a DTD or entities (refused before any
    expansion), is too large, carries no ``<openbadges:credential>``, or carries more than one.
    """
    raw = _svg_bytes(data, max_image_bytes)
    root = _parse_svg(raw)
    found = _svg_credential_elements(root)
    if not found:
        if any(True for _ in root.iter(f"{{{_OB2_SVG_NAMESPACE}}}assertion")):
            raise BakingError("this SVG carries an Open Badges 2.0 assertion, not an Open Badges 3.0 credential "
                              "(read it with unbake_ob2)", reason="no_credential")
        raise BakingError("this SVG is not a baked badge: it has no <openbadges:credential> element "
                          f"in the {OB3_SVG_NAMESPACE} namespace", reason="no_credential")
    if len(found) > 1:
        raise BakingError(f"this SVG carries {len(found)} baked credentials; Open Badges 3.0 allows one",
                          reason="multiple_credentials")
    element = found[0]
    token = element.get("verify")
    body = (element.text or "").strip()
    if token is not None and body:
        raise BakingError("the <openbadges:credential> element has both a verify attribute and content",
                          reason="bad_credential")
    text = token if token is not None else body
    if len(text.encode("utf-8")) > max_credential_bytes:
        raise BakingError(f"the baked credential is over the limit of {max_credential_bytes} bytes",
                          reason="too_large")
    if token is not None and not _JWS_RE.match(token.strip()):
        raise BakingError("the verify attribute of <openbadges:credential> is not a compact JWS",
                          reason="bad_credential")
    return _read_credential_text(text, "baked credential")


# -- Open Badges 2.0 -----------------------------------------------------------------------------------


def _read_ob2_text(text: str) -> dict[str, Any] | str:
    """An OB 2.0 baked value: the hosted assertion's URL, a signed assertion's JWS, or the assertion's JSON."""
    value = text.strip()
    if value.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in value):
        return value
    return _read_credential_text(value, "baked assertion")


def unbake_ob2(
    data: bytes | str,
    *,
    max_image_bytes: int = MAX_IMAGE_BYTES,
    max_credential_bytes: int = MAX_CREDENTIAL_BYTES,
) -> dict[str, Any] | str:
    """The Open Badges 2.0 assertion baked into a PNG (an ``iTXt`` chunk, or a 1.x ``tEXt`` one, with keyword
    ``openbadges``) or an SVG (an ``<openbadges:assertion>`` element in the ``http://openbadges.org``
    namespace: its JSON content, else its ``verify`` attribute): the hosted assertion's URL, a signed
    assertion's compact JWS, or the assertion's JSON. Raises :class:`BakingError` as ``unbake`` does."""
    kind = image_kind(data)
    if kind == "png":
        assert isinstance(data, (bytes, bytearray))
        chunks = _png_chunks(data, max_image_bytes)
        found = [(k, b) for k, b in chunks if k in (b"iTXt", b"tEXt") and _itxt_keyword(b) == _OB2_PNG_KEYWORD]
        if len(found) != 1:
            raise BakingError("this PNG carries no Open Badges 2.0 assertion" if not found else
                              f"this PNG carries {len(found)} Open Badges 2.0 assertions", reason="no_credential")
        chunk, body = found[0]
        if chunk == b"tEXt":
            raw = body.split(b"\x00", 1)[1]
            if len(raw) > max_credential_bytes:
                raise BakingError("the baked assertion is over the size limit", reason="too_large")
            return _read_ob2_text(raw.decode("latin-1"))
        return _read_ob2_text(_parse_itxt(body, max_credential_bytes))
    if kind == "svg":
        root = _parse_svg(_svg_bytes(data, max_image_bytes))
        elements = list(root.iter(f"{{{_OB2_SVG_NAMESPACE}}}assertion"))
        if len(elements) != 1:
            raise BakingError("this SVG carries no Open Badges 2.0 assertion" if not elements else
                              f"this SVG carries {len(elements)} Open Badges 2.0 assertions", reason="no_credential")
        content = (elements[0].text or "").strip()
        text = content or (elements[0].get("verify") or "")
        if len(text.encode("utf-8")) > max_credential_bytes:
            raise BakingError("the baked assertion is over the size limit", reason="too_large")
        return _read_ob2_text(text)
    raise BakingError("not a baked badge image: expected a PNG or an SVG", reason="unsupported")


# -- either --------------------------------------------------------------------------------------------


def image_kind(data: bytes | str) -> str | None:
    """``"png"``, ``"svg"`` or None, from the first bytes (never from a file name or a declared type)."""
    if isinstance(data, str):
        data = data[:512].encode("utf-8", "replace")
    if data[:8] == PNG_SIGNATURE:
        return "png"
    head = data[:4096].removeprefix(_UTF8_BOM).lstrip()
    if head.startswith(b"<") and (b"<svg" in head or head.startswith((b"<?xml", b"<!--"))):
        return "svg"
    return None


def unbake(
    data: bytes | str,
    *,
    max_image_bytes: int = MAX_IMAGE_BYTES,
    max_credential_bytes: int = MAX_CREDENTIAL_BYTES,
) -> dict[str, Any] | str:
    """The credential baked into a PNG or an SVG (told apart by content, not by name)."""
    kind = image_kind(data)
    if kind == "png":
        assert isinstance(data, (bytes, bytearray))
        return unbake_png(data, max_image_bytes=max_image_bytes, max_credential_bytes=max_credential_bytes)
    if kind == "svg":
        return unbake_svg(data, max_image_bytes=max_image_bytes, max_credential_bytes=max_credential_bytes)
    raise BakingError("not a baked badge image: expected a PNG or an SVG", reason="unsupported")


def bake(
    image: bytes | str,
    credential: Mapping[str, Any] | str,
    *,
    max_image_bytes: int = MAX_IMAGE_BYTES,
    max_credential_bytes: int = MAX_CREDENTIAL_BYTES,
) -> bytes:
    """Bake into a PNG or an SVG, told apart by content."""
    kind = image_kind(image)
    if kind == "png":
        assert isinstance(image, (bytes, bytearray))
        return bake_png(image, credential, max_image_bytes=max_image_bytes, max_credential_bytes=max_credential_bytes)
    if kind == "svg":
        return bake_svg(image, credential, max_image_bytes=max_image_bytes, max_credential_bytes=max_credential_bytes)
    raise BakingError("only PNG and SVG images can be baked", reason="unsupported")
