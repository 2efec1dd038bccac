"""The layout holds: stages import only upstream, no module-level import cycles, the app and the benchmark stay leaves."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("corpus", "graph", "embed", "web")  # upstream first
APP_IMPORTERS = {"councilkg.web.serve"}  # besides tests


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["councilkg", *parts])


MODULES = {module_name(p): p for stage in STAGES for p in sorted((ROOT / stage).rglob("*.py"))}


def _target(name: str) -> str | None:
    """The councilkg module an import names: itself if it is one, else the package holding the imported name."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports(module: str) -> list[tuple[str, bool]]:
    """(imported councilkg module, at module level?) for every import statement in the module, however deep."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: resolved against this module's package
                    anchor = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    base = f"{anchor}.{base}".rstrip(".")
                names = [f"{base}.{a.name}" for a in child.names]
            else:
                inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, ast.If) and _is_type_checking(child):
                    inner = False  # never runs: a type hint, not a dependency at import time
                visit(child, inner)
                continue
            for name in names:
                target = _target(name) if name.startswith("councilkg.") else None
                if target and target != module:
                    found.append((target, top))

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), True)
    return found


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    """Every import between councilkg modules; edge attribute top: some import of it runs when the module is imported."""
    g = nx.DiGraph()
    g.add_nodes_from(MODULES)
    for m in MODULES:
        for target, top in imports(m):
            g.add_edge(m, target, top=top or g.get_edge_data(m, target, {}).get("top", False))
    return g


def stage_of(module: str) -> int:
    return STAGES.index(module.split(".")[1])


def test_the_parser_sees_the_real_imports(graph):
    assert len(MODULES) > 60 and graph.number_of_edges() > 100
    assert graph.edges["councilkg.web.views", "councilkg.web.api"]["top"]
    assert graph.edges["councilkg.embed.pipeline", "councilkg.graph.store"]["top"]
    assert not graph.edges["councilkg.web.loaders", "councilkg.web.kinds"]["top"], "imported inside load()"


def test_no_import_cycle_at_module_level(graph):
    top = nx.DiGraph([(a, b) for a, b, d in graph.edges(data=True) if d["top"]])
    cycles = [c for c in nx.strongly_connected_components(top) if len(c) > 1]
    assert not cycles, f"modules importing each other: {cycles}"


def test_no_module_imports_a_later_stage(graph):
    later = [(a, b) for a, b in graph.edges if stage_of(b) > stage_of(a)]
    assert not later, f"imports of a downstream stage: {later}"


def test_only_serve_imports_the_app(graph):
    assert set(graph.predecessors("councilkg.web.app")) <= APP_IMPORTERS


def test_only_the_cli_imports_the_benchmark(graph):
    bench = {m for m in MODULES if m == "councilkg.web.bench" or m.startswith("councilkg.web.bench.")}
    cli = {m for m in MODULES if m == "councilkg.web.cli" or m.startswith("councilkg.web.cli.")}
    outside = [(a, b) for a, b in graph.edges if b in bench and a not in bench | cli]
    assert not outside, f"imports of the benchmark from outside the CLI: {outside}"
