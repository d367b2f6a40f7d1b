"""Verifying a designation of 7 components over HTTP, beside verifying one micro-credential, p50/p99 and req/s.

    .venv/bin/python bench/bench_designation_http.py [--seconds 5] [--rounds 3] [--clients 4]

Not run by ``make test``. A throw-away service (SQLite, its own keys), one tenant, is set up in the server
subprocess through its own API (in process, before uvicorn starts): a published stack whose rule is "all"
over 7 micro-credentials, ``auto_award_designations`` on, the 7 component credentials awarded (the 7th
award awards the designation). The designation and one of its components are written to a file; the app is
then served by uvicorn (one worker, so one core). Clients on keep-alive connections POST each to
``/verify`` (the credential as the JSON body). Every answer must be 200 with ``verified`` true and, for the
designation, a ``components`` check that passed: its components are read from the database, since the
body holds the designation alone. The warm-up leaves the components' canonical forms and signatures in the
service's ``document_cache`` (their status is read at every request), so the figures are those of a designation
verified again; the first verification of a designation canonicalizes all its components (several times the
cost).

The machine's speed drifts, so the run alternates: a round is the designation for ``--seconds``, then the
single credential for ``--seconds``; each round's p50 ratio is printed and the median is the figure, set
against issue 11's target (designation p50 <= 3x a single verification).
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

from http_bench import SERVER_PRELUDE, HttpFigures, cpu_seconds, free_port, http_round, verified, wait_for

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = 7
TARGET_RATIO = 3.0

SERVER = SERVER_PRELUDE + r"""
import warnings
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")  # the set-up only
from fastapi.testclient import TestClient
from mcbadge.db.models import MicroCredential, Submission
headers = tenant.headers()
api = TestClient(app, base_url="http://127.0.0.1:{port}")

def ok(response, *codes):
    assert response.status_code in codes, response.text
    return response.json()

ok(api.patch("/api/v1/issuer", json={{"auto_award_designations": True}}, headers=headers), 200)
# One new micro-credential per call, each passed by the same educator (the tenant's).
submissions = [passing_submissions(services.sessions, tenant, settings.blob_dir, 1)[0] for _ in range({count})]
keys = []
for submission_id in submissions:
    with services.sessions() as session:
        keys.append(session.get_one(MicroCredential, session.get_one(Submission, submission_id).microcredential_id).key)
stack = ok(api.post("/api/v1/stacks", headers=headers, json={{
    "key": "instructional-coach", "name": "Instructional Coach", "role": "Instructional Coach",
    "description": "Coaches colleagues in formative assessment.", "criteria": "Earn all {count}.",
    "achievement_type": "Certification",
    "components": [{{"kind": "local", "key": key, "versions": [1]}} for key in keys]}}), 201)
ok(api.post(f"/api/v1/stacks/{{stack['id']}}/publish", headers=headers), 200)
awarded = [ok(api.post(f"/api/v1/submissions/{{s}}/award", headers=headers), 200, 201) for s in submissions]
[designation] = ok(api.get("/api/v1/stacks/designations", headers=headers), 200)["items"]
assert designation["status"] == "awarded", designation
document = ok(api.get(f"/api/v1/credentials/{{designation['credential_id']}}", headers=headers), 200)["credential"]
(tmp / "credentials.json").write_text(json.dumps({{"designation": document, "single": awarded[0]["credential"]}}))
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def components_passed(response: httpx.Response) -> str | None:
    """Verified, with a ``components`` check that passed on all :data:`COMPONENTS` components."""
    problem = verified(response)
    if problem is not None:
        return problem
    check = next((c for c in response.json()["checks"] if c["code"] == "components"), None)
    if check is None or check["outcome"] != "passed" or len(check["details"]["components"]) != COMPONENTS:
        return f"components check: {check}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each side of a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        script = SERVER.format(root=str(ROOT), tmp=tmp, port=port, count=COMPONENTS)
        server = subprocess.Popen([sys.executable, "-c", script], cwd=tmp, stdout=subprocess.DEVNULL,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            credentials = wait_for(Path(tmp) / "credentials.json", port)
            rounds(port, credentials["designation"], credentials["single"], args, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)


def line(label: str, figures: HttpFigures, cpu_ms: float) -> str:
    return (f"{label} {figures.rate:6.1f} req/s  p50 {figures.p50_ms:6.1f} ms  p99 {figures.p99_ms:6.1f} ms  "
            f"server CPU {cpu_ms:5.2f} ms/req ({figures.requests})")


def rounds(port: int, designation: dict, single: dict, args: argparse.Namespace, server_pid: int) -> None:
    url = f"http://127.0.0.1:{port}/verify"
    designation_body, single_body = json.dumps(designation).encode(), json.dumps(single).encode()
    print(f"designation of {COMPONENTS} components: {len(designation_body)} bytes; single micro-credential: "
          f"{len(single_body)} bytes; POST /verify; {args.clients} clients, keep-alive; server: one uvicorn "
          f"worker; {args.rounds} rounds of {args.seconds:.0f} s + {args.seconds:.0f} s")
    for _ in range(10):  # warm the caches (DID document, status lists, contexts) on both paths
        for body, check in ((designation_body, components_passed), (single_body, verified)):
            problem = check(httpx.post(url, content=body, headers={"content-type": "application/json"}))
            assert problem is None, problem

    def timed(body: bytes, check) -> tuple[HttpFigures, float]:
        before = cpu_seconds(server_pid)
        figures = http_round(url, body, args.seconds, args.clients, check)
        return figures, (cpu_seconds(server_pid) - before) / figures.requests * 1000

    ratios: list[float] = []
    for number in range(1, args.rounds + 1):
        many, many_cpu = timed(designation_body, components_passed)
        one, one_cpu = timed(single_body, verified)
        ratios.append(many.p50_ms / one.p50_ms)
        print(f"  round {number}: {line('designation', many, many_cpu)} | {line('single', one, one_cpu)} | "
              f"p50 ratio {ratios[-1]:.2f}x", flush=True)
    median = statistics.median(ratios)
    print(f"  median p50 ratio (designation / single): {median:.2f}x; target <= {TARGET_RATIO:.0f}x (issue 11): "
          f"{'met' if median <= TARGET_RATIO else 'MISSED'}. All answers 200, verified, components passed.")


if __name__ == "__main__":
    main()
