"""The demo catalogue of `make run`: seeded once, with working API keys and publishable content."""

from __future__ import annotations

from sqlalchemy import func, select

from mcbadge.principal import authenticate
from mcbadge.db.models import MicroCredential, Role
from mcbadge.demo import seed_demo


def test_demo_seeds_once_with_working_keys(server):
    sessions = server.app.state.services.sessions
    keys = seed_demo(sessions, slug="demo-district", name="Demo District", base_url=server.base_url)
    assert keys is not None
    assert seed_demo(sessions, slug="demo-district", name="Demo District", base_url=server.base_url) is None
    with sessions() as session:
        assert authenticate(session, keys.admin).role is Role.ADMIN
        assert authenticate(session, keys.assessor).role is Role.ASSESSOR
        assert authenticate(session, keys.educator).role is Role.EDUCATOR
        catalogue = session.scalars(select(MicroCredential)).all()
        assert len(catalogue) == 2
        for mc in catalogue:
            levels = [level["key"] for level in mc.rubric["levels"]]
            assert len(levels) == 4 and 3 <= len(mc.rubric["criteria"]) <= 4
            assert all(c["required_level"] in levels for c in mc.rubric["criteria"])
            assert mc.requirements
        assert session.scalar(select(func.count()).select_from(MicroCredential)) == 2
