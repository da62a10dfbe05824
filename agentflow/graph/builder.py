"""The graph builder: nodes, edges, branches, joins and loop budgets, checked by ``build()``.

Everything is a plain method call, so code (the PDL compiler, an app) can drive it as easily as a
person::

    g = Graph("review")
    g.add_node(draft)                                  # async def draft(task: Task) -> Revision
    g.add_node(judge)                                  # async def judge(rev: Revision) -> Verdict
    g.add_edge(START, "draft")
    g.add_edge("draft", "judge")
    g.add_edge("judge", END, when=field("ok").is_true())
    g.add_edge("judge", "draft", when=field("ok").is_false())
    g.add_loop_budget("draft", max_iterations=3)
    app = g.build()                                    # validation happens here
    result = await app.run(Task(text="..."))

Routing after a node produced a message: every plain edge whose condition holds fires (several
firing edges are a parallel fan-out), plus the first matching case of the node's branch (``if /
elif / else``). A message that fires no edge, or reaches ``END``, is an output of the run.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from agentflow.errors import GraphBuildError
from agentflow.messages import Message

from .joins import ALL, JoinMode
from .nodes import FunctionNode, Node, NodeFn, TypeSpec, message_types
from .runtime import CompiledGraph
from .spec import END, START, EdgeSpec, JoinSpec, LoopBudget, When
from .subgraph import SubgraphNode
from .validate import validate

__all__ = ["END", "START", "EdgeSpec", "Graph", "JoinSpec", "LoopBudget", "When"]

class Graph:
    """A mutable graph description; ``build()`` validates it and returns a runnable graph.

    Args:
        name: shown in events, errors and snapshots.
        max_steps: global step budget per run (node executions); ``run(max_steps=...)`` overrides.
    """

    def __init__(self, name: str = "graph", *, max_steps: int = 10_000) -> None:
        self.name = name
        self.max_steps = max_steps
        self.nodes: dict[str, Node] = {}
        self.timeouts: dict[str, float] = {}
        self.edges: list[EdgeSpec] = []
        self.joins: dict[str, JoinSpec] = {}
        self.loops: dict[str, LoopBudget] = {}

    # -- nodes -------------------------------------------------------------------------------
    def add_node(
        self,
        node: Node | NodeFn | CompiledGraph,
        *,
        name: str | None = None,
        timeout: float | None = None,
        input_type: TypeSpec | None = None,
        output_type: TypeSpec | None = None,
    ) -> str:
        """Add a node and return its name.

        Args:
            node: a :class:`Node`, an async function (types from its annotations) or a built graph
                (run as a sub-graph).
            name: the node's name (default: the node's or function's own name).
            timeout: seconds one execution may take; exceeding it fails the run with
                :class:`~agentflow.graph.runtime.NodeTimeout`.
            input_type, output_type: override a function's annotations.

        Raises:
            GraphBuildError: a duplicate or reserved name, or an unusable function.
        """

        if isinstance(node, CompiledGraph):
            made: Node = SubgraphNode(node, name=name)
        elif isinstance(node, Node):
            made = node
        else:
            made = FunctionNode(node, name=name, input_type=input_type, output_type=output_type)
        key = name or made.name
        if key in (START, END):
            raise GraphBuildError(f"graph {self.name!r}: {key!r} is a reserved node name", hint="pick another name")
        if key in self.nodes:
            raise GraphBuildError(f"graph {self.name!r}: duplicate node name {key!r}", hint="give each node a name=")
        self.nodes[key] = made
        if timeout is not None:
            if timeout <= 0:
                raise GraphBuildError(f"node {key!r}: timeout must be positive, got {timeout}")
            self.timeouts[key] = float(timeout)
        return key

    def node(self, fn: NodeFn | None = None, *, name: str | None = None, timeout: float | None = None) -> Any:
        """Decorator form of :meth:`add_node` (``@g.node`` or ``@g.node(name=..., timeout=...)``)."""
        if fn is not None:
            self.add_node(fn, name=name, timeout=timeout)
            return fn

        def deco(f: NodeFn) -> NodeFn:
            self.add_node(f, name=name, timeout=timeout)
            return f

        return deco

    # -- edges -------------------------------------------------------------------------------
    def add_edge(self, src: str, dst: str, *, when: When = None) -> Graph:
        """Route ``src``'s output to ``dst`` (when ``when`` holds). Several edges fan out in parallel."""
        self.edges.append(EdgeSpec(src, dst, when))
        return self

    def add_chain(self, *names: str) -> Graph:
        """Plain edges ``names[0] -> names[1] -> ...`` (``START`` and ``END`` allowed)."""
        for a, b in itertools.pairwise(names):
            self.add_edge(a, b)
        return self

    def add_branch(self, src: str, cases: Sequence[tuple[When, str]], *, default: str | None = None) -> Graph:
        """``if / elif / else`` on ``src``'s output: the first case whose condition holds fires.

        Args:
            src: the node whose output is tested.
            cases: ``(condition, destination)`` pairs, tested in order.
            default: where the message goes when no case holds (``None``: it becomes an output).

        Raises:
            GraphBuildError: when ``src`` already has a branch.
        """
        if any(e.src == src and e.in_branch for e in self.edges):
            raise GraphBuildError(
                f"graph {self.name!r}: node {src!r} already has a branch", hint="put all cases in one add_branch"
            )
        for i, (when, dst) in enumerate(cases):
            if when is None:
                raise GraphBuildError(f"branch of {src!r}: case {i} has no condition", hint="use default= for else")
            self.edges.append(EdgeSpec(src, dst, when, i))
        if default is not None:
            self.edges.append(EdgeSpec(src, default, None, len(cases)))
        return self

    def add_join(self, node: str, sources: Sequence[str], mode: JoinMode = ALL) -> Graph:
        """Make ``node`` a join over ``sources`` (adds the ``source -> node`` edges that are missing).

        The node must accept :class:`~agentflow.graph.joins.Joined`; see :mod:`agentflow.graph.joins`.
        """
        if node in self.joins:
            raise GraphBuildError(f"graph {self.name!r}: node {node!r} is already a join")
        if not sources:
            raise GraphBuildError(f"join {node!r}: no sources", hint="list the nodes it waits for")
        srcs = tuple(dict.fromkeys(sources))
        if mode.name == "quorum" and not 1 <= mode.k <= len(srcs):
            raise GraphBuildError(
                f"join {node!r}: quorum({mode.k}) needs between 1 and {len(srcs)} sources",
                hint=f"use quorum(k) with k <= {len(srcs)}",
            )
        self.joins[node] = JoinSpec(node, srcs, mode)
        existing = {(e.src, e.dst) for e in self.edges}
        for s in srcs:
            if (s, node) not in existing:
                self.add_edge(s, node)
        return self

    def add_loop_budget(
        self, header: str, max_iterations: int, *, exit_to: str | None = None, name: str | None = None
    ) -> Graph:
        """Bound a cycle: ``header`` (a node on it) may run at most ``max_iterations`` times per run.

        When the budget is spent the message that would enter ``header`` goes to ``exit_to`` if
        given (a ``budget`` event says so), otherwise the run stops with status
        ``"budget_exhausted"``.
        """
        if max_iterations < 1:
            raise GraphBuildError(f"loop budget on {header!r}: max_iterations must be >= 1, got {max_iterations}")
        if exit_to == header:
            raise GraphBuildError(f"loop budget on {header!r}: exit_to must be another node", hint="or leave it out")
        if header in self.loops:
            raise GraphBuildError(f"graph {self.name!r}: node {header!r} already has a loop budget")
        self.loops[header] = LoopBudget(name or header, header, max_iterations, exit_to)
        return self

    # -- build -------------------------------------------------------------------------------
    def build(self) -> CompiledGraph:
        """Validate (see :mod:`agentflow.graph.validate`) and return the runnable graph.

        Raises:
            GraphBuildError: naming the nodes (and types) at fault.
        """

        validate(self)
        return CompiledGraph(self)

    def message_classes(self) -> list[type[Message]]:
        """Every message class a node declares (for snapshot decoding)."""

        out: list[type[Message]] = []
        for n in self.nodes.values():
            out += message_types(n.input_type, where=n.name)
            out += message_types(n.output_type, where=n.name)
        return out
