# mcbadge service image (with PostgreSQL: compose.yaml; docs/OPERATIONS.md, "Deployment with containers").
#   docker build -t mcbadge .
#   docker run -p 8000:8000 \
#     -e MCBADGE_PUBLIC_BASE_URL=https://badges.example.org \
#     -e MCBADGE_KEY_PASSPHRASE=... \
#     -v mcbadge-keys:/srv/mcbadge/keys -v mcbadge-var:/srv/mcbadge/var mcbadge
# Written and checked by reading: no container engine ran where it was written.
# Set MCBADGE_KEY_PASSPHRASE from a secret store: without it the service generates a development
# passphrase inside the keys volume, beside the keys it is meant to protect (and logs a warning).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# DejaVu Sans, so a printable certificate prints any teacher's name (credentials/certificate.py);
# pg_dump and pg_restore (15, Debian bookworm's) for `mcbadge backup` and `restore` on PostgreSQL.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core postgresql-client \
 && rm -rf /var/lib/apt/lists/*

# Build from a copy of the sources; only what the package needs (see .dockerignore).
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
COPY schemas ./schemas
RUN pip install . && rm -rf /build

# An unprivileged user owns the writable places: keys/ (0700), var/ (the SQLite database and, by default, the
# evidence under var/blobs), and blobs/ and backups/ (compose mounts volumes there). A new named volume takes
# the owner and mode of the directory it is mounted on, so the service never needs root to write.
RUN groupadd --system --gid 10001 mcbadge \
 && useradd --system --uid 10001 --gid mcbadge --home-dir /srv/mcbadge --shell /usr/sbin/nologin mcbadge \
 && mkdir -p /srv/mcbadge/keys /srv/mcbadge/var /srv/mcbadge/blobs /srv/mcbadge/backups \
 && chown -R mcbadge:mcbadge /srv/mcbadge \
 && chmod 0700 /srv/mcbadge/keys /srv/mcbadge/backups
WORKDIR /srv/mcbadge

ENV MCBADGE_HOST=0.0.0.0 \
    MCBADGE_PORT=8000 \
    MCBADGE_KEYS_DIR=/srv/mcbadge/keys \
    MCBADGE_DATABASE_URL=sqlite:////srv/mcbadge/var/mcbadge.db

VOLUME ["/srv/mcbadge/keys", "/srv/mcbadge/var"]
USER mcbadge:mcbadge
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('MCBADGE_PORT', '8000'), timeout=4)"]

CMD ["mcbadge", "serve", "--host", "0.0.0.0"]
