"""Alembic, driven from code: the same migrations create and upgrade SQLite and PostgreSQL databases."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database schema to the newest migration (safe to run at every start), logging one line when
    it migrated (alembic's own lines are quieted in mcbadge.logs: at every start they said nothing useful)."""
    config = alembic_config(engine)
    with engine.connect() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
    command.upgrade(config, "head")
    head = ScriptDirectory.from_config(config).get_current_head()
    if before != head:
        log.info("database migrated from %s to %s", before or "an empty database", head)
