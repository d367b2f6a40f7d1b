"""Alembic, driven from code: the same migrations create and upgrade SQLite and PostgreSQL databases."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None) -> Config:
    # alembic is imported by the functions that migrate, not at the top: it takes a tenth of a second or more,
    # and mcbadge.db (this module with it) is imported by everything that reads the database, such as
    # `mcbadge verify`, which never migrates.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@cache
def head_revision() -> str:
    """The newest migration's revision. Alembic finds it by compiling every migration file (~0.1 s, at each
    call); the files are part of the installed package, so once per process is enough."""
    from alembic.script import ScriptDirectory  # imported here: see alembic_config

    head = ScriptDirectory.from_config(alembic_config(None)).get_current_head()
    if head is None:  # a broken installation, not a state of the database
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database schema to the newest migration (safe to run at every start: a database already there
    is left alone after one query), logging one line when it migrated (alembic's own lines are quieted in
    mcbadge.logs: at every start they said nothing useful)."""
    from alembic import command  # imported here: see alembic_config
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
    if before == head_revision():
        return
    command.upgrade(alembic_config(engine), "head")
    log.info("database migrated from %s to %s", before or "an empty database", head_revision())
