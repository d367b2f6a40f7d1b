"""The OpenAPI document of the service, as committed in ``openapi/openapi.json``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ..config import Settings
from .app import create_app


def openapi_document() -> str:
    """The app's OpenAPI JSON, stable text (sorted keys), built without touching real keys or data."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            keys_dir=Path(tmp) / "keys",
            database_url=f"sqlite:///{Path(tmp) / 'openapi.db'}",
            blob_dir=Path(tmp) / "blobs",
            key_passphrase="openapi-only",  # type: ignore[arg-type]
        )
        app = create_app(settings)
        try:
            return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        finally:
            app.state.engine.dispose()
