"""The layers run one way, and the package's imports have no circles (docs/ARCHITECTURE.md, "Layers").

The import graph comes from grimp (the engine of import-linter): every import of every module of
``mcbadge``, whether at module level or inside a function, except those under ``if TYPE_CHECKING:``, which
never run. A module that imports ``a.b.c`` also runs ``a/__init__.py`` and ``a/b/__init__.py``, so those
edges are added: a circle through a package's ``__init__`` is a circle.
"""

from __future__ import annotations

import ast
import graphlib
from functools import lru_cache
from pathlib import Path

import grimp
import pytest

import mcbadge

PACKAGE = "mcbadge"
SOURCE = Path(mcbadge.__file__).resolve().parent

HTTP_LAYER = ("mcbadge.api", "mcbadge.web")
"""The top layer: the app factory, request dependencies, problem mapping, and the pages."""


def is_http_module(module: str) -> bool:
    """Modules allowed to import the HTTP layer: the layer itself, every feature's ``routes``, the CLI."""
    return (module.startswith(tuple(p + "." for p in HTTP_LAYER)) or module in HTTP_LAYER
            or module.endswith(".routes") or module == "mcbadge.cli")


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@lru_cache(maxsize=1)
def import_graph() -> dict[str, set[str]]:
    """module -> the modules of mcbadge whose code runs when it is imported (directly)."""
    graph = grimp.build_graph(PACKAGE, include_external_packages=False, exclude_type_checking_imports=True)
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        targets = set(graph.find_modules_directly_imported_by(module))
        for target in list(targets):
            targets.update(p for p in _parents(target) if p not in _parents(module) and p != module)
        edges[module] = {t for t in targets if t != module}
    return edges


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items() if not is_http_module(module)
        for target in targets if target in HTTP_LAYER or target.startswith(tuple(p + "." for p in HTTP_LAYER))
    )


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def function_level_imports() -> list[str]:
    """Imports of mcbadge modules inside a function: each one hides a dependency from the module's head."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                own = (isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith(PACKAGE))
                       or isinstance(node, ast.Import) and any(a.name.startswith(PACKAGE) for a in node.names))
                if own:
                    found.append(f"{path.relative_to(SOURCE.parent)}:{node.lineno}")
    return found


def test_only_routes_pages_and_the_cli_import_the_http_layer():
    assert upward_imports(import_graph()) == []


def test_the_package_has_no_import_circles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_no_import_hides_inside_a_function():
    assert function_level_imports() == []


def test_the_checks_catch_a_violation():
    """The checks above are not vacuous: an upward import and a circle added to the real graph are found."""
    graph = {module: set(targets) for module, targets in import_graph().items()}
    assert "mcbadge.api.deps" in graph["mcbadge.credentials.routes"]  # the graph sees real imports
    assert find_cycle(graph) is None
    # The service container reaching up for the request dependencies that are built on it:
    graph["mcbadge.services"].add("mcbadge.api.deps")
    assert upward_imports(graph) == ["mcbadge.services imports mcbadge.api.deps"]
    cycle = find_cycle(graph)
    assert cycle is not None and {"mcbadge.services", "mcbadge.api.deps"} <= set(cycle)


@pytest.mark.parametrize("module", ["mcbadge.services", "mcbadge.principal", "mcbadge.identity", "mcbadge.errors",
                                    "mcbadge.features", "mcbadge.db.session"])
def test_shared_pieces_know_nothing_of_http(module):
    """The shared pieces below the feature services import no web framework."""
    tree = ast.parse((SOURCE.parent / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.split(".")[0] in {"fastapi", "starlette"}}
