"""Alembic environment: the engine comes from mcbadge (``config.attributes['engine']``), never from an ini."""

from __future__ import annotations

from alembic import context

from mcbadge.db.models import Base
import mcbadge.db.oauth_models  # noqa: F401  (registers the OAuth and OB API tables on Base)
import mcbadge.db.vcapi_models  # noqa: F401  (registers the W3C VC API tables on Base)

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
