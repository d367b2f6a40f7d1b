"""Pieces shared by the HTTP benchmarks (bench_verify_http.py, bench_designation_http.py): a free loopback
port, waiting for the server subprocess and the file it writes, a server's CPU time, and one timed round of
keep-alive clients POSTing one body, every answer checked."""

from __future__ import annotations

import json
import os
import socket
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

# An answer's check: None when the answer is as expected, else why not.
Check = Callable[[httpx.Response], "str | None"]


def verified(response: httpx.Response) -> str | None:
    """200 with ``verified`` true."""
    if response.status_code != 200 or not response.json()["verified"]:
        return response.text[:300]
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(path: Path, port: int) -> dict:
    """The JSON the server subprocess writes to ``path`` once set up, when it also answers /health."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if path.exists() and httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return json.loads(path.read_text())
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not start")


@dataclass
class HttpFigures:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_threads(work: Callable[[], None], clients: int, failures: list[str], what: str) -> float:
    """Run ``work`` in ``clients`` threads at once; the seconds until all are done. Stops the benchmark if any
    failed (``failures`` is what the threads appended): a figure over failed requests would be a wrong figure."""
    threads = [threading.Thread(target=work) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} {what} failed, e.g. {failures[0]}")
    return elapsed


def http_round(url: str, body: bytes, seconds: float, clients: int, check: Check = verified) -> HttpFigures:
    """``clients`` threads POST ``body`` to ``url`` for ``seconds``; any answer ``check`` refuses ends the run."""
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
                problem = check(response)
                if problem is not None:
                    failures.append(problem)
        with lock:
            latencies.extend(mine)

    deadline = time.monotonic() + seconds
    elapsed = in_threads(lambda: worker(deadline), clients, failures, "requests")
    latencies.sort()
    return HttpFigures(rate=len(latencies) / elapsed, p50_ms=statistics.median(latencies) * 1000,
                       p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000, requests=len(latencies))


SERVER_PRELUDE = r"""
import json, sys
from pathlib import Path
import uvicorn
sys.path.insert(0, {root!r})
from mcbadge.api.app import create_app
from tests.factories.tenants import make_tenant, passing_submissions
from tests.live_server import make_settings
tmp = Path({tmp!r})
settings = make_settings(tmp, public_base_url="http://127.0.0.1:{port}", port={port}, allow_loopback_fetch=False)
app = create_app(settings)
services = app.state.services
tenant = make_tenant(services.sessions, "bench-district")
"""
"""The start of every benchmark server script (a ``str.format`` template with ``root``, ``tmp`` and ``port``): a
throw-away service on SQLite under ``tmp``, its app and services, and one tenant. Each script goes on from there."""
