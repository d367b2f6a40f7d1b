"""Awards per second, end to end: a submission already scored -> a signed credential stored.

    .venv/bin/python bench/bench_awards.py [--count 500] [--profile]

Runs on SQLite (a file, WAL) and, when PostgreSQL binaries are installed, on a throw-away PostgreSQL
cluster on a free loopback port. Each award is the service function the API calls
(``mcbadge.credentials.service.award``): allocate a random revocation index (the default: no suspension
index, which only an issuer that opted into suspension gets), insert the row, build the OB 3.0 credential, sign it (eddsa-rdfc-2022), store it, mark the submission awarded, write
the audit event, commit — one transaction per award, one process, one thread. ``--profile`` prints where
the time goes. The goal for a later bulk issue is 10 000 awards in 60 s (167/s) on this 2-core machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcbadge.api.app import create_app  # noqa: E402
from mcbadge.credentials import service as credentials  # noqa: E402
from tests.factories.tenants import make_tenant, passing_submissions  # noqa: E402
from tests.live_server import make_settings  # noqa: E402
from tests.postgres import PostgresUnavailable, start_cluster  # noqa: E402


def run(label: str, database_url: str, tmp: Path, count: int, profile: bool) -> None:
    settings = make_settings(tmp, database_url=database_url)
    app = create_app(settings)
    services = app.state.services
    tenant = make_tenant(services.sessions, f"bench-{label}")
    ids = passing_submissions(services.sessions, tenant, settings.blob_dir, count)
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    for submission_id in ids:
        with services.sessions() as session:
            credentials.award(session, services, submission_id, approved_by=tenant.admin.id)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - start
    print(f"  {label:<10} {count} awards in {elapsed:6.2f} s = {count / elapsed:7.1f} awards/s "
          f"({elapsed / count * 1000:.1f} ms each; 10 000 would take {10_000 * elapsed / count:.0f} s)")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(r"mcbadge/(credentials|status|vc|db)/.*\.py:\d+\((award|_award|build|sign_credential|canonicalize|allocate|_allocate|_sign|to_quads|create_proof)")
    app.state.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(f"awards, one at a time, in-process ({args.count} each):")
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args.count, args.profile)
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        print(f"  postgresql not run: {exc}")
        return
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run("postgresql", cluster.create_database("bench"), Path(tmp), args.count, args.profile)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
