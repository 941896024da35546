"""No import circle anywhere in the package, and no import placed only to fix an order.

Every ``import`` in every module counts, those inside functions too (a function-level import
that dodges a cycle is still a cycle a reader has to know about); only imports under
``if TYPE_CHECKING:`` are left out, since they never run. Importing ``a.b.c`` also runs the
packages ``a.b`` and ``a`` first, so an import names those packages as well, except the
importer's own ancestors (already being imported when it runs).

Run as a script on another checkout (``python tests/provider/test_import_graph.py PATH``) to
list that tree's circles.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "airflow_provider_openai_projects"
ROOT = Path(__file__).resolve().parents[2]


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module name imported by ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (and the packages that import runs)."""
    files = {_module_name(root, p): p for p in (root / PACKAGE).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        if path.name == "__init__.py":
            ancestors.add(module)
        edges: set[str] = set()
        for name in _imports(ast.parse(path.read_text()), module, path.name == "__init__.py"):
            parts = name.split(".")
            for i in range(2, len(parts) + 1):
                target = ".".join(parts[:i])
                if target in files and target not in ancestors and target != module:
                    edges.add(target)
        graph[module] = edges
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_package_has_no_import_circle() -> None:
    assert import_cycles(import_graph(ROOT)) == []


def test_the_cycle_finder_sees_a_circle_made_by_a_function_level_import(tmp_path: Path) -> None:
    pkg = tmp_path / PACKAGE / "client"
    pkg.mkdir(parents=True)
    (tmp_path / PACKAGE / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "pacing.py").write_text(
        "def shared():\n    from airflow_provider_openai_projects.client.budget import SharedPacer\n"
    )
    (pkg / "budget.py").write_text("from airflow_provider_openai_projects.client.pacing import shared\n")
    assert import_cycles(import_graph(tmp_path)) == [
        [f"{PACKAGE}.client.budget", f"{PACKAGE}.client.pacing"],
    ]


def test_the_cycle_finder_sees_a_circle_through_a_package_init(tmp_path: Path) -> None:
    root = tmp_path / PACKAGE
    (root / "state").mkdir(parents=True)
    (root / "families").mkdir()
    (root / "__init__.py").write_text("")
    (root / "state" / "__init__.py").write_text(f"from {PACKAGE}.families.audit import AuditOps\n")
    (root / "state" / "core.py").write_text("")
    (root / "families" / "__init__.py").write_text(f"from {PACKAGE} import state as _state\n")
    (root / "families" / "audit.py").write_text(f"from {PACKAGE}.state.core import x\n")
    cycles = import_cycles(import_graph(tmp_path))
    assert any({f"{PACKAGE}.families", f"{PACKAGE}.state"} <= set(cycle) for cycle in cycles), cycles


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text(f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from {PACKAGE}.b import B\n")
    (root / "b.py").write_text(f"from {PACKAGE}.a import A\n")
    assert import_cycles(import_graph(tmp_path)) == []


if __name__ == "__main__":  # pragma: no cover - a tool for closing notes
    for cycle in import_cycles(import_graph(Path(sys.argv[1]).resolve())):
        print(" <-> ".join(cycle))
