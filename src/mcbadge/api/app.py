"""The application factory: ``create_app(settings) -> FastAPI``."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..config import Settings
from ..db import make_engine, make_sessionmaker, upgrade_to_head
from ..keystore import keystore_from_settings
from . import issuers, problems, verification
from .deps import Services

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("mcbadge")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. Creates the configured issuer's signing key on first start (see mcbadge.keystore)."""
    settings = settings or Settings()
    keystore = keystore_from_settings(settings)
    did = issuers.issuer_did(settings.public_base_url, settings.issuer_slug)
    signing_key = keystore.load_or_create(settings.issuer_slug, did)
    log.info("issuer %s signs as %s", settings.issuer_slug, signing_key.verification_method)

    app = FastAPI(
        title="mcbadge",
        version=_version(),
        summary="Teachers' micro-credentials as Open Badges 3.0 verifiable credentials",
    )
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)  # the same migrations on SQLite and PostgreSQL; a no-op when up to date
    app.state.engine = engine
    app.state.services = Services(
        settings=settings,
        keystore=keystore,
        resolver=issuers.local_resolver(keystore, settings.public_base_url),
        sessions=make_sessionmaker(engine),
        blob_dir=settings.blob_dir,
    )
    from ..submissions.routes import UPLOAD_PATHS

    problems.install(app, max_body_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes,
                     upload_paths=UPLOAD_PATHS)

    @app.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        """Liveness: the process is up and answering."""
        return {"status": "ok"}

    app.include_router(issuers.router)
    app.include_router(verification.router)
    from ..vcapi.routes import router as vcapi_router  # the W3C VC API (feature routers import api modules)

    app.include_router(vcapi_router)
    from ..assessments.routes import router as assessments_router
    from ..catalog.routes import router as catalog_router
    from ..issuer.routes import router as issuer_router
    from ..people.routes import router as people_router
    from ..submissions.routes import router as submissions_router

    app.include_router(issuer_router)
    app.include_router(catalog_router)
    app.include_router(people_router)
    app.include_router(submissions_router)
    app.include_router(assessments_router)
    from ..credentials import routes as credential_routes  # feature routers import api modules: import late
    from ..status import routes as status_routes

    app.include_router(credential_routes.router)
    app.include_router(credential_routes.public_router)
    app.include_router(status_routes.router)
    from ..oauth import routes as oauth_routes
    from ..obapi import router as ob_router

    app.include_router(oauth_routes.router)
    app.include_router(oauth_routes.admin_router)
    app.include_router(ob_router)
    from .. import web

    app.include_router(web.router)
    app.mount("/assets", StaticFiles(directory=web.STATIC_DIR), name="assets")
    return app
