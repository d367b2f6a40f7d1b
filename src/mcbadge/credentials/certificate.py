"""A printable certificate of a credential (PDF, US Letter landscape) with a QR code that leads back to live
verification: for a renewal file or a wall, never a substitute for the credential itself.

fpdf2 lays out the page and segno makes the QR code (both well-kept, pure Python). Text is set in DejaVu Sans
when the system has it (Debian's fonts-dejavu-core; the Dockerfile installs it), so any teacher's name
prints; without it, the PDF core font Helvetica, which has Latin-1 only, and any other character prints as
"?" (logged once).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno

__all__ = ["Certificate", "render_certificate"]

log = logging.getLogger(__name__)

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONTS = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


@dataclass(frozen=True)
class Certificate:
    earner: str
    achievement: str
    kind: str  # "micro-credential" or "designation"
    issuer: str
    issued_on: str  # as printed, e.g. "7 December 2026"
    description: str | None
    verify_url: str
    credential_id: str
    valid_until: str | None = None


@cache
def _unicode_fonts() -> bool:
    found = all((_FONT_DIR / name).is_file() for name in _FONTS.values())
    if not found:
        log.warning("certificates: DejaVu Sans not found in %s; printing with Helvetica (Latin-1 only)", _FONT_DIR)
    return found


def _text(value: str, unicode_fonts: bool) -> str:
    return value if unicode_fonts else value.encode("latin-1", "replace").decode("latin-1")


def render_certificate(certificate: Certificate) -> bytes:
    """The certificate as PDF bytes."""
    # Imported here, not at the top: fpdf2 (with numpy and Pillow, which it loads) takes a third of a second to
    # import, which every start of the service and every worker paid for; only this download uses it.
    from fpdf import FPDF

    unicode_fonts = _unicode_fonts()
    pdf = FPDF(orientation="landscape", unit="mm", format="letter")
    pdf.set_title(f"{certificate.achievement} \u2014 {certificate.earner}" if unicode_fonts
                  else _text(f"{certificate.achievement} - {certificate.earner}", False))
    pdf.set_creator("mcbadge")
    pdf.set_auto_page_break(False)
    family = "Helvetica"
    if unicode_fonts:
        for style, name in _FONTS.items():
            pdf.add_font("DejaVu", style, str(_FONT_DIR / name))
        family = "DejaVu"
    pdf.add_page()
    width, height = pdf.w, pdf.h
    t = lambda value: _text(value, unicode_fonts)  # noqa: E731 - one short spelling for every string below

    # A double rule around the page, as certificates have.
    pdf.set_draw_color(30, 64, 96)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, width - 20, height - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, width - 26, height - 26)

    pdf.set_text_color(30, 64, 96)
    pdf.set_font(family, "B", 13)
    pdf.set_xy(20, 26)
    pdf.cell(width - 40, 8, t(f"Certificate of a {certificate.kind}").upper(), align="C")

    pdf.set_text_color(40, 40, 40)
    pdf.set_font(family, "", 13)
    pdf.set_xy(20, 44)
    pdf.cell(width - 40, 8, "This certifies that", align="C")
    pdf.set_font(family, "B", 30)
    pdf.set_xy(20, 55)
    pdf.cell(width - 40, 14, t(certificate.earner), align="C")
    pdf.set_font(family, "", 13)
    pdf.set_xy(20, 74)
    pdf.cell(width - 40, 8, t(f"earned the {certificate.kind}"), align="C")
    pdf.set_font(family, "B", 22)
    pdf.set_xy(30, 84)
    pdf.multi_cell(width - 60, 10, t(certificate.achievement), align="C")
    pdf.set_font(family, "", 12)
    pdf.set_x(20)
    issued = f"issued by {certificate.issuer} on {certificate.issued_on}"
    if certificate.valid_until:
        issued += f", valid until {certificate.valid_until}"
    pdf.cell(width - 40, 8, t(issued), align="C", new_x="LMARGIN", new_y="NEXT")
    if certificate.description:
        pdf.set_font(family, "", 10)
        pdf.set_text_color(90, 90, 90)
        pdf.set_xy(45, pdf.get_y() + 3)
        text = certificate.description if len(certificate.description) <= 320 else certificate.description[:317] + "..."
        pdf.multi_cell(width - 90, 5, t(text), align="C")

    # The QR code to the live badge page, bottom right, and the address written out beside it.
    qr = io.BytesIO()
    segno.make(certificate.verify_url, error="m").save(qr, kind="png", scale=8, border=2)
    qr.seek(0)
    size = 42
    pdf.image(qr, x=width - 20 - size, y=height - 20 - size, w=size, h=size)
    pdf.set_text_color(40, 40, 40)
    pdf.set_font(family, "B", 10)
    pdf.set_xy(22, height - 58)
    pdf.cell(width - 70 - size, 6, "Check it, live:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.set_x(22)
    pdf.cell(width - 70 - size, 5, "Scan the code, or open:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(22)
    pdf.set_font(family, "", 9)  # a whole badge URL on one line
    pdf.multi_cell(width - 70 - size, 5, t(certificate.verify_url), align="L")
    pdf.set_font(family, "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.set_x(22)
    pdf.multi_cell(width - 70 - size, 4, t(
        "This printout is not the credential and carries no signature. The signed Open Badges 3.0 credential "
        "at the address above says whether it is still valid (not revoked, not suspended, not expired) and "
        f"who issued it. Credential {certificate.credential_id}."), align="L")
    return bytes(pdf.output())
