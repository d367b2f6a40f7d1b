"""The Alembic migrations build exactly the ORM schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mcbadge.db import make_engine, upgrade_to_head
from mcbadge.db.models import Base


def _drift(url: str) -> list:
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        upgrade_to_head(engine)  # idempotent: a second start changes nothing
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()


def test_sqlite_schema_matches_models(tmp_path):
    assert _drift(f"sqlite:///{tmp_path / 'm.db'}") == []


def test_postgresql_schema_matches_models(postgres_cluster):
    assert _drift(postgres_cluster.create_database("migrations")) == []


def test_a_start_logs_one_line_when_it_migrates_and_none_when_up_to_date(tmp_path, caplog):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        with caplog.at_level("INFO"):
            upgrade_to_head(engine)
            first = [r.getMessage() for r in caplog.records]
            caplog.clear()
            upgrade_to_head(engine)
            second = [r.getMessage() for r in caplog.records if r.name.startswith("mcbadge")]
    finally:
        engine.dispose()
    assert [m for m in first if m.startswith("database migrated from an empty database to ")] == first[-1:]
    assert second == []
