"""The ``mcbadge`` command: ``init``, ``serve``, ``verify``, ``rotate-key``, ``openapi``, ``designations
recheck``, and the operator's ``tenants create|list|disable|enable``, ``keys create``, ``people import``,
``operator-keys create``, ``awards import``, ``backup``, ``restore`` and ``export credentials`` (run where the data
and keys are: that is the trust boundary).

Settings come from ``MCBADGE_*`` environment variables (see mcbadge.config). Expected failures (an
unreadable file, a wrong passphrase, input that is not a credential) print one line to stderr and exit 2;
no command prints a private key or a passphrase.

Exit codes of ``verify``: 0 verified, 1 not verified, 2 the input could not be read as a credential.

The HTTP app (``mcbadge.api.app``: every route, page and their dependencies) is imported by the two commands that
build it, ``serve`` and ``openapi``, when they run, not at the top of this module: it was most of the time every
other command took to start (``mcbadge verify badge.png`` waited for it). tests/test_layers.py allows exactly
these two imports inside functions.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import uvicorn
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .award_imports import service as award_imports
from .backup import BackupError, backup as make_backup, restore as restore_backup
from .config import Settings
from .credentials.export import ExportFormat, export_credentials
from .db import make_engine, make_sessionmaker, upgrade_to_head
from .db.models import AwardImport, DesignationStatus, IssuerKind, Role
from .db.session import read, transaction
from .errors import DomainError
from .features import PageParams
from .principal import issue_operator_key
from .demo import seed_demo
from .identity import BaseUrlChanged, check_stable_identity, issuer_did
from .keystore import KeystoreError, keystore_from_settings
from .logs import configure_logging
from .metrics import MULTIPROCESS_DIR
from .services import Services, build_services
from .stacks import service as stacks
from .stacks.schemas import DesignationRead
from .tenants import service as tenants_service
from .tenants.schemas import KeyCreate, TenantCreate
from .vc.verify import Outcome
from .verification.inputs import from_file
from .verification.service import verify_given

# Pretty tracebacks are off: with locals shown they would print the settings, passphrase included.
app = typer.Typer(
    name="mcbadge",
    help="Teachers' micro-credentials as Open Badges 3.0 verifiable credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

M = TypeVar("M", bound=BaseModel)

WORKER_HEALTHCHECK_S = 60
"""How long uvicorn waits for a worker to answer its health ping before it kills and replaces it. A new worker is
a new interpreter that imports the whole service before it can answer (uvicorn starts workers with "spawn"):
a few seconds on an idle machine, over 30 on a saturated one, where uvicorn's default (5 s) made it replace
workers in a loop. A worker that hangs is still replaced, after a minute."""

EXIT_NOT_VERIFIED = 1
EXIT_ROWS_REFUSED = 1
EXIT_BAD_INPUT = 2


def _fail(message: str) -> NoReturn:
    typer.echo(f"mcbadge: error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError; one line, not a traceback
        _fail(f"invalid MCBADGE_ settings: {' '.join(str(exc).split())}")


def _configure_logging() -> None:
    try:
        json_lines = Settings().log_format == "json"
    except Exception:  # noqa: BLE001 - invalid settings are reported by the command itself, in one line
        json_lines = False
    configure_logging(json_lines=json_lines)  # every line redacted (mcbadge.logs)


@app.command()
def init() -> None:
    """Create the configured issuer's signing key (once) and print its DID and public key."""

    _configure_logging()
    settings = _settings()
    did = issuer_did(settings.public_base_url, settings.issuer_slug)
    try:
        keystore = keystore_from_settings(settings)
        existed = bool(keystore.key_ids(settings.issuer_slug))
        key = keystore.load_or_create(settings.issuer_slug, did)
    except KeystoreError as exc:
        _fail(str(exc))
    typer.echo(f"signing key:         {'found (made earlier)' if existed else 'created now'} in {settings.keys_dir}")
    typer.echo(f"issuer:              {settings.issuer_slug} ({settings.issuer_name})")
    typer.echo(f"DID:                 {did}  (what `mcbadge serve` signs as: it is made from "
               f"MCBADGE_PUBLIC_BASE_URL={settings.public_base_url})")
    typer.echo(f"verification method: {key.verification_method}")
    typer.echo(f"public key:          {key.public_multibase}")
    typer.echo(f"DID document:        {settings.public_base_url}/issuers/{settings.issuer_slug}/did.json")
    typer.echo(f"keys directory:      {settings.keys_dir}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [default: MCBADGE_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [default: MCBADGE_PORT]")] = None,
    demo: Annotated[bool, typer.Option(help="Seed the demo catalogue into an empty database first")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (more than 1 needs PostgreSQL)")] = 1,
) -> None:
    """Run the HTTP service (creates the issuer's key on first start)."""

    _configure_logging()
    given = {"host": host, "port": port}
    settings = _settings(**{name: value for name, value in given.items() if value is not None})
    if workers > 1 and make_url(settings.database_url).get_backend_name() != "postgresql":
        _fail(f"--workers {workers} needs PostgreSQL (MCBADGE_DATABASE_URL=postgresql+psycopg://...): SQLite lets "
              "one process write at a time, so more processes would only queue on its lock; run one")
    from .api.app import create_app, ready_to_serve  # only the commands that run the app import it (module doc)

    made_metrics_directory = _shared_metrics_directory(workers)
    try:
        application = ready_to_serve(create_app(settings))
    except (KeystoreError, BaseUrlChanged) as exc:
        _fail(str(exc))
    if demo:
        _seed_demo(application.state.services.sessions, settings)
    if workers == 1:
        # log_config=None: uvicorn's loggers propagate to the root logger, through the redacting formatter.
        uvicorn.run(application, host=settings.host, port=settings.port, log_config=None)
        return
    # This process checked the settings, migrated the database, checked the identity and made the key once;
    # uvicorn now starts the workers, each building its own app from the same settings (worker_app).
    application.state.engine.dispose()
    os.environ.update(MCBADGE_HOST=settings.host, MCBADGE_PORT=str(settings.port),
                      MCBADGE_PUBLIC_BASE_URL=settings.public_base_url)
    try:
        uvicorn.run("mcbadge.api.app:worker_app", factory=True, host=settings.host, port=settings.port,
                    workers=workers, log_config=None, timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)
    finally:
        if made_metrics_directory is not None:
            shutil.rmtree(made_metrics_directory, ignore_errors=True)


def _shared_metrics_directory(workers: int) -> str | None:
    """Prepare prometheus-client's multiprocess directory (mcbadge.metrics): the one PROMETHEUS_MULTIPROC_DIR names,
    emptied (an earlier run's files would be counted again), or, for several workers, a new one, whose path is
    returned (to be removed at the end) and set for the workers to inherit."""
    given = os.environ.get(MULTIPROCESS_DIR)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return None
    if workers == 1:
        return None
    made = tempfile.mkdtemp(prefix="mcbadge-metrics-")
    os.environ[MULTIPROCESS_DIR] = made
    return made


def _seed_demo(sessions, settings: Settings) -> None:  # noqa: ANN001
    keys = seed_demo(sessions, slug=settings.issuer_slug, name=settings.issuer_name, base_url=settings.public_base_url)
    if keys is None:
        typer.echo(f"demo: issuer {settings.issuer_slug!r} already exists; its API keys were printed when it was seeded")
        return
    typer.echo("demo: seeded a school district with two micro-credentials. API keys (shown only now):")
    typer.echo(f"  admin     {keys.admin}")
    typer.echo(f"  assessor  {keys.assessor}")
    typer.echo(f"  educator  {keys.educator}")
    typer.echo(f"  try: curl -H 'Authorization: Bearer {keys.educator}' {settings.public_base_url}/api/v1/microcredentials")


@app.command()
def verify(
    file: Annotated[str, typer.Argument(help="A credential file (JSON, VC-JWT, or a baked PNG or SVG badge), "
                                             "or - for standard input.")],
) -> None:
    """Verify a credential and print each check. Exit 0 if verified, 1 if not, 2 if unreadable.

    The file is read as ``POST /verify`` reads an upload (JSON, a VC-JWT, a baked PNG or SVG badge, told apart
    by content) and verified by the same code with the same settings: issuers hosted by this service (keys in
    MCBADGE_KEYS_DIR) and did:key issuers resolve offline, this service's status lists and a designation's
    components come from its database (MCBADGE_DATABASE_URL), and other did:web issuers and status lists are
    fetched through the guarded outbound client. MCBADGE_PUBLIC_BASE_URL says which DIDs are this service's.
    """

    settings = _settings()
    try:
        data = sys.stdin.buffer.read(settings.max_verify_bytes + 1) if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    if len(data) > settings.max_verify_bytes:
        _fail(f"{file} is larger than {settings.max_verify_bytes} bytes (MCBADGE_MAX_VERIFY_BYTES)")
    engine = make_engine(settings.database_url)
    try:
        services = build_services(settings, keystore_from_settings(settings, need_private=False),
                                  make_sessionmaker(engine))
        given = from_file(data, "standard input" if file == "-" else Path(file).name)
        _, report = verify_given(services, given, now=datetime.now(timezone.utc))
    except DomainError as exc:  # not a credential, an image without one, malformed JSON: one line
        _fail(exc.detail)
    finally:
        engine.dispose()
    parse = report.check("parse")
    if parse is not None and parse.outcome is Outcome.FAILED:
        _fail(f"{file}: {parse.message}")
    marks = {Outcome.PASSED: "ok  ", Outcome.FAILED: "FAIL", Outcome.NOT_CHECKED: "--  "}
    for check in report.checks:
        typer.echo(f"{marks[check.outcome]} {check.code:<16} {check.message}")
    typer.echo(report.summary)
    raise typer.Exit(0 if report.verified else EXIT_NOT_VERIFIED)


@app.command("rotate-key")
def rotate_key(
    issuer: Annotated[str | None, typer.Option(help="Issuer slug [default: MCBADGE_ISSUER_SLUG]")] = None,
) -> None:
    """Make a new signing key for an issuer. Old keys stay in its DID document, so what they signed still
    verifies; new credentials and status lists are signed with the new key."""
    _configure_logging()
    settings = _settings()
    slug = issuer or settings.issuer_slug
    try:
        entry = keystore_from_settings(settings).rotate(slug)
    except KeystoreError as exc:
        _fail(str(exc))
    typer.echo(f"issuer {slug}: new signing key {entry.key_id} ({entry.public_key.multibase})")


@app.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the OpenAPI document")] = Path("openapi/openapi.json"),
) -> None:
    """Write the service's OpenAPI document (tests fail when the committed one drifts from the app)."""
    from .api.openapi_doc import openapi_document  # only the commands that run the app import it (module doc)

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(openapi_document(), encoding="utf-8")
    typer.echo(f"wrote {output}")


@contextmanager
def _services() -> Iterator[Services]:
    """The service container for a command that works on the data (migrated to the newest schema first):
    the same database, keys and settings the server uses. A domain error ends the command with one line."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade_to_head(engine)
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            check_stable_identity(session, settings.public_base_url, settings.previous_base_urls())
        yield build_services(settings, keystore_from_settings(settings), sessions)
    except (DomainError, KeystoreError, BaseUrlChanged) as exc:
        _fail(getattr(exc, "detail", None) or str(exc))
    finally:
        engine.dispose()


OPERATOR = "command line"
"""Who the audit log names for what the command line does (it runs where the data and keys are)."""


def _shown_once(label: str, key: str) -> None:
    typer.echo(f"{label}: {key}")
    typer.echo("  (shown only now: store it safely; only its hash is kept)")


designations = typer.Typer(help="Designations awarded for completed stacks.", no_args_is_help=True)
app.add_typer(designations, name="designations")


def _designation_change(designation: DesignationRead) -> str:
    """What a re-check did to a designation, in a word or two."""
    if designation.status is DesignationStatus.LAPSED:
        return "revoked"
    if designation.status is DesignationStatus.PENDING:
        return "complete again, waiting for approval"
    return "suspended" if designation.suspended else "valid again"


@designations.command("recheck")
def recheck_designations() -> None:
    """Check every awarded designation's components again (run it on a schedule, e.g. daily): another
    issuer's revocation or an expired component revokes the designation (suspends it, for an issuer with
    suspension on); a substitute brings it back (a new credential, or the suspension lifted)."""
    _configure_logging()
    with _services() as services, services.sessions() as session:
        changed = stacks.recheck_all(session, services)
    for slug, designations_changed in changed.items():
        for d in designations_changed:
            typer.echo(f"{slug}: designation {d.id} {_designation_change(d)} (credential {d.credential_id})")
    total = sum(len(v) for v in changed.values())
    typer.echo(f"rechecked the designations of {len(changed)} issuer(s); {total} changed")


tenants = typer.Typer(help="Organisations on this service (districts, state agencies, providers).",
                      no_args_is_help=True)
app.add_typer(tenants, name="tenants")


@tenants.command("create")
def create_tenant(
    slug: Annotated[str, typer.Argument(help="Part of its DID: did:web:<host>:issuers:<slug>; cannot change.")],
    name: Annotated[str, typer.Option(help="The organisation's name, as its credentials show it.")],
    admin_email: Annotated[str, typer.Option(help="Its first admin's e-mail address.")],
    admin_name: Annotated[str, typer.Option(help="Its first admin's name.")],
    kind: Annotated[IssuerKind, typer.Option(help="What it is.")] = IssuerKind.DISTRICT,
    url: Annotated[str | None, typer.Option(help="Its web site.")] = None,
    email: Annotated[str | None, typer.Option(help="Its contact address.")] = None,
) -> None:
    """Create an organisation with its DID, signing key and first admin; prints the admin's API key once."""
    body = _valid(TenantCreate, slug=slug, name=name, kind=kind, url=url, email=email,
                  admin={"name": admin_name, "email": admin_email})
    with _services() as services, services.sessions() as session:
        created = tenants_service.create_tenant(session, services, body, operator=OPERATOR)
    typer.echo(f"created {created.tenant.kind.value} {created.tenant.slug} ({created.tenant.name})")
    typer.echo(f"DID: {created.tenant.did}")
    _shown_once(f"admin {admin_email} API key", created.admin_key)


@tenants.command("list")
def list_tenants() -> None:
    """Every organisation: slug, kind, whether disabled, people, credentials issued, DID."""
    with _services() as services, services.sessions() as session:
        offset, rows = 0, []
        while True:
            page = tenants_service.list_tenants(session, services, PageParams(limit=200, offset=offset))
            rows += page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                break
    for t in rows:
        state = "disabled" if t.disabled else "active"
        typer.echo(f"{t.slug:<24} {t.kind.value:<13} {state:<9} {t.people:>6} people {t.credentials:>8} credentials  {t.did}")
    typer.echo(f"{len(rows)} organisation(s)")


@tenants.command("disable")
def disable_tenant(slug: str) -> None:
    """Refuse the organisation's keys and tokens; what it issued keeps verifying."""
    with _services() as services, services.sessions() as session:
        tenant = tenants_service.set_disabled(session, services, slug, True, operator=OPERATOR)
    typer.echo(f"{tenant.slug} is disabled since {tenant.disabled_at:%Y-%m-%d %H:%M} UTC; its "
               f"{tenant.credentials} credential(s) keep verifying")


@tenants.command("enable")
def enable_tenant(slug: str) -> None:
    """Accept the organisation's keys and tokens again."""
    with _services() as services, services.sessions() as session:
        tenant = tenants_service.set_disabled(session, services, slug, False, operator=OPERATOR)
    typer.echo(f"{tenant.slug} is active")


keys = typer.Typer(help="API keys of the people of an organisation.", no_args_is_help=True)
app.add_typer(keys, name="keys")


@keys.command("create")
def create_key(
    tenant: Annotated[str, typer.Option(help="The organisation's slug.")],
    person: Annotated[str, typer.Option(help="The person's e-mail address.")],
    role: Annotated[Role, typer.Option(help="Their role (checked against theirs if they exist).")],
    name: Annotated[str | None, typer.Option(help="Create the person with this name if they do not exist.")] = None,
) -> None:
    """A new API key for a person (how an organisation that lost its admin's key gets back in)."""
    body = _valid(KeyCreate, email=person, role=role, name=name)
    with _services() as services, services.sessions() as session:
        issued = tenants_service.issue_key(session, tenant, body, operator=OPERATOR)
    if issued.created_person:
        typer.echo(f"created {role.value} {person} at {tenant}")
    _shown_once(f"{role.value} {person} API key", issued.key)


people = typer.Typer(help="People of an organisation.", no_args_is_help=True)
app.add_typer(people, name="people")


@people.command("import")
def import_people(
    file: Annotated[Path, typer.Argument(help="CSV with a header row: email, name, role.")],
    tenant: Annotated[str, typer.Option(help="The organisation's slug.")],
) -> None:
    """Add people from a CSV file; bad rows are listed with their number and reason, good ones added.
    Exit 0 when every row was good, 1 when some were reported."""
    try:
        text = file.read_text(encoding="utf-8-sig")  # a spreadsheet's byte-order mark is not part of a header
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}")
    with _services() as services, services.sessions() as session:
        result = tenants_service.import_people(session, tenant, text, operator=OPERATOR)
    for problem in result.problems:
        typer.echo(f"row {problem.row}: {problem.reason}")
    typer.echo(f"{result.created} added, {result.unchanged} already there, {len(result.problems)} refused")
    raise typer.Exit(EXIT_ROWS_REFUSED if result.problems else 0)


awards = typer.Typer(help="Credentials awarded in bulk.", no_args_is_help=True)
app.add_typer(awards, name="awards")


@awards.command("import")
def import_awards(
    file: Annotated[Path, typer.Argument(help="CSV with a header row (docs/OPERATIONS.md names the columns).")],
    tenant: Annotated[str, typer.Option(help="The organisation's slug.")],
    result: Annotated[Path | None, typer.Option(help="Where to write the result CSV [default: FILE.result.csv].")] = None,
    workers: Annotated[int | None, typer.Option(help="Signing processes [default: one per core; 0: none].")] = None,
    batch_size: Annotated[int, typer.Option(help="Credentials written per transaction.", min=1, max=10_000)]
    = award_imports.BATCH_SIZE,
) -> None:
    """Award credentials from a CSV file of historical or external awards: each row is checked on its own, good
    rows are awarded, the result CSV gives each row's credential or reason. Running the same file again awards
    nothing twice (and finishes an interrupted run). Exit 0 when every row is awarded, 1 when some were refused."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}")
    result = result or file.with_name(file.stem + ".result.csv")
    _configure_logging()
    with _services() as services, services.sessions() as session:
        import_id = award_imports.start(session, services, text, filename=file.name[:255], slug=tenant)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
        # Redrawn at each committed batch, not by rich's refresh thread: with no other thread in this process,
        # the signing workers are forked from it (award_imports.signing).
        with Progress(*columns, console=Console(stderr=True), auto_refresh=False) as bar:
            task = bar.add_task(f"importing {file.name}", total=None, rate="")
            started = time.monotonic()

            def progress(done: int, total: int) -> None:
                elapsed = time.monotonic() - started
                bar.update(task, completed=done, total=total, rate=f"{done / elapsed:,.0f}/s" if elapsed > 0 else "")
                bar.refresh()

            outcome = award_imports.run(services, import_id, text, files_dir=file.parent, progress=progress,
                                        batch_size=batch_size, workers=workers)
        with read(session):
            rows = session.get_one(AwardImport, import_id).result_csv or ""
    try:
        result.write_text(rows, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {result}: {exc.strerror or exc}")
    typer.echo(f"{outcome.awarded} awarded, {outcome.already_awarded} already awarded, {outcome.refused} refused "
               f"(of {outcome.total_rows} rows); result: {result}")
    raise typer.Exit(EXIT_ROWS_REFUSED if outcome.refused else 0)


operator_keys = typer.Typer(help="Keys of the platform operator (the operator API).", no_args_is_help=True)
app.add_typer(operator_keys, name="operator-keys")


@operator_keys.command("create")
def create_operator_key(name: Annotated[str, typer.Option(help="Whose key (the audit log names it).")]) -> None:
    """A key for /api/v1/operator/... (create, list, disable organisations; recover access)."""
    with _services() as services, services.sessions() as session, transaction(session):
        key = issue_operator_key(session, name)
    _shown_once(f"operator key for {name}", key)


@app.command()
def backup(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) directory to write the backup into.")],
) -> None:
    """Back up the database (SQLite's online backup, or pg_dump), the encrypted keys and the evidence files into
    DIRECTORY, with a manifest of every file's SHA-256. The service may keep running. The key passphrase
    (MCBADGE_KEY_PASSPHRASE) is not in it: keep it in its secret store."""
    _configure_logging()
    settings = _settings()
    try:
        manifest = make_backup(settings, directory)
    except BackupError as exc:
        _fail(str(exc))
    typer.echo(f"backed up the {manifest.dialect} database, keys and evidence: {len(manifest.files)} files, "
               f"{manifest.total_bytes:,} bytes, in {directory} (manifest.json lists their SHA-256)")
    if any(name.endswith("/.passphrase") or name == "keys/.passphrase" for name in manifest.files):
        typer.echo("note: the development passphrase (keys/.passphrase) is in the backup beside the keys it "
                   "decrypts; production sets MCBADGE_KEY_PASSPHRASE instead", err=True)


@app.command()
def restore(
    directory: Annotated[Path, typer.Argument(help="A directory written by `mcbadge backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace the data already in the database, keys "
                                                        "directory and blob directory.")] = False,
) -> None:
    """Restore a backup into the configured database, keys directory and blob directory, after checking every
    file against the manifest. Refuses to write over data unless --force."""
    _configure_logging()
    settings = _settings()
    try:
        manifest = restore_backup(settings, directory, force=force)
    except BackupError as exc:
        _fail(str(exc))
    typer.echo(f"restored the backup of {manifest.created_at} ({len(manifest.files)} files, every SHA-256 checked)")
    if manifest.public_base_url != settings.public_base_url:
        typer.echo(f"note: its credentials were issued under {manifest.public_base_url}: start the service with "
                   f"MCBADGE_PUBLIC_BASE_URL={manifest.public_base_url} (docs/OPERATIONS.md)", err=True)


export = typer.Typer(help="Data out of mcbadge, for an archive or another system.", no_args_is_help=True)
app.add_typer(export, name="export")


@export.command("credentials")
def export_credentials_command(
    format: Annotated[ExportFormat, typer.Option(help="JSON Lines (one record per line) or CSV.")]
    = ExportFormat.JSONL,
    output: Annotated[Path | None, typer.Option(help="Write to this file [default: standard output].")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this organisation's credentials (its slug).")] = None,
) -> None:
    """Every credential issued, one record each (id, URL, issuer, educator, achievement, dates, status, and the
    signed credential), streamed from the database."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        with (open(output, "w", encoding="utf-8", newline="") if output else _stdout()) as out, \
                make_sessionmaker(engine)() as session:
            count = export_credentials(session, out, format, public_base_url=settings.public_base_url,
                                       issuer=tenant)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    except DomainError as exc:
        _fail(exc.detail)
    finally:
        engine.dispose()
    typer.echo(f"exported {count} credential(s)", err=True)


@contextmanager
def _stdout() -> Iterator[Any]:
    yield sys.stdout
    sys.stdout.flush()


def _valid(model: type[M], **values: Any) -> M:
    """``model`` from the options, or one line naming what is wrong."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()))


if __name__ == "__main__":  # pragma: no cover
    app()
