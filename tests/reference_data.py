"""Access to the vendored standard data under tests/vectors and tests/contexts (see tests/PROVENANCE.json)."""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from mcbadge.vc.contexts import PINNED_LOADER, PinnedLoader

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
VECTORS = TESTS / "vectors"
EDDSA = VECTORS / "eddsa-rdfc-2022"
OB = VECTORS / "ob-v3p0"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
CITIZENSHIP_V4RC1 = "https://w3id.org/citizenship/v4rc1"

# The 1EdTech OB 3.0 Linked Data Proof test vector (ob-v3p0/linked-data-proof-ob.html).
OB_ISSUER = "https://example.edu/issuers/565049"
OB_PUBLIC = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
OB_SECRET = "zrv2bqTbNwCTsRrHFcJCPjVAduh4Ezcnoq1A3ZxH1GWTNkxipLVuaAoMFmze2gFN9oNXfJjufxSHWVZzsJiUsMHFMcx"
OB_VERIFICATION_METHOD = f"{OB_ISSUER}#{OB_PUBLIC}"
OB_CREATED = "2010-01-01T19:23:24Z"
OB_PROOF_VALUE = "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def pre_blocks(path: Path) -> list[tuple[str, Any]]:
    """(title attribute, parsed JSON) of every <pre> block of a spec page that starts with JSON."""
    page = path.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"<pre([^>]*)>(.*?)</pre", page, re.S):
        text = html.unescape(match.group(2)).strip()
        if not text.startswith("{"):
            continue
        try:
            doc, _ = json.JSONDecoder().raw_decode(text)
        except ValueError:
            continue
        title = re.search(r'title="([^"]*)"', match.group(1))
        blocks.append((title.group(1) if title else "", doc))
    return blocks


def ob_vector_credential() -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of the 1EdTech test vector."""
    return next(doc for title, doc in pre_blocks(OB / "linked-data-proof-ob.html") if title == "Credential")


@cache
def examples_loader() -> PinnedLoader:
    """The pinned contexts plus the W3C example contexts that only the test vectors use."""
    return PINNED_LOADER.with_documents(
        {
            EXAMPLES_V2: (TESTS / "contexts" / "credentials-examples-v2.jsonld").read_bytes(),
            CITIZENSHIP_V4RC1: (TESTS / "contexts" / "citizenship-v4rc1.jsonld").read_bytes(),
        }
    )
