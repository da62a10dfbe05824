"""Build-time checks of a graph, with networkx: every error names the nodes (and types) at fault.

Checked, in order: edges and joins name existing nodes; the graph has an entry; every
producer -> consumer edge carries a type the consumer accepts (after ``is_a`` narrowing); field
conditions read fields the producer's type has; every node is reachable from ``START``; and every
cycle has an exit edge or a loop budget.

networkx is imported here, lazily, so that importing agentflow stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentflow.errors import GraphBuildError
from agentflow.messages import Message

from .conditions import EdgeCondition
from .joins import Joined
from .nodes import message_types, type_name
from .spec import END, START

if TYPE_CHECKING:
    from .builder import Graph
    from .spec import EdgeSpec

__all__ = ["fits", "validate"]


def validate(g: Graph) -> None:
    """Raise :class:`GraphBuildError` for the first problem found in ``g``."""

    where = f"graph {g.name!r}"
    names = set(g.nodes)
    _check_joins(g, names)
    for e in g.edges:
        if e.src == END or (e.src not in names and e.src != START):
            raise GraphBuildError(f"{where}: edge {e.src!r} -> {e.dst!r} starts at unknown node {e.src!r}",
                                  hint=_known(names))
        if e.dst == START or (e.dst not in names and e.dst != END):
            raise GraphBuildError(f"{where}: edge {e.src!r} -> {e.dst!r} leads to unknown node {e.dst!r}",
                                  hint=_known(names))
    if any(e.src == START and e.dst == END for e in g.edges):
        raise GraphBuildError(f"{where}: edge START -> END skips every node", hint="start at a node")
    if not any(e.src == START for e in g.edges):
        raise GraphBuildError(f"{where}: no entry", hint='add add_edge(START, "<first node>")')
    _check_loops(g, names)
    for e in g.edges:
        if e.src != START:
            _check_edge_types(g, e)
    _check_reachable(g)
    _check_cycles(g)


def fits(produced: tuple[type[Message], ...], accepted: tuple[type[Message], ...]) -> list[type[Message]]:
    """The produced classes that no accepted class admits (empty when the edge is well typed)."""
    return [p for p in produced if not any(issubclass(p, a) for a in accepted)]


def _known(names: set[str]) -> str:
    shown = ", ".join(sorted(names)[:12]) or "none yet"
    return f"add_node() it first; known nodes: {shown}"


def _check_joins(g: Graph, names: set[str]) -> None:
    for spec in g.joins.values():
        if spec.node not in names:
            raise GraphBuildError(f"join {spec.node!r}: no such node", hint=_known(names))
        for s in spec.sources:
            if s not in names:
                raise GraphBuildError(f"join {spec.node!r}: source {s!r} is not a node", hint=_known(names))
        accepts = message_types(g.nodes[spec.node].input_type, where=spec.node)
        if fits((Joined,), accepts):
            raise GraphBuildError(
                f"join {spec.node!r}: the join delivers Joined but {spec.node!r} accepts {type_name(accepts)}",
                hint="annotate the join node's parameter as Joined",
            )


def _check_loops(g: Graph, names: set[str]) -> None:

    for lb in g.loops.values():
        if lb.header not in names:
            raise GraphBuildError(f"loop budget {lb.name!r}: no node {lb.header!r}", hint=_known(names))
        if lb.exit_to is None or lb.exit_to == END:
            continue
        if lb.exit_to not in names:
            raise GraphBuildError(f"loop budget {lb.name!r}: exit_to {lb.exit_to!r} is not a node", hint=_known(names))
        header_in = message_types(g.nodes[lb.header].input_type, where=lb.header)
        exit_in = message_types(g.nodes[lb.exit_to].input_type, where=lb.exit_to)
        bad = fits(header_in, exit_in)
        if bad:
            raise GraphBuildError(
                f"loop budget {lb.name!r}: messages for {lb.header!r} ({type_name(header_in)}) cannot go to "
                f"exit_to {lb.exit_to!r}, which accepts {type_name(exit_in)}",
                hint="pick an exit node that accepts the loop header's input type",
            )


def _check_edge_types(g: Graph, e: EdgeSpec) -> None:

    produced = message_types(g.nodes[e.src].output_type, where=e.src)
    if isinstance(e.when, EdgeCondition):
        kinds = e.when.kinds()
        if kinds is not None:
            narrowed = tuple(p for p in produced if _kind(p) in kinds or _kind(p) is None)
            if not narrowed:
                raise GraphBuildError(
                    f"edge {e.src!r} -> {e.dst!r}: condition {e.when.describe()} never holds: {e.src!r} produces "
                    f"{type_name(produced)}",
                    hint="test for a type the source produces",
                )
            produced = narrowed
        _check_fields(e, e.when, produced)
    if e.dst == END or e.dst in g.joins:
        return
    accepted = message_types(g.nodes[e.dst].input_type, where=e.dst)
    bad = fits(produced, accepted)
    if bad:
        raise GraphBuildError(
            f"edge {e.src!r} -> {e.dst!r}: {e.src!r} produces {type_name(tuple(bad))} but {e.dst!r} accepts "
            f"{type_name(accepted)}",
            hint=f"change {e.dst!r}'s input type, convert in between, or route by type with when=is_a(...)",
        )


def _check_fields(e: EdgeSpec, cond: EdgeCondition, produced: tuple[type[Message], ...]) -> None:
    if all(p is Message for p in produced):
        return
    for path in cond.fields():
        head = path.split(".", 1)[0]
        if not any(head in p.model_fields for p in produced if p is not Message):
            raise GraphBuildError(
                f"edge {e.src!r} -> {e.dst!r}: condition reads field {head!r}, which {type_name(produced)} "
                "does not have",
                hint="fields: " + ", ".join(sorted({f for p in produced for f in p.model_fields})),
            )


def _kind(cls: type[Message]) -> str | None:
    default = cls.model_fields["kind"].default
    return default if isinstance(default, str) else None


def _digraph(g: Graph) -> Any:
    import networkx as nx

    dg = nx.DiGraph()
    dg.add_nodes_from(g.nodes)
    dg.add_edges_from((e.src, e.dst) for e in g.edges)
    for lb in g.loops.values():
        if lb.exit_to is not None:
            dg.add_edge(lb.header, lb.exit_to)
    return dg


def _check_reachable(g: Graph) -> None:
    import networkx as nx


    dg = _digraph(g)
    reached = nx.descendants(dg, START)
    lost = sorted(n for n in g.nodes if n not in reached)
    if lost:
        raise GraphBuildError(
            f"graph {g.name!r}: unreachable from the entry: {', '.join(repr(n) for n in lost)}",
            hint="add an edge into them or remove them",
        )


def _check_cycles(g: Graph) -> None:
    import networkx as nx


    dg = _digraph(g)
    budgets = set(g.loops)
    for scc in nx.strongly_connected_components(dg):
        members = set(scc)
        if len(members) == 1:
            (only,) = members
            if not dg.has_edge(only, only):
                continue
        if members & budgets:
            continue
        exits = [(a, b) for a in members for b in dg.successors(a) if b not in members or b == END]
        if exits:
            continue
        cycle = [a for a, _ in nx.find_cycle(dg.subgraph(members))]
        path = " -> ".join(repr(n) for n in [*cycle, cycle[0]])
        raise GraphBuildError(
            f"graph {g.name!r}: cycle {path} has neither an exit edge nor a loop budget",
            hint=f"add an edge out of it (e.g. add_edge({cycle[-1]!r}, END, when=...)) "
            f"or add_loop_budget({cycle[0]!r}, max_iterations=N)",
        )
