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
    "messages": 1,
    "events": 2,
    "backends": 2,
    "tools": 2,
    "testing": 2,
    "store": 2,
    "graph": 3,
    "roles": 4,
    "controllers": 4,
    "pdl": 5,
    "runner": 6,
    "eval": 6,
    "cli": 7,
    "__init__": 7,
    "__main__": 7,
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
