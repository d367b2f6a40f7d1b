"""State agencies on the test server and their recognition registries, through the public API: make a tenant
a state agency, publish a registry naming micro-credentials, and serve an app that trusts given states."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from mcbadge.api.app import create_app
from mcbadge.db.models import IssuerKind, MicroCredential
from tests.factories.tenants import Tenant, make_tenant
from tests.live_server import LiveServer, make_settings

STATE_S, STATE_T = "state-s", "state-t"
"""Slugs of two state-agency tenants a test server can be told to trust."""


@contextmanager
def serving_trusting(tmp_path: Path, database_url: str, http_switch: Any, trusted: list[str],
                     **overrides: Any) -> Iterator[LiveServer]:
    """As tests/conftest.py's ``server``, with ``MCBADGE_TRUSTED_STATES`` set to ``trusted``."""
    base = http_switch.base_url
    settings = make_settings(tmp_path, public_base_url=base, port=http_switch.port, database_url=database_url,
                             trusted_states=",".join(trusted), **overrides)
    app = create_app(settings)
    try:
        with http_switch.serving(app):
            yield LiveServer(app, settings, base)
    finally:
        app.state.engine.dispose()


def make_agency(server: LiveServer, slug: str, name: str | None = None) -> Tenant:
    """A state-agency tenant (as the platform operator creates one), named ``name`` or "<SLUG> Education Agency"."""
    return make_tenant(server.app.state.services.sessions, slug, kind=IssuerKind.STATE_AGENCY,
                       name=name or f"{slug.upper()} Education Agency")


def microcredential_key(server: LiveServer, microcredential_id: Any) -> str:
    with server.app.state.services.sessions() as session:
        return session.get_one(MicroCredential, microcredential_id).key


def registry_entry(issuer_slug: str, key: str, **overrides: Any) -> dict[str, Any]:
    """A registry entry (``POST /api/v1/recognition-registries``) for version 1 of a micro-credential here:
    Mathematics, 1 of the 3 required, effective 2024-01-01 to 2030-12-31 unless overridden."""
    return {"microcredential": {"issuer": issuer_slug, "key": key, "version": 1},
            "endorsement_areas": ["Mathematics"], "credit": {"kind": "count", "count": 1, "required": 3},
            "effective_from": "2024-01-01", "effective_until": "2030-12-31", **overrides}


def publish_registry(client: httpx.Client, agency: Tenant, entries: list[dict[str, Any]],
                     accepts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    response = client.post("/api/v1/recognition-registries", json={"entries": entries, "accepts": accepts or [],
                                                                 "valid_from": "2024-01-01T00:00:00Z"},
                           headers=agency.headers())
    assert response.status_code == 201, response.text
    return response.json()
