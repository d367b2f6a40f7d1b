"""The API does what its OpenAPI document says (issue 16, finding 6), tried from outside as a fuzzer would.

Schemathesis (pinned; tests/fuzzing.py) sends generated requests, fixed seed, one per operation, and fails on any
server error, response that breaks its schema, status or content type the document does not list, or valid
request refused. Each run costs 5-10 s of schemathesis's own CPU, so the suite sends two: the admin (the widest
access of an organisation, on SQLite) and an anonymous client (the attacker's view, on PostgreSQL); ``make fuzz``
sends every role (the educator, the assessor, the integrator and the platform operator too), more cases each. Its coverage phase (every boundary value, every undeclared method) is
``make fuzz``'s; here, every path of the document is asked OPTIONS and each undeclared method directly: 405,
before any authentication, with an ``Allow`` that names exactly the methods the document gives the path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fuzzing import CHECKS, FuzzTarget, fuzz_target, run_schemathesis

SEED = 16
DATABASE_OF_ROLE = {"admin": "sqlite", "no key": "postgresql"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SUITE_CHECKS = ",".join(c for c in CHECKS.split(",") if c != "negative_data_rejection")
"""All but "a schema-violating request accepted": pydantic's lax mode reads "true" as a boolean and 0 as a date,
by design (make fuzz counts them)."""


@pytest.fixture(scope="module")
def sqlite_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with fuzz_target(tmp_path_factory.mktemp("fuzz-sqlite")) as target:
        yield target


@pytest.fixture(scope="module")
def postgresql_target(tmp_path_factory: pytest.TempPathFactory, postgres_database) -> Iterator[FuzzTarget]:  # noqa: ANN001
    with fuzz_target(tmp_path_factory.mktemp("fuzz-postgresql"), postgres_database.reset()) as target:
        yield target


@pytest.mark.parametrize("role", [pytest.param(role, marks=[pytest.mark.postgres] * (DATABASE_OF_ROLE[role] ==
                                                                                    "postgresql"))
                                  for role in DATABASE_OF_ROLE])
def test_schemathesis_finds_nothing(role: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    target: FuzzTarget = request.getfixturevalue(f"{DATABASE_OF_ROLE[role]}_target")
    result = run_schemathesis(target, role, tmp_path, seed=SEED, max_examples=1, phases="fuzzing",
                              checks=SUITE_CHECKS)
    assert result.generated > 0, result.output[-3000:]
    assert not result.failures, f"{dict(result.failures)}\n{result.output[-20000:]}"


def test_every_path_allows_what_the_document_says_and_405s_the_rest_before_authentication(
        sqlite_target: FuzzTarget) -> None:
    with httpx.Client(base_url=sqlite_target.base_url, trust_env=False, timeout=30) as http:
        document = http.get("/openapi.json").json()
        wrong: list[str] = []
        for template, operations in document["paths"].items():
            path = _example_path(template, operations)
            declared = {method.upper() for method in operations}
            for method in ("OPTIONS", *(m for m in METHODS if m not in declared)):
                response = http.request(method, path)
                allowed = {m.strip() for m in response.headers.get("allow", "").split(",")} - {"HEAD", "OPTIONS"}
                if response.status_code != 405 or allowed != declared:
                    wrong.append(f"{method} {path}: {response.status_code}, Allow: {response.headers.get('allow')}"
                                 f" (the document: {sorted(declared)})")
    assert not wrong, "\n".join(wrong)


def _example_path(template: str, operations: dict) -> str:
    """The path with each parameter given a value its schema allows (a UUID, a slug, a number)."""
    path = template
    for operation in operations.values():
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "path":
                continue
            schema = parameter.get("schema", {})
            value = ("0b6a5a1e-5d2c-4a57-9d3e-3f2a7c1d9e10" if schema.get("format") == "uuid"
                     else "1" if schema.get("type") == "integer" else "test-district")
            path = path.replace("{" + parameter["name"] + "}", value)
    return path
