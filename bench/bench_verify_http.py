"""Verification requests per second over HTTP, warm caches, with p50/p99 latency, against the Node reference.

    .venv/bin/python bench/bench_verify_http.py [--seconds 5] [--rounds 3] [--clients 4]

A throw-away service (SQLite, its own keys) awards one rich credential (a four-level rubric on three
criteria, file and reflection evidence, its revocation status entry: one, the default) and is then served by
uvicorn in a separate process (one worker, so one core). Clients on keep-alive connections POST it to
`/credentials/verify`; every response must be 200 with every check run (the issuer's DID document and
status lists come from the service's caches and database: the warm path).

The Node reference (`@digitalbazaar/vc` + eddsa-rdfc-2022, `interop/`) verifies the same document in
process: the awarded credential without its proof, re-signed by Node under a did:key (Node cannot resolve
the service's loopback did:web), so both canonicalize the same bytes. Node checks the proof and the key;
mcbadge also checks contexts, the OB schema, the status list, evidence digests and the rubric.

This machine's speed drifts by tens of percent from minute to minute, so the run alternates: a round is
mcbadge over HTTP for ``--seconds``, then Node for ``--seconds``; each round's ratio is printed and the
median is the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from http_bench import SERVER_PRELUDE, cpu_seconds, free_port, http_round, wait_for

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = SERVER_PRELUDE + r"""
from mcbadge.credentials import service as credentials
[submission_id] = passing_submissions(services.sessions, tenant, settings.blob_dir, 1)
with services.sessions() as session:
    document = credentials.award(session, services, submission_id, approved_by=None).credential.document
(tmp / "credential.json").write_text(json.dumps(document))
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each side of a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        script = SERVER.format(root=str(ROOT), tmp=tmp, port=port)
        server = subprocess.Popen([sys.executable, "-c", script], cwd=tmp, stderr=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            credential = wait_for(Path(tmp) / "credential.json", port)
            rounds(port, credential, args, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)


def rounds(port: int, credential: dict, args: argparse.Namespace, server_pid: int) -> None:
    print(f"credential: {len(json.dumps(credential))} bytes; {args.clients} clients, keep-alive; "
          f"server: one uvicorn worker (one process); {args.rounds} rounds of {args.seconds:.0f} s + {args.seconds:.0f} s")
    body = json.dumps({"verifiableCredential": credential}).encode()
    url = f"http://127.0.0.1:{port}/credentials/verify"
    for _ in range(20):  # warm the caches (DID document, status lists, contexts)
        assert httpx.post(url, content=body, headers={"content-type": "application/json"}).status_code == 200
    node = NodeBench(credential)
    if node.unavailable:
        print(f"  Node reference: not run ({node.unavailable})")
    ratios: list[float] = []
    try:
        for number in range(1, args.rounds + 1):
            cpu_before = cpu_seconds(server_pid)
            http = http_round(url, body, args.seconds, args.clients)
            cpu_ms = (cpu_seconds(server_pid) - cpu_before) / http.requests * 1000
            line = (f"  round {number}: mcbadge POST /credentials/verify {http.rate:7.1f} req/s  "
                    f"p50 {http.p50_ms:5.1f} ms  p99 {http.p99_ms:5.1f} ms  server CPU {cpu_ms:.2f} ms/request  "
                    f"({http.requests} requests, all verified)")
            if not node.unavailable:
                node_rate = node.verify_rate(args.seconds)
                ratios.append(http.rate / node_rate)
                line += f" | Node verifyCredential in process {node_rate:6.1f} ops/s | ratio {ratios[-1]:.2f}x"
            print(line, flush=True)
    finally:
        node.close()
    if ratios:
        print(f"  median ratio (mcbadge over HTTP / Node in process, same document): {statistics.median(ratios):.2f}x")


class NodeBench:
    """The Node reference, verifying the service's document re-signed under a did:key."""

    def __init__(self, credential: dict) -> None:
        from mcbadge.vc.dids import did_key_from_public
        from mcbadge.vc.keys import Ed25519KeyPair
        from tests.node_reference import NodeReference, node_available

        self.unavailable = node_available()
        self._node = None
        if self.unavailable:
            return
        key = Ed25519KeyPair.generate()
        self._key = key.bound(did_key_from_public(key.public_key))
        document = {k: v for k, v in credential.items() if k != "proof"}
        issuer = document["issuer"]
        document["issuer"] = {**issuer, "id": self._key.controller} if isinstance(issuer, dict) else self._key.controller
        self._document = document
        self._node = NodeReference()
        self._node.__enter__()

    def verify_rate(self, seconds: float) -> float:
        assert self._node is not None
        key = self._key
        figures = self._node.bench(self._document, sign_seconds=0, private_key_multibase=key.export_private_multibase(),
                                   public_key_multibase=key.public_multibase,
                                   verification_method=key.verification_method, controller=key.controller,
                                   seconds=seconds)
        return figures["verify_ops_per_s"]

    def close(self) -> None:
        if self._node is not None:
            self._node.__exit__(None, None, None)


if __name__ == "__main__":
    main()
