"""`mcbadge serve --workers N` on PostgreSQL: verification requests per second and awards per second over HTTP,
with 1 and with 2 workers, in one run.

    .venv/bin/python bench/bench_workers_http.py [--seconds 5] [--rounds 3] [--clients 8] [--awards 120]

A throw-away PostgreSQL cluster (tests/postgres.py) holds one database; two services run on it at once, as
`mcbadge serve` runs in production (its own processes, JSON logs off): one with `--workers 1`, one with
`--workers 2`, sharing the database, keys and blobs. The same rich credential (awarded once, over HTTP) is POSTed
to `/credentials/verify` by `--clients` keep-alive clients; every answer must be 200 and verified. Rounds
alternate between the two services (this machine's speed drifts from minute to minute); each round prints both
rates and their ratio. Then awards: `--awards` passed submissions per service, awarded by `--clients` concurrent
clients (`POST /api/v1/submissions/{id}/award`, each once, each answer 201).

Several workers add throughput only with cores to spare: on a 2-core machine the second worker can at best double
the first, and less when the clients (which run here too) and PostgreSQL need the same cores.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from http_bench import cpu_seconds, free_port, http_round, in_threads

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcbadge.db import make_engine, make_sessionmaker, upgrade_to_head  # noqa: E402
from tests.factories.tenants import make_tenant, passing_submissions  # noqa: E402
from tests.live_server import TEST_PASSPHRASE  # noqa: E402
from tests.postgres import start_cluster  # noqa: E402

SLUG = "bench-district"


class Service:
    """``mcbadge serve --workers N`` in a subprocess, on the shared database, keys and blobs."""

    def __init__(self, workers: int, database_url: str, tmp: Path) -> None:
        self.workers, self.port = workers, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MCBADGE_", "PROMETHEUS_"))}
        # Both services sign as the same issuer: one public base URL, so the same DIDs and status-list URLs (each
        # service reads its own lists from the shared database; no request goes from one to the other).
        env.update(MCBADGE_DATABASE_URL=database_url, MCBADGE_PORT=str(self.port),
                   MCBADGE_PUBLIC_BASE_URL="http://127.0.0.1:8000", MCBADGE_KEYS_DIR=str(tmp / "keys"),
                   MCBADGE_BLOB_DIR=str(tmp / "blobs"), MCBADGE_KEY_PASSPHRASE=TEST_PASSPHRASE,
                   MCBADGE_ISSUER_SLUG=SLUG, PYTHONUNBUFFERED="1",
                   # Every client here is one address: the per-client limit (4 in flight) would refuse the 8 clients.
                   MCBADGE_MAX_VERIFICATIONS_PER_CLIENT="64")
        self.log = tmp / f"serve-{workers}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "mcbadge.cli", "serve", "--workers", str(workers)],
                                            env=env, stdout=log, stderr=log)

    def wait_ready(self) -> None:
        """Until every worker has started its app (uvicorn logs one line per worker)."""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"serve --workers {self.workers} stopped: {self.log.read_text()[-2000:]}")
            started = self.log.read_text(errors="replace").count("Application startup complete")
            if started >= self.workers:
                return
            time.sleep(0.2)
        raise SystemExit(f"serve --workers {self.workers} did not start")

    def cpu(self) -> float:
        """CPU seconds its worker processes have used so far (Linux /proc): one worker is the process itself,
        several are its children."""
        if self.workers == 1:
            return cpu_seconds(self.process.pid)
        children = [int(c) for t in Path(f"/proc/{self.process.pid}/task").iterdir()
                    for c in (t / "children").read_text().split()]
        return sum(cpu_seconds(pid) for pid in children)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def award_round(base: str, submissions: list, headers: dict[str, str], clients: int) -> float:
    """Award every submission once with ``clients`` concurrent clients; awards per second."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for submission in submissions:
        todo.put(submission)
    failures: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=base, trust_env=False, timeout=60, headers=headers) as http:
            while True:
                try:
                    submission = todo.get_nowait()
                except queue.Empty:
                    return
                response = http.post(f"/api/v1/submissions/{submission}/award", json={})
                if response.status_code != 201:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    return len(submissions) / in_threads(client, clients, failures, "awards")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each verification round per service")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--awards", type=int, default=120, help="awards per service")
    args = parser.parse_args()
    cluster = start_cluster()
    services: list[Service] = []
    try:
        database_url = cluster.create_database("bench")
        engine = make_engine(database_url)
        upgrade_to_head(engine)
        with tempfile.TemporaryDirectory() as directory:
            tmp = Path(directory)
            services = [Service(1, database_url, tmp)]
            services[0].wait_ready()  # the first one made the key and migrated; the second finds both
            services.append(Service(2, database_url, tmp))
            sessions = make_sessionmaker(engine)
            tenant = make_tenant(sessions, SLUG)
            headers = tenant.headers()
            one, two = services
            [first] = passing_submissions(sessions, tenant, tmp / "blobs", 1)
            awarded = httpx.post(f"{one.base}/api/v1/submissions/{first}/award", json={}, headers=headers, timeout=60)
            assert awarded.status_code == 201, awarded.text
            body = json.dumps({"verifiableCredential": awarded.json()["credential"]}).encode()
            two.wait_ready()
            print(f"PostgreSQL ({cluster.bin_dir}); {os.cpu_count()} cores, load average "
                  f"{os.getloadavg()[0]:.1f}; {args.clients} keep-alive clients (threads of this process)")
            for service in services:  # warm every worker's caches (a connection stays with the worker it reached)
                for _ in range(2):
                    http_round(f"{service.base}/credentials/verify", body, max(3.0, args.seconds), args.clients * 2)
            ratios = []
            for number in range(1, args.rounds + 1):
                line = f"  round {number}: POST /credentials/verify"
                rates = []
                for service in services:
                    cpu = service.cpu()
                    figures = http_round(f"{service.base}/credentials/verify", body, args.seconds, args.clients)
                    cpu_ms = (service.cpu() - cpu) / figures.requests * 1000
                    rates.append(figures.rate)
                    line += (f"  {service.workers} worker(s) {figures.rate:6.1f} req/s (p50 {figures.p50_ms:.0f} ms, "
                             f"server CPU {cpu_ms:.1f} ms/request)")
                ratios.append(rates[1] / rates[0])
                print(f"{line}  ratio {ratios[-1]:.2f}x", flush=True)
            print(f"  median ratio, 2 workers / 1: {statistics.median(ratios):.2f}x")
            for service in services:
                submissions = passing_submissions(sessions, tenant, tmp / "blobs", args.awards)
                cpu = service.cpu()
                rate = award_round(service.base, submissions, headers, args.clients)
                print(f"  awards over HTTP, {args.clients} concurrent clients, {service.workers} worker(s): "
                      f"{rate:.1f} awards/s, server CPU {(service.cpu() - cpu) / args.awards * 1000:.1f} ms/award "
                      f"({args.awards} awards, each 201)", flush=True)
            print(f"  load average at the end: {os.getloadavg()[0]:.1f}")
        engine.dispose()
    finally:
        for service in services:
            service.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
