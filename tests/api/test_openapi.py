"""openapi/openapi.json is the app's OpenAPI document; regenerate it with `mcbadge openapi` after API changes."""

from __future__ import annotations

from mcbadge.api.openapi_doc import openapi_document
from tests.reference_data import REPO

COMMITTED = REPO / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app():
    assert COMMITTED.read_text(encoding="utf-8") == openapi_document(), (
        "openapi/openapi.json is out of date: run `.venv/bin/mcbadge openapi`"
    )
