"""The graph's vocabulary, at the bottom of the package: pseudo-nodes, edges, joins, loop budgets.

Every other graph module (builder, plan, engine, validate, runtime) speaks these names, and this
module imports none of them, as pydantic_graph keeps ``StartNode``/``End`` at the bottom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .conditions import EdgeCondition
from .joins import JoinMode

__all__ = ["END", "START", "EdgeSpec", "JoinSpec", "LoopBudget", "When"]

START = "__start__"
"""Pseudo-node where the input message enters (``add_edge(START, "first")``)."""

END = "__end__"
"""Pseudo-node that makes a message an output of the run (``add_edge("last", END)``)."""

When = EdgeCondition | Callable[[Any], bool] | None
"""An edge condition: a declarative :class:`EdgeCondition`, any ``callable(message) -> bool``, or none."""


@dataclass(frozen=True, slots=True)
class EdgeSpec:
    """One edge. ``case`` is the position in the source's branch (``-1``: a plain edge)."""

    src: str
    dst: str
    when: When = None
    case: int = -1

    @property
    def in_branch(self) -> bool:
        return self.case >= 0


@dataclass(frozen=True, slots=True)
class JoinSpec:
    """A join node: it runs once per firing, on a :class:`~agentflow.graph.joins.Joined` message."""

    node: str
    sources: tuple[str, ...]
    mode: JoinMode


@dataclass(frozen=True, slots=True)
class LoopBudget:
    """At most ``max_iterations`` runs of ``header`` per run; then stop, or go on at ``exit_to``."""

    name: str
    header: str
    max_iterations: int
    exit_to: str | None = None
