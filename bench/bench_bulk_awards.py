"""Bulk awards per second (``mcbadge awards import``) beside single awards and the Node reference's signing rate.

    .venv/bin/python bench/bench_bulk_awards.py [--count 10000] [--single 200] [--workers N] [--batch-size 500]
                                                [--profile] [--no-postgres]

On SQLite (a file, WAL) and, when PostgreSQL binaries are installed, on a throw-away cluster (fsync off, as for
the tests and bench_awards.py), each in a new database with its own keys:

* **single**: ``--single`` awards one at a time through ``credentials.service.award`` (one transaction each, one
  process: what the API's award and bench_awards.py do);
* **bulk**: an award file of ``--count`` rows (each a new educator; evidence as a URL with its digest and as
  digests alone; levels that pass the rubric) run by ``award_imports.service.run`` exactly as the command line
  runs it, with ``--workers`` signing processes (default: one per core). Printed: awards/s, the CPU time of
  this process, of the workers and of the PostgreSQL server per award, and where this process's time went.
  A sample of the credentials is then verified (signature, schema, status lists, evidence digests, rubric).

The Node reference (``@digitalbazaar/vc`` + eddsa-rdfc-2022, ``interop/``) signs one of the bulk credentials
(re-signed under a did:key) on one core for ``--node-seconds``: its rate times the cores is what signing alone
would allow in Node. The load average is printed with every figure: this machine is shared, and a figure taken
while other work runs says as much about that work as about this code. ``--profile`` adds a profile of this
process during the bulk run, and one of building and signing (what each worker does), in process; forked
workers inherit the profiler, so take the speed from a run without ``--profile``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcbadge.api.app import create_app  # noqa: E402
from mcbadge.award_imports import service as award_imports  # noqa: E402
from mcbadge.credentials import service as credentials  # noqa: E402
from mcbadge.db.models import Credential  # noqa: E402
from mcbadge.vc.verify import Outcome, verify  # noqa: E402
from tests.factories.award_imports import award_file, many_rows  # noqa: E402
from tests.factories.tenants import awarded_microcredential, make_tenant, passing_submissions  # noqa: E402
from tests.live_server import make_settings  # noqa: E402
from tests.postgres import Cluster, PostgresUnavailable, start_cluster  # noqa: E402


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def _proc_cpu(pid: int, *, waited_children: bool = False) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if waited_children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu(cluster: Cluster | None) -> float:
    """CPU seconds the cluster's processes used so far: the postmaster with the backends it reaped, and the live
    backends."""
    if cluster is None:
        return 0.0
    postmaster = int((cluster.directory / "data" / "postmaster.pid").read_text().split()[0])
    total = _proc_cpu(postmaster, waited_children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    total += _proc_cpu(int(entry.name))
            except (OSError, ValueError):
                continue
    return total


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(label: str, database_url: str, tmp: Path, args: argparse.Namespace, cluster: Cluster | None) -> dict:
    settings = make_settings(tmp, database_url=database_url)
    app = create_app(settings)
    services = app.state.services
    tenant = make_tenant(services.sessions, f"bench-{label}")
    try:
        # Single awards, one transaction each.
        ids = passing_submissions(services.sessions, tenant, settings.blob_dir, args.single)
        before = load()
        start = time.perf_counter()
        for submission_id in ids:
            with services.sessions() as session:
                credentials.award(session, services, submission_id, approved_by=tenant.admin.id)
        single = args.single / (time.perf_counter() - start)
        print(f"  {label:<10} single  {args.single:>6} awards, one at a time      {single:7.1f} awards/s"
              f"   ({before} -> {load()})", flush=True)

        # Bulk: the award file, as `mcbadge awards import` runs it.
        with services.sessions() as session, session.begin():
            mc = awarded_microcredential(session, tenant.issuer, key="bulk-bench")
        text = award_file(many_rows(args.count, key=mc.key, assessor=tenant.assessor.email))
        with services.sessions() as session:
            import_id = award_imports.start(session, services, text, filename="bench.csv", slug=tenant.issuer.slug)
        timings = award_imports.Timings()
        profiler = cProfile.Profile() if args.profile else None
        before, cpu, kids, pg = load(), time.process_time(), children_cpu(), postgres_cpu(cluster)
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        done = award_imports.run(services, import_id, text, files_dir=None, workers=args.workers,
                                 batch_size=args.batch_size, timings=timings)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - start
        cpu, kids, pg = time.process_time() - cpu, children_cpu() - kids, postgres_cpu(cluster) - pg
        assert done.status == "done" and done.awarded == args.count, done
        rate = args.count / elapsed
        per = 1000 / args.count
        print(f"  {label:<10} bulk    {args.count:>6} awards in {elapsed:6.2f} s          {rate:7.1f} awards/s"
              f"   ({before} -> {load()}); {rate / single:.1f}x single", flush=True)
        print(f"             CPU per award: this process {cpu * per:.2f} ms, signing workers {kids * per:.2f} ms"
              + (f", PostgreSQL {pg * per:.2f} ms" if cluster else "")
              + f"; this process: checking rows {timings.checking:.2f} s, preparing batches {timings.preparing:.2f} s, "
                f"waiting for signatures {timings.waiting:.2f} s, writing {timings.writing:.2f} s, "
                f"finishing {timings.finishing:.2f} s", flush=True)
        if profiler:
            print("             profile of this process during the bulk run (internal time):")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(15)

        # The credentials it made verify like any award.
        with services.sessions() as session:
            documents = [row[0] for row in session.execute(
                Credential.__table__.select().with_only_columns(Credential.document)
                .where(Credential.microcredential_id == mc.id).limit(25))]
        now = datetime.now(timezone.utc)
        for document in documents:
            report = verify(document, resolver=services.resolver, status_fetcher=services.status_fetcher, now=now)
            # Evidence digests are compared only with files given (none here): "not checked" is their answer.
            failed = [c.code for c in report.checks
                      if c.outcome is not Outcome.PASSED
                      and not (c.code == "evidence_digest" and c.outcome is Outcome.NOT_CHECKED)]
            assert report.verified and not failed, failed
        print(f"             {len(documents)} of them verified: every check passed (evidence files: none given)",
              flush=True)

        if args.profile:
            profile_signing(services, tenant.issuer.slug, mc.key, tenant.assessor.email, args)
        return documents[0]
    finally:
        app.state.engine.dispose()


def profile_signing(services, slug: str, key: str, assessor: str, args: argparse.Namespace) -> None:  # noqa: ANN001
    """What each worker does (build and sign), profiled in this process on a run of 400 rows."""
    text = award_file(many_rows(400, key=key, assessor=assessor, domain="profile.example.org"))
    with services.sessions() as session:
        import_id = award_imports.start(session, services, text, filename="profile.csv", slug=slug)
    profiler = cProfile.Profile()
    profiler.enable()
    award_imports.run(services, import_id, text, files_dir=None, workers=0, batch_size=args.batch_size)
    profiler.disable()
    print("             profile of building and signing, in process (cumulative time, mcbadge only):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(
        r"mcbadge/(vc|credentials|award_imports)/.*\((sign|_sign_chunk|build_credential|to_json_ld|canonicalize|"
        r"to_quads|canonicalize_quads|create_proof|_remembered|microcredential_achievement|_evidence|signed_ldp)\)")


def node_rate(document: dict, seconds: float) -> None:
    from mcbadge.vc.dids import did_key_from_public
    from mcbadge.vc.keys import Ed25519KeyPair
    from tests.node_reference import NodeReference, node_available

    reason = node_available()
    if reason:
        print(f"  Node reference: not run ({reason}); run `make deps` once to install it")
        return
    key = Ed25519KeyPair.generate()
    key = key.bound(did_key_from_public(key.public_key))
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    unsigned["issuer"] = {**unsigned["issuer"], "id": key.controller}
    before = load()
    with NodeReference() as node:
        figures = node.bench(unsigned, private_key_multibase=key.export_private_multibase(),
                             public_key_multibase=key.public_multibase, verification_method=key.verification_method,
                             controller=key.controller, seconds=0.5, sign_seconds=seconds)
    cores = os.cpu_count() or 1
    print(f"  Node @digitalbazaar/vc sign, one core, the same credential ({len(json.dumps(unsigned))} bytes): "
          f"{figures['sign_ops_per_s']:.1f} ops/s; x{cores} cores = {figures['sign_ops_per_s'] * cores:.0f}/s, "
          f"signing alone ({before} -> {load()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="rows in the award file")
    parser.add_argument("--single", type=int, default=200, help="single awards, for comparison")
    parser.add_argument("--workers", type=int, default=None, help="signing processes (default: one per core)")
    parser.add_argument("--batch-size", type=int, default=award_imports.BATCH_SIZE)
    parser.add_argument("--node-seconds", type=float, default=5.0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"bulk awards: {args.count} rows, {args.workers if args.workers is not None else os.cpu_count()} signing "
          f"worker(s), batches of {args.batch_size}; {os.cpu_count()} cores; {load()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        document = run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args, None)
    if not args.no_postgres:
        try:
            cluster = start_cluster()
        except PostgresUnavailable as exc:
            print(f"  postgresql not run: {exc}")
        else:
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    run("postgresql", cluster.create_database("bench"), Path(tmp), args, cluster)
            finally:
                cluster.stop()
    node_rate(document, args.node_seconds)


if __name__ == "__main__":
    main()
