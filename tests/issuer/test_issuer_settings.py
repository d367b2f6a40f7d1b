"""/api/v1/issuer: the profile credentials show and the award rules, changed by admins only."""

from __future__ import annotations

from mcbadge.db.models import Role

from tests.factories.people import api_key, auth, make_issuer, make_person


def test_admin_reads_and_changes_issuer(server, client):
    with server.app.state.services.sessions() as session, session.begin():
        issuer = make_issuer(session, slug="lakeside")
        admin = auth(api_key(session, make_person(session, issuer, Role.ADMIN)))
        educator = auth(api_key(session, make_person(session, issuer, Role.EDUCATOR)))
    seen = client.get("/api/v1/issuer", headers=educator).json()
    assert seen["slug"] == "lakeside" and seen["did"].endswith(":issuers:lakeside") and seen["auto_approve"] is False
    changed = client.patch("/api/v1/issuer", headers=admin,
                           json={"name": "Lakeside Unified", "url": "https://lakeside.example/", "auto_approve": True,
                                 "validity_days": 1825})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Lakeside Unified" and changed.json()["validity_days"] == 1825
    assert client.patch("/api/v1/issuer", headers=admin, json={"no_expiry": True}).json()["validity_days"] is None
    denied = client.patch("/api/v1/issuer", headers=educator, json={"auto_approve": True})
    assert denied.status_code == 403 and denied.headers["content-type"] == "application/problem+json"
    bad = client.patch("/api/v1/issuer", headers=admin, json={"validity_days": -1, "colour": "red"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert client.patch("/api/v1/issuer", headers=admin, json={"name": None}).status_code == 422
