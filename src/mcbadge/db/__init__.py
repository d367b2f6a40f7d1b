"""The database: ORM models (``models``), engines and sessions (``session``), Alembic migrations."""

from .migrate import upgrade_to_head
from .session import make_engine, make_sessionmaker, transaction

__all__ = ["make_engine", "make_sessionmaker", "transaction", "upgrade_to_head"]
