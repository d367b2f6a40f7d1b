"""Settings, read once at the edge (app factory, CLI) from ``MCBADGE_*`` environment variables.

Nothing below ``mcbadge.vc`` reads settings: the credential library gets what it needs as arguments.
Tests build ``Settings(keys_dir=tmp, ...)`` and pass it to ``create_app``; they never patch the
environment.

The key passphrase
------------------
Private keys under ``keys_dir`` are encrypted at rest with ``key_passphrase``
(``MCBADGE_KEY_PASSPHRASE``). Production must set it (from a secret store), and keep it somewhere else
than the keys. When it is unset — a developer's first ``make run`` — the keystore generates a random
passphrase once, writes it to ``<keys_dir>/.passphrase`` (mode 0600) and logs a warning on every start.
That keeps ``make run`` a single command, but a passphrase stored beside the keys protects them from
nothing more than a careless copy of one key file: it is a development convenience, not a protection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Service configuration. Every field can be set as ``MCBADGE_<FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="MCBADGE_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    """Interface ``mcbadge serve`` listens on."""

    port: int = Field(default=8000, ge=0, le=65535)
    """TCP port ``mcbadge serve`` listens on."""

    public_base_url: str = "http://127.0.0.1:8000"
    """The URL the world reaches this service at; issuer DIDs are derived from it (did:web).
    Unset: ``http://127.0.0.1:<port>``, so a local run's DIDs name the port it really listens on."""

    database_url: str = "sqlite:///var/mcbadge.db"
    """SQLAlchemy URL: SQLite (default, one process) or ``postgresql+psycopg://…`` (several processes)."""

    blob_dir: Path = Path("var/blobs")
    """Where uploaded evidence files are kept, named by their SHA-256 (shared storage when scaled out)."""

    max_upload_bytes: int = Field(default=200 * MIB, gt=0)
    """Largest evidence file accepted (a classroom video); larger uploads get 413."""

    keys_dir: Path = Path("keys")
    """Where issuer keys live: encrypted private keys and their public halves."""

    key_passphrase: SecretStr | None = None
    """Encrypts private keys at rest. Unset: a development passphrase in ``<keys_dir>/.passphrase``."""

    issuer_slug: str = Field(default="demo-district", pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
    """The issuer this service signs for; its DID is ``did:web`` of ``<public_base_url>/issuers/<slug>``."""

    issuer_name: str = "Demo School District"
    """The issuer's display name (in credentials it signs)."""

    max_body_bytes: int = Field(default=MIB, gt=0)
    """Largest request body accepted; larger bodies get 413."""

    max_verify_bytes: int = Field(default=32 * MIB, gt=0)
    """Largest verification request (a credential or baked image plus evidence files to compare)."""

    max_verifications_per_client: int = Field(default=4, ge=1)
    """Verifications one client address may have in flight at once (``POST /verify``, ``/verify/report``,
    ``/credentials/verify``, ``/presentations/verify``); more get 429 with ``Retry-After``. Behind a reverse
    proxy, the address is read from ``X-Forwarded-For`` when the proxy's own address is trusted (uvicorn trusts
    127.0.0.1; set ``FORWARDED_ALLOW_IPS`` for another), else every client would share the proxy's count."""

    max_import_bytes: int = Field(default=64 * MIB, gt=0)
    """Largest award file posted to ``/api/v1/award-imports`` (100 000 rows fit)."""

    outbound_ca_file: Path | None = None
    """Trust anchors (PEM) for outbound https — a private CA or a TLS-inspecting proxy. Unset: the public CAs."""

    allow_loopback_fetch: bool = False
    """Let outbound fetches reach loopback addresses. Only for tests that run a local server."""

    extra_contexts: str = ""
    """Comma-separated names of extra JSON-LD contexts the W3C VC API accepts beside the pinned ones (off by
    default). ``credentials-examples-v2`` (the W3C examples context, for the W3C test suites) is the only one
    shipped; see ``mcbadge.extra_contexts``."""

    trusted_states: str = ""
    """Comma-separated DIDs of the state education agencies whose recognition registries the verifier consults
    (``POST /verify`` answers "recognised by ..." for each). Agencies that are tenants here are read from the
    database; others are fetched through did:web. Empty (default): no recognition answer."""

    metrics_token: str | None = None
    """A bearer token a Prometheus scraper on another machine sends to read ``/metrics``; unset, only scrapers
    on this machine (loopback) may read it."""

    previous_public_base_urls: str = ""
    """Comma-separated base URLs this service issued credentials under before ``public_base_url``: the service
    refuses to start under a URL that would orphan issued credentials unless their URL is listed here (see
    docs/OPERATIONS.md, "Moving to another domain")."""

    status_list_max_age: int = Field(default=300, ge=0, le=86_400)
    """How long others (verifiers, HTTP caches, CDNs) may reuse one of this service's status lists, in
    seconds (``Cache-Control: max-age``): a revocation or suspension reaches them within this time. 0 makes
    every verifier revalidate each time (cheap: an unchanged list answers 304 to its ``ETag``)."""

    log_format: Literal["text", "json"] = "text"
    """Log lines as text, or as one JSON object per line (``json``) for a log collector; either way every line of
    a request names its id (``X-Request-Id``) and no line carries a secret (``mcbadge.logs``)."""

    pg_bin_dir: Path | None = None
    """Where ``mcbadge backup`` and ``restore`` find PostgreSQL's ``pg_dump`` and ``pg_restore``. Unset: on ``PATH``,
    else the newest ``/usr/lib/postgresql/<version>/bin``."""

    oauth_access_token_ttl: int = Field(default=900, gt=0, le=86_400)
    """Lifetime of an OAuth 2.0 access token, in seconds (15 minutes; refresh tokens get new ones)."""

    oauth_refresh_token_ttl: int = Field(default=30 * 86_400, gt=0)
    """Lifetime of an OAuth 2.0 refresh token, in seconds; each use rotates it (the old one is revoked)."""

    smtp_host: str | None = None
    """The SMTP server that sends educators' e-mail (feedback, awards, coming expiry). Unset: no e-mail is sent
    (webhooks still are)."""

    smtp_port: int = Field(default=587, ge=1, le=65535)
    """Its port: 587 with ``smtp_starttls`` (the default), 465 with ``smtp_ssl``, 25 for a local relay."""

    smtp_starttls: bool = True
    """Upgrade the connection with STARTTLS before logging in (refused if the server does not offer it)."""

    smtp_ssl: bool = False
    """Connect with TLS from the start (port 465) instead of STARTTLS."""

    smtp_username: str | None = None
    """Log in with this user name (and ``smtp_password``) when set."""

    smtp_password: SecretStr | None = None

    smtp_from: str = "mcbadge <no-reply@localhost>"
    """The ``From`` of every message."""

    smtp_timeout: float = Field(default=10.0, gt=0, le=300)
    """Seconds one SMTP conversation may take."""

    events_worker: bool = True
    """Run the outbox worker (webhooks, e-mail, the expiry check) in this server process. Safe in several
    processes at once on PostgreSQL (rows are claimed with a lease)."""

    events_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    """How often the worker looks for deliveries that are due."""

    events_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    """How long a worker holds a delivery it is attempting; a worker that died (kill -9) loses it after this and
    another attempts it again. Longer than one attempt can take (outbound and SMTP timeouts)."""

    events_retry_base_seconds: float = Field(default=30.0, gt=0)
    """The wait after a failed attempt, doubled at each further failure (exponential backoff)..."""

    events_retry_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    """...up to this wait between two attempts (the cap)..."""

    events_max_attempts: int = Field(default=12, ge=1, le=100)
    """...and at most this many attempts: then the delivery is ``failed`` (an admin can replay it)."""

    events_concurrency: int = Field(default=4, ge=1, le=64)
    """Deliveries one process attempts at once (each in a thread of the worker's own pool, never the request
    threads), so one receiver that hangs holds one of them until the outbound timeout."""

    expiry_notice_days: int = Field(default=90, ge=1, le=3650)
    """A credential's ``credential.expiring`` event (and e-mail to its educator) goes out this many days before
    its validUntil (the worker checks every ``expiry_check_seconds``)."""

    expiry_check_seconds: float = Field(default=3600.0, gt=0)
    """How often the worker looks for credentials entering the notice period."""

    idempotency_lease_seconds: float = Field(default=6.0, gt=0, le=3600)
    """How long a POST with an ``Idempotency-Key`` holds its key without a renewal (its process renews it every
    third of this while the request runs): how soon a retry may run again the request of a process that died
    (``kill -9``, a lost machine). Longer than the database may keep a renewal waiting."""

    @model_validator(mode="before")
    @classmethod
    def _default_base_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("public_base_url") is None and data.get("port") is not None:
            data = {**data, "public_base_url": f"http://127.0.0.1:{int(data['port'])}"}
        return data

    def previous_base_urls(self) -> list[str]:
        """``previous_public_base_urls`` as a list, each without a trailing slash."""
        return [u.strip().rstrip("/") for u in self.previous_public_base_urls.split(",") if u.strip()]

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        # Validate as an http(s) URL but keep the caller's spelling (AnyHttpUrl would add a '/').
        AnyHttpUrl(value)
        return value.rstrip("/")
