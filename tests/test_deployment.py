"""compose.yaml and the Dockerfile, read (issue 13, part 8): no container engine runs in the tests, so these check
the facts a typo would break: PostgreSQL and the service, health checks, secrets from the environment, the keys
and evidence on volumes where the settings say, and an image that runs as a user other than root."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from mcbadge.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
SERVICE = COMPOSE["services"]["mcbadge"]
ENV = SERVICE["environment"]


def _mounts(service: dict) -> dict[str, str]:
    return {target: source for source, target in (v.split(":")[:2] for v in service["volumes"])}


def test_the_service_runs_on_postgresql_once_it_is_healthy() -> None:
    postgres = COMPOSE["services"]["postgres"]
    assert postgres["image"].startswith("postgres:15")  # the image's pg_dump is 15: it must not be older
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert SERVICE["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert ENV["MCBADGE_DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in ENV[
        "MCBADGE_DATABASE_URL"]
    assert SERVICE["command"][:2] == ["mcbadge", "serve"] and "--workers" in SERVICE["command"]
    assert "/ready" in " ".join(SERVICE["healthcheck"]["test"])


def test_secrets_come_from_the_environment_and_every_setting_exists() -> None:
    required = re.compile(r"^\$\{\w+:\?[^}]*\}$")
    assert required.match(ENV["MCBADGE_KEY_PASSPHRASE"]) and required.match(ENV["MCBADGE_PUBLIC_BASE_URL"])
    assert required.match(COMPOSE["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"])
    assert "${POSTGRES_PASSWORD:?" in ENV["MCBADGE_DATABASE_URL"]
    settings = {f"MCBADGE_{name.upper()}" for name in Settings.model_fields}
    assert {name for name in ENV if name.startswith("MCBADGE_")} <= settings  # no misspelt setting


def test_keys_and_evidence_live_on_volumes_where_the_settings_point() -> None:
    mounts = _mounts(SERVICE)
    assert mounts[ENV["MCBADGE_KEYS_DIR"]] in COMPOSE["volumes"]
    assert mounts[ENV["MCBADGE_BLOB_DIR"]] in COMPOSE["volumes"]
    assert _mounts(COMPOSE["services"]["postgres"])["/var/lib/postgresql/data"] in COMPOSE["volumes"]
    # The image makes each mounted directory, owned by its user (a new volume takes its owner and mode).
    made = re.search(r"mkdir -p ([^\\&]+)", DOCKERFILE)
    assert made and set(mounts) <= set(made.group(1).split())


def test_the_image_runs_as_an_unprivileged_user_and_checks_its_health() -> None:
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert DOCKERFILE.index("USER ") < DOCKERFILE.index("CMD ")
    assert re.search(r"^HEALTHCHECK [^\n]*\\\n\s+CMD [^\n]*/health", DOCKERFILE, re.M)
    assert "postgresql-client" in DOCKERFILE  # pg_dump for `mcbadge backup` in the container
