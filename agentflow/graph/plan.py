"""The compiled, read-only form of a graph that the executor walks (built once per ``build()``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from agentflow.messages import Message

from .conditions import EdgeCondition
from .nodes import FunctionNode, message_types, type_name
from .snapshot import kind_table
from .spec import END, START

if TYPE_CHECKING:
    from .builder import Graph
    from .spec import JoinSpec, LoopBudget, When

__all__ = ["GraphPlan", "NodePlan"]


class NodePlan:
    """How to run one node and where its output goes.

    ``single`` is set when the node has exactly one unconditional edge to an ordinary node: the
    executor then skips routing altogether (the common case of a chain).
    """

    __slots__ = (
        "call", "cases", "edges", "index", "loop", "name", "out_names", "out_types", "pass_ctx", "single", "timeout",
    )

    def __init__(self, g: Graph, name: str, index: int) -> None:

        node = g.nodes[name]
        self.name = name
        self.index = index
        if isinstance(node, FunctionNode) and not node.takes_ctx:
            self.call: Callable[..., Awaitable[Message | None]] = node.fn
            self.pass_ctx = False
        else:
            self.call = node.call
            self.pass_ctx = True
        self.timeout = g.timeouts.get(name)
        self.out_types: tuple[type[Message], ...] = message_types(node.output_type, where=name)
        self.out_names = type_name(self.out_types)
        plain = [e for e in g.edges if e.src == name and not e.in_branch]
        branch = sorted((e for e in g.edges if e.src == name and e.in_branch), key=lambda e: e.case)
        self.edges: tuple[tuple[When, str], ...] = tuple((e.when, e.dst) for e in plain)
        self.cases: tuple[tuple[When, str], ...] = tuple((e.when, e.dst) for e in branch)
        self.single: str | None = None
        if not branch and len(plain) == 1 and plain[0].when is None:
            dst = plain[0].dst
            if dst != END and dst not in g.joins:
                self.single = dst
        self.loop: LoopBudget | None = g.loops.get(name)


class GraphPlan:
    """Everything the executor needs, precomputed from a validated :class:`Graph`."""

    __slots__ = ("entries", "input_types", "joins", "kinds", "max_steps", "name", "nodes", "output_types", "upstream")

    def __init__(self, g: Graph) -> None:
        import networkx as nx


        self.name = g.name
        self.max_steps = g.max_steps
        self.nodes: dict[str, NodePlan] = {n: NodePlan(g, n, i) for i, n in enumerate(g.nodes)}
        self.joins: dict[str, JoinSpec] = dict(g.joins)
        self.entries: tuple[tuple[When, str, tuple[type[Message], ...]], ...] = tuple(
            (e.when, e.dst, message_types(g.nodes[e.dst].input_type, where=e.dst) if e.dst != END else (Message,))
            for e in g.edges
            if e.src == START
        )
        ins: list[type[Message]] = []
        for _, dst, types in self.entries:
            if dst != END:
                ins += types
        self.input_types: tuple[type[Message], ...] = tuple(dict.fromkeys(ins)) or (Message,)
        self.output_types: tuple[type[Message], ...] = _terminal_types(g)
        self.kinds: dict[str, type[Message]] = kind_table(g.message_classes())
        dg = nx.DiGraph()
        dg.add_edges_from((e.src, e.dst) for e in g.edges)
        self.upstream: dict[str, frozenset[str]] = {j: frozenset(nx.ancestors(dg, j)) for j in g.joins}

    def entry_targets(self, message: Message) -> list[str]:
        """The entry nodes ``message`` goes to: those that accept its type and whose condition holds."""
        return [
            dst for when, dst, types in self.entries if isinstance(message, types) and (when is None or when(message))
        ]


def _terminal_types(g: Graph) -> tuple[type[Message], ...]:
    """What a run can output: the output types of nodes that reach END or may route nowhere."""

    out: list[type[Message]] = []
    for name, node in g.nodes.items():
        mine = [e for e in g.edges if e.src == name]
        if not mine or any(e.dst == END for e in mine) or all(e.when is not None for e in mine):
            out += message_types(node.output_type, where=name)
    return tuple(dict.fromkeys(out)) or (Message,)


def describe_when(when: Any) -> str:
    """A label for an edge condition (declarative ones print their text)."""

    if when is None:
        return ""
    if isinstance(when, EdgeCondition):
        return when.describe()
    return getattr(when, "__name__", "condition")
