"""The service's badge image with a credential baked in (Open Badges 3.0 baking), for the public downloads.

PNG: the committed 256×256 ``static/badge.png``. SVG: ``static/badge.svg`` with the achievement's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from ..vc import baking
from ..verification.reading import credential_summary

__all__ = ["baked_badge"]

STATIC_DIR = Path(__file__).resolve().parent / "static"


@lru_cache(maxsize=1)
def _badge_png() -> bytes:
    return (STATIC_DIR / "badge.png").read_bytes()


@lru_cache(maxsize=1)
def _badge_svg_template() -> Template:
    return Template((STATIC_DIR / "badge.svg").read_text(encoding="utf-8"))


def _shorten(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def baked_badge(credential: Mapping[str, Any] | str, document: Mapping[str, Any], kind: str) -> bytes:
    """The service's badge image (``kind`` "png" or "svg") with ``credential`` (the signed JSON, or the
    VC-JWT) baked in."""
    if kind == "png":
        return baking.bake_png(_badge_png(), credential)
    summary = credential_summary(document) or {}
    name = summary.get("achievement", {}).get("name") or summary.get("name") or "Open Badge"
    svg = _badge_svg_template().substitute(
        name=xml_escape(_shorten(name)), label=xml_escape(name, {'"': "&quot;"}))
    return baking.bake_svg(svg, credential)
