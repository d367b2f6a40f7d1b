"""The application factory: ``create_app(settings) -> FastAPI``."""

from __future__ import annotations

import atexit
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from ..assessments.routes import router as assessments
from ..award_imports.routes import router as award_imports
from ..calibration.routes import router as calibration
from ..catalog.routes import router as catalog
from ..clr.routes import router as clr
from ..config import Settings
from ..credentials import routes as credentials
from ..db import make_engine, make_sessionmaker, upgrade_to_head
from ..events.routes import router as events
from ..events.worker import OutboxWorker
from ..identity import BaseUrlChanged, check_stable_identity, issuer_did
from ..issuer import routes as issuer
from ..keystore import keystore_from_settings
from ..limits import MAX_JSON_BYTES
from ..logs import configure_logging
from ..metrics import worker_exited
from ..oauth import routes as oauth
from ..obapi.discovery import API_PATH as OB_API_PATH
from ..obapi.routes import router as ob_api
from ..obpush.routes import router as ob_push
from ..people.routes import router as people
from ..qualifications import routes as qualifications
from ..quality import routes as quality
from ..recognition import routes as recognition
from ..renewal.routes import router as renewal
from ..services import build_services, readiness
from ..stacks.routes import router as stacks
from ..status import routes as status
from ..submissions.routes import UPLOAD_PATHS
from ..submissions.routes import router as submissions
from ..tenants.routes import router as tenants
from ..vcapi.routes import router as vc_api
from ..verification import routes as verification
from ..vetting import routes as vetting
from ..wallet.routes import router as wallet
from ..web import routes as pages
from ..errors import Forbidden
from . import problems
from .client_limits import VerificationsPerClient
from .input_checks import input_check
from .openapi_responses import complete
from .request_ids import RequestIds
from .request_metrics import RequestMetrics, metrics_response

__all__ = ["create_app", "ready_to_serve", "worker_app"]

log = logging.getLogger(__name__)

VERIFICATION_PATHS = ("/verify", "/verify/report", "/credentials/verify", "/presentations/verify", "/api/v1/clrs/verify")
"""The public verification endpoints, each client limited to ``max_verifications_per_client`` in flight."""


def _version() -> str:
    try:
        return version("mcbadge")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. Creates the configured issuer's signing key on first start (see mcbadge.keystore)."""
    settings = settings or Settings()
    keystore = keystore_from_settings(settings)
    did = issuer_did(settings.public_base_url, settings.issuer_slug)
    signing_key = keystore.load_or_create(settings.issuer_slug, did)
    log.info("issuer %s signs as %s", settings.issuer_slug, signing_key.verification_method)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The outbox worker delivers webhooks and e-mail and writes expiry events in the background
        # (mcbadge.events.worker): started with the server, stopped with it.
        worker = OutboxWorker(app.state.services) if settings.events_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="mcbadge",
        version=_version(),
        summary="Teachers' micro-credentials as Open Badges 3.0 verifiable credentials",
        # Every route's path, query and body text checked once, before the route runs (api/input_checks.py).
        dependencies=[Depends(input_check(UPLOAD_PATHS))],
    )
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)  # the same migrations on SQLite and PostgreSQL; a no-op when up to date
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        try:
            check_stable_identity(session, settings.public_base_url, settings.previous_base_urls())
        except BaseUrlChanged:
            engine.dispose()
            raise
    app.state.engine = engine
    app.state.services = build_services(settings, keystore, sessions)
    problems.install(app, max_body_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes,
                     upload_paths=UPLOAD_PATHS, path_limits=[(r"/verify(?:/report)?", settings.max_verify_bytes),
                                                             (r"/api/v1/award-imports", settings.max_import_bytes)],
                     max_json_bytes=MAX_JSON_BYTES)
    # Added last, so outermost: a client over its count is answered before its body is read.
    app.add_middleware(VerificationsPerClient, paths=VERIFICATION_PATHS,
                       max_in_flight=settings.max_verifications_per_client)

    @app.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        """Liveness: the process is up and answering."""
        return {"status": "ok"}

    @app.get("/ready", tags=["service"], responses={
        503: {"description": "Not ready: which part is not, and why", "content": {"application/json": {}}}})
    def ready() -> JSONResponse:
        """Readiness, for a load balancer or an orchestrator: the database answers and the issuer's signing key
        loads. 503 says which part is not ready (nothing else: no paths, no errors' details)."""
        problems = readiness(app.state.services)
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems}, status_code=503,
                                headers={"Retry-After": "5"})
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["service"], response_class=Response, responses={
        200: {"description": "Prometheus text format", "content": {"text/plain": {}}}, **problems.responses(Forbidden)})
    def metrics(request: Request) -> Response:
        """Prometheus text (``mcbadge.metrics``): requests and latency by route, awards, verifications by outcome
        and by check, outbound fetches by result, status lists signed, award imports (rows, outcomes, runs, in
        progress); with several workers, all of theirs together. Open to scrapers on this machine, or with
        ``Authorization: Bearer <MCBADGE_METRICS_TOKEN>``."""
        return metrics_response(request, app.state.services.metrics, settings.metrics_token)

    for router in _routers():
        app.include_router(router)
    _document_the_edge(app)
    app.add_middleware(RequestMetrics, metrics=app.state.services.metrics)
    # Outermost: every line logged for a request, uvicorn's access line included, names its id.
    app.add_middleware(RequestIds)
    app.mount("/assets", StaticFiles(directory=pages.STATIC_DIR), name="assets")
    return app


def ready_to_serve(app: FastAPI) -> FastAPI:
    """``app``, with everything built so far (modules, routes, models, pinned contexts: what lives as long as
    the serving process) moved out of the garbage collector's generations, so that a full collection under load
    scans only what requests made. Without it such a collection paused every request, /health too, for tens of
    ms: the hostile-load test's /health p99 on SQLite went from ~20 ms to over 100 ms as features were added.
    For a process that serves one app (``mcbadge serve`` and its workers), not for tests that build many."""
    gc.collect()
    gc.freeze()
    return app


def worker_app() -> FastAPI:
    """The app of one worker of ``mcbadge serve --workers N``: uvicorn starts each worker as a new process that
    imports this by name, so it sets up logging and reads the settings itself (``serve`` checked them, migrated
    the database and made the key before starting the workers). Everything a request depends on is in the
    shared database (PostgreSQL), key and blob directories; the counters are shared through prometheus-client's
    multiprocess directory (``mcbadge.metrics``)."""
    settings = Settings()
    configure_logging(json_lines=settings.log_format == "json")
    atexit.register(worker_exited, os.getpid())
    return ready_to_serve(create_app(settings))


def _document_the_edge(app: FastAPI) -> None:
    """The OpenAPI document with what the edge answers on every route (``api.openapi_responses``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(build(), own_error_format=lambda path: path.startswith(OB_API_PATH),
                                          rate_limited=VERIFICATION_PATHS, untouched=("/health",))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to change the document


def _routers() -> list[APIRouter]:
    """Every router, in the order of the flow."""
    # Requests are matched against the routers in this order, route by route (FastAPI keeps included
    # routers nested), so the hottest public path, POST /credentials/verify and /verify, comes first:
    # last, it paid for matching every route before it, on every request. The rest follows the flow.
    return [
        verification.router,                               # verify (API)
        issuer.did_router,                                 # DID documents
        issuer.router, people, catalog,                    # define
        submissions,                                       # submit
        assessments,                                       # assess
        calibration,                                       # calibrate assessors
        qualifications.router, qualifications.public_router,  # their qualifications
        quality.router, quality.public_router,             # scoring reliability, turnaround, quality statements
        credentials.router, credentials.public_router,     # award, sign, public credentials
        clr,                                               # CLR 2.0 transcripts of them
        status.router,                                     # publish status
        stacks,                                            # stacks -> designations
        recognition.router, recognition.public_router,     # state recognition registries
        renewal,                                           # renewal reports
        vetting.router, vetting.public_router,             # state vetting of micro-credential versions
        pages.router,                                       # verify (pages)
        oauth.router, oauth.admin_router, ob_api, vc_api,  # standard integrations
        wallet,                                            # delivery to wallets (OpenID4VCI)
        ob_push,                                           # pushing to other hosts' OB 3.0 APIs
        award_imports,                                     # bulk awards from CSV
        events,                                            # webhooks and the delivery log
        tenants,                                           # the platform operator
    ]
