"""A stable identity: the service refuses to start under a public base URL that would orphan the credentials
it issued (their did:web issuers would no longer resolve), unless the operator lists the old URL; the
command line says so in one line (issue 13, part 5)."""

from __future__ import annotations

from typing import Any

import pytest

from mcbadge import cli
from mcbadge.api.app import create_app
from mcbadge.identity import BaseUrlChanged
from tests.command_line import mcbadge_in_process
from tests.factories.credentials import award_one
from tests.factories.tenants import Tenant
from tests.live_server import LiveServer, cli_env


def _moved(server: LiveServer, **overrides: Any) -> Any:
    return server.settings.model_copy(update={"public_base_url": "https://badges.new-district.example.org", **overrides})


def test_a_changed_base_url_is_refused_once_credentials_exist(server: LiveServer, tenant: Tenant) -> None:
    # Nothing issued yet: any URL is the first one.
    create_app(_moved(server)).state.engine.dispose()
    issued = award_one(server, tenant)
    with pytest.raises(BaseUrlChanged) as refused:
        create_app(_moved(server))
    message = str(refused.value)
    assert "\n" not in message and issued.document["issuer"]["id"] in message
    assert "MCBADGE_PREVIOUS_PUBLIC_BASE_URLS" in message and "docs/OPERATIONS.md" in message
    # The operator lists the old URL: the move is deliberate, and the service starts.
    moved = create_app(_moved(server, previous_public_base_urls=f"https://old.example.org, {server.base_url}/"))
    moved.state.engine.dispose()
    # The same URL as before starts as always.
    create_app(server.settings).state.engine.dispose()


def test_mcbadge_serve_refuses_in_one_line(server: LiveServer, tenant: Tenant,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``mcbadge serve`` run in this process (tests/command_line.py: a subprocess costs seconds); should it not
    refuse, it fails here rather than serving in the test's process."""
    award_one(server, tenant)
    env = cli_env(server) | {"MCBADGE_PUBLIC_BASE_URL": "https://badges.new-district.example.org"}

    def started(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("mcbadge serve started the service under a changed base URL")

    monkeypatch.setattr(cli.uvicorn, "run", started)
    run = mcbadge_in_process(env, "serve", "--port", "1")
    assert run.returncode == 2, run.stderr
    [line] = [l for l in run.stderr.splitlines() if l.startswith("mcbadge: error:")]
    assert "would no longer resolve" in line and "Traceback" not in run.stderr
