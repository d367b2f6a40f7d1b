"""Schemathesis against the served app, once per role: the harness of tests/api/test_fuzz.py and ``make fuzz``.

The service is served over loopback as in the other tests (its own keys, database and blob store, a tenant with
one API key per role and a platform operator's key); schemathesis (pinned in the test extras) reads the app's
OpenAPI document from ``/openapi.json`` and sends what it generates from it, with each role's key and with none.
Every check schemathesis has is on but the stateful ones that need links the document does not declare: a
failure is a server error, a response that breaks its schema, a status, content type or header the document
does not list, a valid request refused, an invalid one accepted, or an ``Allow`` that is not the truth.

``python -m tests.fuzzing [--max-examples N] [--seed S] [--database-url URL]`` is the longer run (``make fuzz``):
it prints the failures by check and by role, and exits non-zero when there is any.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mcbadge.api.app import create_app
from mcbadge.db.models import Role
from mcbadge.principal import issue_operator_key
from tests.factories.tenants import make_tenant
from tests.live_server import free_socket, make_settings, serve

CONFIG = Path(__file__).with_name("schemathesis.toml")
"""What the document cannot express (rules across fields, references that must exist, NUL), each with its reason."""

ROLES = ("admin", "assessor", "educator", "integrator", "operator", "no key")
"""Each API role of an organisation, the platform operator, and an anonymous client."""

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance,negative_data_rejection,positive_data_acceptance,missing_required_header,"
          "unsupported_method,allow_header_conformance")
"""Every check of schemathesis 4 but the stateful ones (use_after_free, ensure_resource_availability,
ignored_auth, object_level_authorization): they follow links between operations, which this document does
not declare, and tests/api/test_access_matrix.py covers authorization role by role."""


@dataclass
class FuzzTarget:
    base_url: str
    headers: dict[str, dict[str, str]]
    """The request headers of each role in :data:`ROLES` (none for ``no key``)."""


@contextmanager
def fuzz_target(tmp_path: Path, database_url: str | None = None) -> Iterator[FuzzTarget]:
    """A new app on ``database_url`` (SQLite under ``tmp_path`` by default) served on a free loopback port, with
    an organisation's four roles and an operator, each with a key."""
    sock = free_socket()
    port = sock.getsockname()[1]
    settings = make_settings(tmp_path, public_base_url=f"http://127.0.0.1:{port}", port=port,
                             **({"database_url": database_url} if database_url else {}))

    app = create_app(settings)
    app.openapi()  # built once, here: schemathesis's first request would otherwise wait for it
    try:
        with serve(app, sock) as base_url:
            sessions = app.state.services.sessions
            tenant = make_tenant(sessions, settings.issuer_slug)
            with sessions() as session, session.begin():
                operator = issue_operator_key(session, "fuzz operator")
            headers = {role.value: {"Authorization": f"Bearer {tenant.keys[role]}"} for role in Role}
            headers["operator"] = {"Authorization": f"Bearer {operator}"}
            headers["no key"] = {}
            yield FuzzTarget(base_url, headers)
    finally:
        app.state.engine.dispose()


@dataclass
class FuzzResult:
    role: str
    generated: int = 0
    """Test cases sent."""
    failures: Counter[str] = field(default_factory=Counter)
    """Distinct failures by kind, as schemathesis counts them (its summary's "Failures")."""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """CPU time of schemathesis itself (its process): the wall time depends on what else the machine runs."""
    output: str = ""
    """Schemathesis's own report: each failure with the request that reproduces it."""


def run_schemathesis(target: FuzzTarget, role: str, report_dir: Path, *, seed: int, max_examples: int,
                     phases: str = "examples,coverage,fuzzing", max_time: float | None = None,
                     workers: int = 1, checks: str = CHECKS) -> FuzzResult:
    """One schemathesis run (its command line, in a process of its own) as ``role``; the failures it found."""
    report = report_dir / f"{role.replace(' ', '-')}.json"
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run",
               f"{target.base_url}/openapi.json", "--checks", checks, "--phases", phases, "--seed", str(seed),
               "--max-examples", str(max_examples), "--generation-database", "none", "--no-shrink", "--workers", str(workers),
               "--continue-on-failure", "--request-timeout", "30", "--report", "json", "--report-json-path",
               str(report), "--suppress-health-check", "all", "--warnings", "off", "--no-color"]
    if max_time:
        command += ["--max-time", str(max_time)]
    for name, value in target.headers[role].items():
        command += ["-H", f"{name}: {value}"]
    started = time.monotonic()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # In the report's directory: schemathesis keeps a cache of the failures it found (.schemathesis/) where it runs.
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=report_dir)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = FuzzResult(role, seconds=time.monotonic() - started, output=done.stdout + done.stderr,
                        cpu_seconds=(cpu_after.ru_utime + cpu_after.ru_stime)
                        - (cpu_before.ru_utime + cpu_before.ru_stime))
    assert report.exists(), result.output[-3000:]
    document = json.loads(report.read_text(encoding="utf-8"))
    result.generated = document["test_cases"]["generated"]
    for group in document["failures"]:
        result.failures[f"{group['code']} {group['title']}"] += group["count"]
    for group in document["errors"]:
        result.failures[f"error: {group['title']}"] += group["count"]
    return result


def summary(results: list[FuzzResult]) -> str:
    """The counts of a run, by check and by role."""
    total: Counter[str] = Counter()
    lines = []
    for result in results:
        total.update(result.failures)
        checks = ", ".join(f"{name} {count}" for name, count in sorted(result.failures.items())) or "none"
        lines.append(f"{result.role:>10}: {result.generated} cases in {result.seconds:.1f} s "
                     f"(schemathesis's CPU {result.cpu_seconds:.1f} s); failures: {checks}")
    lines.append(f"{'all':>10}: {sum(r.generated for r in results)} cases; "
                 f"{sum(total.values())} failures: "
                 + (", ".join(f"{name} {count}" for name, count in sorted(total.items())) or "none"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=30, help="cases per operation and phase")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--database-url", help="an empty PostgreSQL database, say (default: SQLite, temporary)")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--verbose", action="store_true", help="print every failure")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp, fuzz_target(Path(tmp), args.database_url) as target:
        for role in args.roles.split(","):
            result = run_schemathesis(target, role, Path(tmp), seed=args.seed, max_examples=args.max_examples,
                                      workers=2)
            results.append(result)
            print(summary([result]).splitlines()[0], flush=True)
            if args.verbose:
                print(result.output, flush=True)
    print(summary(results))
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
