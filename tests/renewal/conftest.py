"""The renewal tests' server trusts two state agencies that will be tenants on it (``STATE_S``, ``STATE_T``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcbadge.identity import issuer_did
from tests.factories.recognition import STATE_S, STATE_T, serving_trusting
from tests.live_server import LiveServer


@pytest.fixture
def server(tmp_path: Path, database_url: str, http_switch: Any) -> Iterator[LiveServer]:
    """As tests/conftest.py's ``server``, trusting the state agencies ``STATE_S`` and ``STATE_T``."""
    trusted = [issuer_did(http_switch.base_url, slug) for slug in (STATE_S, STATE_T)]
    with serving_trusting(tmp_path, database_url, http_switch, trusted) as live:
        yield live
