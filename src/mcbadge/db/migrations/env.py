"""Alembic environment: the engine comes from mcbadge (``config.attributes['engine']``), never from an ini."""

from __future__ import annotations

from alembic import context

import mcbadge.db.oauth_models  # noqa: F401  (registers the OAuth and OB API tables on Base)
import mcbadge.db.ob_push_models  # noqa: F401  (registers the OB API push table on Base)
import mcbadge.db.vcapi_models  # noqa: F401  (registers the W3C VC API tables on Base)
import mcbadge.db.wallet_models  # noqa: F401  (registers the wallet-delivery tables on Base)
from mcbadge.db.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch alteration copies a table and drops the old one; with foreign keys on, dropping a table
        # that other rows reference fails (or cascades). The pragma only takes effect outside a
        # transaction, so it goes straight to the driver's connection; the check below replaces it.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
        connection.commit()
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
