"""The run as the viewer shows it: turns of ordered entries, plus model-call totals.

Built from trace records (``agentflow.events``) read with the bounded readers of
:mod:`agentflow.safeload`, so a missing, non-UTF-8 or garbled trace is one located
:class:`~agentflow.errors.UserError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentflow.errors import UserError
from agentflow.safeload import read_jsonl

__all__ = ["Entry", "RunView", "Turn", "build_run", "load_run"]


@dataclass(slots=True)
class Entry:
    """One record shown in a turn: its event type and fields."""

    kind: str
    data: dict[str, Any]


@dataclass(slots=True)
class Turn:
    """Everything that happened in one user turn (turn 0: before the first user message)."""

    number: int
    entries: list[Entry] = field(default_factory=list)


@dataclass(slots=True)
class RunView:
    """The whole run: its start and end records, its turns, and the model-call totals."""

    start: dict[str, Any] = field(default_factory=dict)
    end: dict[str, Any] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def build_run(records: list[dict[str, Any]]) -> RunView:
    """Group trace records into turns and sum the ``llm_call`` records."""
    view = RunView()
    turns: dict[int, Turn] = {}
    current = 0
    for rec in records:
        kind = str(rec.get("type", ""))
        if kind == "run_start":
            view.start = rec
            continue
        if kind == "run_end":
            view.end = rec
            continue
        if kind == "llm_call":
            view.llm_calls += 1
            view.input_tokens += int(_num(rec.get("input_tokens")))
            view.output_tokens += int(_num(rec.get("output_tokens")))
            view.latency_s += _num(rec.get("latency_s"))
            view.cost_usd += _num(rec.get("cost_usd"))
        turn = rec.get("turn")
        if isinstance(turn, int) and not isinstance(turn, bool):
            current = turn
        turns.setdefault(current, Turn(current)).entries.append(Entry(kind, rec))
    view.turns = [turns[k] for k in sorted(turns)]
    return view


def load_run(path: str | Path) -> RunView:
    """Read a trace file into a :class:`RunView`; bad input is one clear :class:`UserError`."""
    rows = read_jsonl(path, "trace", hint="give the JSONL file written by `agentflow run --trace`")
    records: list[dict[str, Any]] = []
    for line, value in rows:
        if not isinstance(value, dict) or not isinstance(value.get("type"), str):
            raise UserError(f"{path}:{line}:1: not a trace event (a JSON object with a \"type\")")
        records.append(value)
    if not records:
        raise UserError(f"{path}: the trace is empty", hint="give the JSONL file written by `agentflow run --trace`")
    return build_run(records)
