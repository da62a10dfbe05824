"""Tools every executed workflow may call (``API.run_tests(...)``, ``API.template_guidance(...)``, ...).

* ``run_tests(code, tests, timeout_s=10)`` — run assert-style tests against generated code in the
  subprocess sandbox (:mod:`agentflow.tools.sandbox`); returns ``ok``, counts, failures, ``summary``.
* ``template_guidance(db, query, k=5)`` — the curator's template tree: lessons relevant to
  ``query`` and the tree's category ``paths``.
* ``template_add(db, text, path)`` — file a curator lesson.
* ``record_episode(db, initial, final, expected="", lessons=[], accepted=False)`` — store how a
  Table-Critic run went and return the tree's error-correction and degradation rates.

Each is a :class:`~agentflow.tools.binding.ToolBinding`; a ``--tools`` file may override any of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from agentflow.pdl.functions import normalize_answer
from agentflow.roles.template_tree import TemplateTree
from agentflow.tools.sandbox import SandboxLimits, run_tests

__all__ = ["BUILTIN_TOOL_NAMES", "builtin_tools"]

Fn = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class _Tool:
    kind = "builtin"

    def __init__(self, fn: Fn) -> None:
        self._fn = fn

    async def __call__(self, args: dict[str, Any]) -> dict[str, Any]:
        return await self._fn(args)


def _tree(args: dict[str, Any], base: Path) -> TemplateTree:
    db = str(args.get("db") or ".agentflow/template_tree.db")
    path = Path(db)
    return TemplateTree(path if path.is_absolute() else base / path)


def builtin_tools(base_dir: str | Path = ".", *, run_id: str = "") -> dict[str, _Tool]:
    """The built-in tools; relative template-tree paths resolve against ``base_dir``."""
    base = Path(base_dir)

    async def tests(args: dict[str, Any]) -> dict[str, Any]:
        limits = SandboxLimits(timeout_s=float(args.get("timeout_s", 10)))
        report = await run_tests(str(args.get("code", "")), str(args.get("tests", "")), limits=limits)
        return {"ok": report.ok, "passed": report.passed, "failed": report.failed, "failures": report.failures,
                "error": report.error, "timed_out": report.timed_out, "summary": report.summary(),
                "code": str(args.get("code", ""))}

    async def guidance(args: dict[str, Any]) -> dict[str, Any]:
        tree = _tree(args, base)
        lessons = tree.guidance(str(args.get("query", "")), k=int(args.get("k", 5)))
        return {"lessons": lessons, "paths": tree.paths(), "size": len(tree)}

    async def add(args: dict[str, Any]) -> dict[str, Any]:
        path = args.get("path") or []
        added = _tree(args, base).add(str(args.get("text", "")), [str(p) for p in path] if isinstance(path, list)
                                      else str(path).split("/"))
        return {"added": added}

    async def episode(args: dict[str, Any]) -> dict[str, Any]:
        tree = _tree(args, base)
        expected = str(args.get("expected") or "")
        initial, final = args.get("initial", ""), args.get("final", "")
        first_ok = _contains(initial, expected) if expected else None
        last_ok = _contains(final, expected) if expected else None
        helped = bool(last_ok) if expected else bool(args.get("accepted")) and normalize_answer(initial) != \
            normalize_answer(final)
        tree.credit([str(x) for x in args.get("lessons") or []], helped=helped)
        tree.record_episode(run_id, initially_correct=first_ok, finally_correct=last_ok,
                            rounds=int(args.get("rounds", 0)))
        stats = tree.stats()
        return {"answer": final, "initially_correct": first_ok, "finally_correct": last_ok,
                "episodes": stats.episodes, "error_correction_rate": round(stats.error_correction_rate, 4),
                "degradation_rate": round(stats.degradation_rate, 4)}

    return {"run_tests": _Tool(tests), "template_guidance": _Tool(guidance), "template_add": _Tool(add),
            "record_episode": _Tool(episode)}


def _contains(answer: Any, expected: str) -> bool:
    """Whether ``answer`` states ``expected``: equal after normalisation, or its last line/sentence does."""
    got = normalize_answer(answer)
    want = normalize_answer(expected)
    if got == want:
        return True
    tail = str(answer).strip().splitlines()[-1] if str(answer).strip() else ""
    return bool(want) and (normalize_answer(tail) == want or f" {want}" in f" {got} ".replace(".", " "))


BUILTIN_TOOL_NAMES = ("record_episode", "run_tests", "template_add", "template_guidance")
