"""Verification requests per second over HTTP, warm caches, with p50/p99 latency, against the Node reference.

    .venv/bin/python bench/bench_verify_http.py [--seconds 10] [--clients 4]

A throw-away service (SQLite, its own keys) awards one rich credential (a four-level rubric on three
criteria, file and reflection evidence, revocation and suspension status entries) and is then served by
uvicorn in a separate process (one worker). Clients on keep-alive connections POST it to
`/credentials/verify` for the given time; every response must be 200 with every check run (the issuer's
DID document and status lists come from the service's caches and database: the warm path). The Node
reference's in-process verify rate for a credential of the same shape is measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = r"""
import json, sys
from pathlib import Path
import uvicorn
sys.path.insert(0, {root!r})
from mcbadge.api import create_app
from mcbadge.credentials import service as credentials
from tests.award_factories import make_tenant, passing_submissions
from tests.conftest import make_settings
tmp = Path({tmp!r})
settings = make_settings(tmp, public_base_url="http://127.0.0.1:{port}", port={port}, allow_loopback_fetch=False)
app = create_app(settings)
services = app.state.services
tenant = make_tenant(services.sessions, "bench-district")
[submission_id] = passing_submissions(services.sessions, tenant, settings.blob_dir, 1)
with services.sessions() as session:
    document = credentials.award(session, services, submission_id, approved_by=None).credential.document
(tmp / "credential.json").write_text(json.dumps(document))
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        script = SERVER.format(root=str(ROOT), tmp=tmp, port=port)
        server = subprocess.Popen([sys.executable, "-c", script], cwd=tmp, stderr=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            credential = wait_for(Path(tmp) / "credential.json", port)
            run(port, credential, args.seconds, args.clients)
        finally:
            server.terminate()
            server.wait(timeout=10)


def wait_for(path: Path, port: int) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if path.exists() and httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return json.loads(path.read_text())
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not start")


def run(port: int, credential: dict, seconds: float, clients: int) -> None:
    body = json.dumps({"verifiableCredential": credential}).encode()
    url = f"http://127.0.0.1:{port}/credentials/verify"
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []

    def worker(deadline: float) -> None:
        mine: list[float] = []
        with httpx.Client(trust_env=False, timeout=30, headers={"content-type": "application/json"}) as http:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                response = http.post(url, content=body)
                mine.append(time.perf_counter() - start)
                if response.status_code != 200 or not response.json()["verified"]:
                    failures.append(response.text[:300])
        with lock:
            latencies.extend(mine)

    for _ in range(20):  # warm the caches (DID document, status lists, contexts)
        assert httpx.post(url, content=body, headers={"content-type": "application/json"}).status_code == 200
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=worker, args=(deadline,)) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    latencies.sort()
    rate = len(latencies) / elapsed
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"credential: {len(json.dumps(credential))} bytes; {clients} clients, keep-alive, {seconds:.0f} s; "
          f"server: one uvicorn worker (one process)")
    print(f"  mcbadge POST /credentials/verify  {rate:7.1f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
          f"({len(latencies)} requests, all verified)")
    node = node_rate(seconds)
    if node:
        print(f"  Node @digitalbazaar/vc verifyCredential, in process: {node:7.1f} ops/s")
        print(f"  ratio (mcbadge over HTTP / Node in process): {rate / node:.2f}x")


def node_rate(seconds: float) -> float | None:
    from mcbadge.vc.dids import did_key_from_public
    from mcbadge.vc.keys import Ed25519KeyPair
    from tests.factories import rich_credential
    from tests.node_reference import NodeReference, node_available

    if node_available():
        print(f"  Node reference: not run ({node_available()})")
        return None
    key = Ed25519KeyPair.generate()
    key = key.bound(did_key_from_public(key.public_key))
    with NodeReference() as node:
        figures = node.bench(rich_credential(issuer_id=key.controller), private_key_multibase=key.export_private_multibase(),
                             public_key_multibase=key.public_multibase, verification_method=key.verification_method,
                             controller=key.controller, seconds=seconds / 2)
    return figures["verify_ops_per_s"]


if __name__ == "__main__":
    main()
