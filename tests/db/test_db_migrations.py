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
