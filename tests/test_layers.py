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
def grimp_graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, include_external_packages=False, exclude_type_checking_imports=True)


@lru_cache(maxsize=1)
def import_graph() -> dict[str, set[str]]:
    """module -> the modules of mcbadge whose code runs when it is imported (directly)."""
    graph = grimp_graph()
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


LAZY_IMPORTS = {
    ("mcbadge/cli.py", "serve", "mcbadge.api.app"),
    ("mcbadge/cli.py", "openapi", "mcbadge.api.openapi_doc"),
}
"""The imports allowed inside a function (file, function, module): the two commands that build the HTTP app import
it when they run. At the top of cli.py the app (every route and page) was paid for by every command:
``python -c "import mcbadge.cli"`` took 4.1 s, 2.6 s without it (CPU seconds, best of 7 interleaved runs on this
2-core machine under load), so ``mcbadge verify badge.png`` waited 1.5 s for routes it never uses. grimp sees
these imports too: the layer and circle checks above still cover them."""


def _imported_module(node: ast.Import | ast.ImportFrom, path: Path) -> str:
    if isinstance(node, ast.Import):
        return ", ".join(a.name for a in node.names)
    if node.level == 0:
        return node.module or ""
    package = path.relative_to(SOURCE.parent).with_suffix("").parts[:-node.level]
    return ".".join([*package, *([node.module] if node.module else [])])


def function_level_imports() -> list[tuple[str, str, str, int]]:
    """Imports of mcbadge modules inside a function (file, function, module, line): each one hides a dependency
    from the module's head."""
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
                    assert isinstance(node, (ast.Import, ast.ImportFrom))
                    found.append((str(path.relative_to(SOURCE.parent)), func.name, _imported_module(node, path),
                                  node.lineno))
    return found


def test_only_routes_pages_and_the_cli_import_the_http_layer():
    assert upward_imports(import_graph()) == []


def test_the_package_has_no_import_circles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_no_import_hides_inside_a_function():
    assert [f for f in function_level_imports() if f[:3] not in LAZY_IMPORTS] == []


def test_the_cli_imports_the_http_app_only_in_the_commands_that_run_it():
    """The allowed exceptions are still there (the list stays exact), and they are the only way mcbadge.cli reaches
    the HTTP layer: an import of it at the top of cli.py would make every command slow again."""
    lazy = {f[:3]: f[3] for f in function_level_imports() if f[:3] in LAZY_IMPORTS}
    assert set(lazy) == LAZY_IMPORTS
    graph = grimp_graph()
    http_imports = {(target, detail["line_number"])
                    for target in graph.find_modules_directly_imported_by("mcbadge.cli") if is_http_module(target)
                    for detail in graph.get_import_details(importer="mcbadge.cli", imported=target)}
    assert http_imports == {(module, lazy[(file, function, module)]) for file, function, module in LAZY_IMPORTS}


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
