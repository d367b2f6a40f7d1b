"""Open Badges 3.0 baking: PNG (iTXt ``openbadgecredential``) and SVG (``<openbadges:credential>``).

Round trips for JSON-LD and VC-JWT, the chunk read back by independent readers (Pillow, and pypng's CRC
check), one credential after re-baking, every kind of malformed or hostile input refused with
``BakingError``, and a signed credential that still verifies after a trip through an image.
"""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime, timezone
from typing import Any

import png
import pytest
from PIL import Image

from mcbadge.vc.baking import (
    OB3_SVG_NAMESPACE,
    bake,
    bake_png,
    bake_svg,
    unbake,
    unbake_png,
    unbake_svg,
)
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import DidResolver, did_key_from_public
from mcbadge.vc.errors import BakingError, CredentialError
from mcbadge.vc.jwt import encode_vc_jwt
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.verify import Outcome, verify

from tests.factories.credentials import EVIDENCE_FILES, rich_credential
from tests.reference_data import REPO

STATIC = REPO / "src" / "mcbadge" / "credentials" / "static"
JWT = "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2lnbmF0dXJl"
SVG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
    '  <!-- a comment that must survive -->\n'
    '  <rect width="10" height="10" fill="#123456" data-note="a &gt; b"/>\n'
    "</svg>\n"
)


def small_png(size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (20, 92, 102)).save(out, "PNG")
    return out.getvalue()


def raw_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(bytes(k), bytes(v)) for k, v in png.Reader(bytes=data).chunks()]


def write_png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = io.BytesIO()
    png.write_chunks(out, chunks)
    return out.getvalue()


def itxt(keyword: bytes, text: bytes, flag: int = 0) -> tuple[bytes, bytes]:
    return b"iTXt", keyword + b"\x00" + bytes([flag, 0]) + b"\x00\x00" + text


def credential_chunks(data: bytes) -> list[bytes]:
    return [v for k, v in raw_chunks(data) if k == b"iTXt" and v.startswith(b"openbadgecredential\x00")]


# -- PNG -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", [rich_credential(), JWT], ids=["json-ld", "jwt"])
def test_png_round_trip(credential: Any) -> None:
    image = small_png()
    baked = bake_png(image, credential)
    assert unbake_png(baked) == credential
    assert unbake(baked) == credential
    # The pixels are untouched: a viewer shows the same image.
    assert Image.open(io.BytesIO(baked)).tobytes() == Image.open(io.BytesIO(image)).tobytes()


def test_png_chunk_is_well_formed_itxt_before_iend() -> None:
    credential = rich_credential(text_extra=" — équivalent ✓")
    baked = bake_png(small_png(), credential)
    chunks = raw_chunks(baked)  # pypng checks every CRC and raises on a bad one
    assert chunks[-1][0] == b"IEND" and chunks[-2][0] == b"iTXt"
    body = chunks[-2][1]
    keyword, rest = body.split(b"\x00", 1)
    assert keyword == b"openbadgecredential"
    assert rest[0] == 0 and rest[1] == 0  # compression flag and method: uncompressed
    assert rest[2:4] == b"\x00\x00"  # empty language tag and translated keyword
    # The CRC, checked independently of pypng.
    start = baked.index(b"iTXt") - 4
    (length,) = struct.unpack(">I", baked[start:start + 4])
    (crc,) = struct.unpack(">I", baked[start + 8 + length:start + 12 + length])
    assert crc == zlib.crc32(b"iTXt" + body) & 0xFFFFFFFF
    # Pillow, an independent PNG reader, reads the iTXt text back as the credential JSON.
    image = Image.open(io.BytesIO(baked))
    image.load()
    assert "équivalent ✓" in image.text["openbadgecredential"]


def test_png_rebake_replaces_the_credential() -> None:
    once = bake_png(small_png(), rich_credential())
    twice = bake_png(once, JWT)
    assert len(credential_chunks(twice)) == 1
    assert unbake_png(twice) == JWT
    thrice = bake_png(twice, rich_credential())
    assert len(credential_chunks(thrice)) == 1 and unbake_png(thrice) == rich_credential()


def test_committed_badge_png_is_a_256_square_png_that_bakes() -> None:
    base = (STATIC / "badge.png").read_bytes()
    assert Image.open(io.BytesIO(base)).size == (256, 256)
    assert unbake(bake(base, JWT)) == JWT


def _truncated() -> bytes:
    return small_png()[:-20]


def _bad_crc() -> bytes:
    data = bytearray(small_png())
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF  # a byte inside the IDAT data: its CRC no longer matches
    return bytes(data)


def _no_iend() -> bytes:
    return small_png()[:-12]


def _length_beyond_data() -> bytes:
    data = bytearray(small_png())
    idat = data.index(b"IDAT")
    data[idat - 4:idat] = struct.pack(">I", 0x7FFFFFF0)
    return bytes(data)


def _two_credentials() -> bytes:
    chunks = raw_chunks(small_png())
    extra = [itxt(b"openbadgecredential", b'{"a":1}'), itxt(b"openbadgecredential", JWT.encode())]
    return write_png(chunks[:-1] + extra + chunks[-1:])


def _compressed() -> bytes:
    chunks = raw_chunks(small_png())
    return write_png(chunks[:-1] + [itxt(b"openbadgecredential", zlib.compress(b'{"a":1}'), flag=1)] + chunks[-1:])


def _not_a_credential() -> bytes:
    chunks = raw_chunks(small_png())
    return write_png(chunks[:-1] + [itxt(b"openbadgecredential", b"hello, world")] + chunks[-1:])


def _ob2() -> bytes:
    chunks = raw_chunks(small_png())
    return write_png(chunks[:-1] + [itxt(b"openbadges", b'{"a":1}')] + chunks[-1:])


@pytest.mark.parametrize(
    ("make", "reason", "words"),
    [
        (lambda: b"GIF89a not a png", "unsupported", "not a PNG"),
        (lambda: b"\x89PNG\r\n\x1a\n", "malformed", "no IEND"),
        (_truncated, "malformed", "malformed PNG"),
        (_bad_crc, "malformed", "Checksum error"),
        (_no_iend, "malformed", "no IEND"),
        (_length_beyond_data, "malformed", "too short"),
        (small_png, "no_credential", "not a baked badge"),
        (_two_credentials, "multiple_credentials", "2 baked credentials"),
        (_compressed, "bad_credential", "compressed"),
        (_not_a_credential, "bad_credential", "neither JSON nor a compact JWS"),
        (_ob2, "no_credential", "Open Badges 2.0"),
    ],
    ids=["not-png", "signature-only", "truncated", "bad-crc", "no-iend", "length-beyond-data", "no-credential",
         "two-credentials", "compressed", "not-a-credential", "ob2"],
)
def test_png_unbake_refuses(make: Any, reason: str, words: str) -> None:
    with pytest.raises(BakingError) as caught:
        unbake_png(make())
    assert caught.value.reason == reason
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, CredentialError)


def test_png_limits() -> None:
    image = small_png()
    with pytest.raises(BakingError, match="over the limit") as caught:
        unbake_png(image, max_image_bytes=len(image) - 1)
    assert caught.value.reason == "too_large"
    with pytest.raises(BakingError, match="over the limit"):
        bake_png(image, rich_credential(), max_credential_bytes=100)
    baked = bake_png(image, rich_credential())
    with pytest.raises(BakingError, match="over the limit"):
        unbake_png(baked, max_credential_bytes=100)


def test_bake_refuses_bad_images_and_credentials() -> None:
    with pytest.raises(BakingError, match="malformed PNG"):
        bake_png(_bad_crc(), JWT)
    with pytest.raises(BakingError, match="compact JWS"):
        bake_png(small_png(), "not a token")
    with pytest.raises(BakingError, match="JSON object or a compact JWS"):
        bake_png(small_png(), 42)  # type: ignore[arg-type]
    with pytest.raises(BakingError, match="only PNG and SVG"):
        bake(b"\xff\xd8\xff\xe0 a jpeg", JWT)


# -- SVG -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", [rich_credential(), JWT], ids=["json-ld", "jwt"])
def test_svg_round_trip(credential: Any) -> None:
    baked = bake_svg(SVG, credential)
    assert unbake_svg(baked) == credential
    assert unbake(baked) == credential
    text = baked.decode()
    assert f'xmlns:openbadges="{OB3_SVG_NAMESPACE}"' in text
    # The element comes directly after the <svg ...> start tag, and the rest of the image is kept as is.
    after_root = text.split('viewBox="0 0 10 10"', 1)[1]
    assert after_root.split(">", 1)[1].startswith("<openbadges:credential")
    assert "<!-- a comment that must survive -->" in text and 'data-note="a &gt; b"' in text
    if isinstance(credential, str):
        assert f'<openbadges:credential verify="{JWT}"></openbadges:credential>' in text
    else:
        assert "<openbadges:credential><![CDATA[{" in text


def test_svg_cdata_terminator_in_the_credential() -> None:
    credential = rich_credential(text_extra=" ]]> <script>&amp;")
    assert unbake_svg(bake_svg(SVG, credential)) == credential


def test_svg_rebake_replaces_the_credential() -> None:
    once = bake_svg(SVG, rich_credential())
    twice = bake_svg(once, JWT)
    assert twice.count(b"<openbadges:credential") == 1
    assert twice.count(b"xmlns:openbadges") == 1
    assert unbake_svg(twice) == JWT


def test_svg_self_closing_root_and_bytes_with_bom() -> None:
    baked = bake_svg(b'<svg xmlns="http://www.w3.org/2000/svg"/>', JWT)
    assert baked.endswith(b"</openbadges:credential></svg>")
    assert unbake(baked) == JWT
    assert unbake(bake_svg(b"\xef\xbb\xbf" + SVG.encode(), JWT)) == JWT


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [\n <!ENTITY a "aaaaaaaaaa">\n'
    + "".join(f' <!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9))
    + ']>\n<svg xmlns="http://www.w3.org/2000/svg"><text>&j;</text></svg>'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
)
EXTERNAL_DTD = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://127.0.0.1:9/svg11.dtd">\n'
    '<svg xmlns="http://www.w3.org/2000/svg"/>'
)


@pytest.mark.parametrize("svg", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["billion-laughs", "xxe", "dtd"])
def test_svg_hostile_xml_refused_without_expansion(svg: str) -> None:
    for operation in (unbake_svg, lambda data: bake_svg(data, JWT)):
        with pytest.raises(BakingError, match="refused SVG") as caught:
            operation(svg)
        assert caught.value.reason == "malformed"


@pytest.mark.parametrize(
    ("svg", "reason", "words"),
    [
        (SVG, "no_credential", "not a baked badge"),
        ("<svg xmlns='http://www.w3.org/2000/svg'><rect>", "malformed", "malformed SVG"),
        ("<html xmlns='http://www.w3.org/1999/xhtml'/>", "unsupported", "root element is not <svg>"),
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="{OB3_SVG_NAMESPACE}">'
            f'<ob:credential verify="{JWT}"/><ob:credential verify="{JWT}"/></svg>',
            "multiple_credentials", "2 baked credentials",
        ),
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="{OB3_SVG_NAMESPACE}">'
            "<ob:credential>not json</ob:credential></svg>",
            "bad_credential", "neither JSON nor a compact JWS",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
            '<openbadges:assertion verify="a.b.c"/></svg>',
            "no_credential", "Open Badges 2.0",
        ),
        ('<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>'.encode("latin-1"),
         "unsupported", "only UTF-8"),
        (b"\x1f\x8b\x08\x00 gzip", "unsupported", "svgz"),
    ],
    ids=["no-credential", "malformed", "not-svg", "two-credentials", "not-json", "ob2", "latin-1", "svgz"],
)
def test_svg_unbake_refuses(svg: str | bytes, reason: str, words: str) -> None:
    with pytest.raises(BakingError) as caught:
        unbake_svg(svg)
    assert caught.value.reason == reason
    assert words in str(caught.value)


def test_svg_prefix_bound_elsewhere_and_limits() -> None:
    clash = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://example.org/other"/>'
    with pytest.raises(BakingError, match="binds the prefix"):
        bake_svg(clash, JWT)
    with pytest.raises(BakingError, match="over the limit") as caught:
        unbake_svg(SVG, max_image_bytes=10)
    assert caught.value.reason == "too_large"


def test_unbake_sniffs_content_not_names() -> None:
    with pytest.raises(BakingError, match="expected a PNG or an SVG") as caught:
        unbake(b'{"not": "an image"}')
    assert caught.value.reason == "unsupported"


# -- a signed credential survives the trip -------------------------------------------------------------


def _signer() -> Ed25519KeyPair:
    key = Ed25519KeyPair.generate()
    return key.bound(did_key_from_public(key.public_key))


@pytest.mark.parametrize("kind", ["png", "svg"])
@pytest.mark.parametrize("proof", ["data-integrity", "jwt"])
def test_baked_credential_still_verifies(kind: str, proof: str) -> None:
    key = _signer()
    now = datetime.now(timezone.utc)
    unsigned = rich_credential(issuer_id=key.controller or "")
    credential: Any = (sign_credential(unsigned, key) if proof == "data-integrity"
                       else encode_vc_jwt(unsigned, key, now=now))
    image = small_png() if kind == "png" else SVG.encode()
    out = unbake(bake(image, credential))
    report = verify(out, resolver=DidResolver(), now=now, evidence_files=[EVIDENCE_FILES["lesson-video"]])
    assert report.verified, report.summary
    assert report.check("evidence_digest").outcome is Outcome.PASSED  # type: ignore[union-attr]


def test_tampered_after_unbaking_fails_the_proof() -> None:
    key = _signer()
    signed = sign_credential(rich_credential(issuer_id=key.controller or ""), key)
    out = unbake_png(bake_png(small_png(), signed))
    assert isinstance(out, dict)
    out["credentialSubject"]["achievement"]["name"] = "Something Else"
    report = verify(out, resolver=DidResolver(), now=datetime.now(timezone.utc))
    assert not report.verified
    assert report.check("proof").outcome is Outcome.FAILED  # type: ignore[union-attr]
