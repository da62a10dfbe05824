"""Enforces the import layers of DESIGN.md §3: a module imports only from its own layer or below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "agentflow"

LAYERS: dict[str, int] = {
    "errors": 0,
    "_ids": 0,
    "redact": 0,
    "safeload": 0,
    "messages": 1,
    "events": 2,
    "backends": 3,
    "tools": 3,
    "testing": 4,
    "store": 3,
    "models": 5,
    "graph": 5,
    "roles": 6,
    "controllers": 6,
    "pdl": 7,
    "guided": 8,
    "executed": 8,
    "runner": 9,
    "eval": 9,
    "viewer": 9,
    "cli": 10,
    "serve": 10,
    "__init__": 10,
    "__main__": 10,
}


def _top(module_path: Path) -> str:
    rel = module_path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py")


def _imports(tree: ast.AST) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


def _modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def test_every_package_has_a_layer() -> None:
    unknown = {_top(p) for p in _modules()} - set(LAYERS)
    assert not unknown, f"add these to LAYERS (and DESIGN.md §3): {sorted(unknown)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_respect_layers(path: Path) -> None:
    own = LAYERS[_top(path)]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for name, line in _imports(tree):
        if not name.startswith("agentflow.") or name == "agentflow":
            continue
        target = name.split(".")[1]
        if target in LAYERS and LAYERS[target] > own:
            bad.append(f"{path.name}:{line} imports {name} (layer {LAYERS[target]} > {own})")
    assert not bad, "\n".join(bad)


HEAVY = ("torch", "transformers", "vllm", "litellm", "openai", "anthropic", "ray", "psycopg")


def test_import_agentflow_is_light() -> None:
    import subprocess
    import sys

    code = f"import sys, agentflow; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"`import agentflow` loaded heavy modules: {out}"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute_imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, int]]:
    """Every import as an absolute module name, relative ones (``from .x import y``) resolved."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                anchor = parts if is_package else parts[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Line numbers of imports under ``if TYPE_CHECKING:`` (never run, so they cannot form a runtime cycle)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if isinstance(sub, ast.Import | ast.ImportFrom):
                        lines.add(sub.lineno)
    return lines


def _runtime_graph() -> dict[str, set[str]]:
    """module -> the agentflow modules it imports when it runs (top level and inside functions alike)."""
    modules = {_module_name(p): p for p in _modules()}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        for target, line in _absolute_imports(tree, name, path.name == "__init__.py"):
            if line in skip or not target.startswith("agentflow"):
                continue
            while target and target not in modules:  # `from agentflow.x.y import z`: z may be a name
                target = target.rpartition(".")[0]
            if target and target != name and target != "agentflow":
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _parent_edges_ok(a: str, b: str) -> bool:
    """A package's ``__init__`` re-exporting its own submodules is not a cycle of concern (a submodule
    importing its package's ``__init__`` is: that runs every re-export)."""
    return b.startswith(a + ".")


def test_no_module_import_cycles() -> None:
    graph = _runtime_graph()
    pruned = {m: {t for t in ts if not _parent_edges_ok(m, t)} for m, ts in graph.items()}
    cycles = _cycles(pruned)
    assert not cycles, "import cycles between modules:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_package_import_cycles() -> None:
    graph = _runtime_graph()
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        src = ".".join(module.split(".")[:2])
        packages.setdefault(src, set())
        for t in targets:
            dst = ".".join(t.split(".")[:2])
            if dst != src and dst != "agentflow":
                packages[src].add(dst)
                packages.setdefault(dst, set())
    cycles = _cycles(packages)
    assert not cycles, "import cycles between packages:\n" + "\n".join(" <-> ".join(c) for c in cycles)


MAX_LINES = 400


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PKG)} has {lines} lines (limit {MAX_LINES}): split it by job"
