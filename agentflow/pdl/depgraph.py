"""Guided mode's compiled form: the API/ANSWER dependency graph the controllers enforce.

Nodes are ``API:<name>`` and ``ANSWER:<name>`` (attributes ``kind``, ``name``, ``decl``). An edge
``u -> v`` means *u must have run (successfully) before v*: ``kind="precondition"`` for a named
precondition, ``kind="value"`` (with ``condition``, an :data:`~agentflow.pdl.expr.Expr`, and ``text``)
when v also requires a field of u's result to satisfy a condition. Names are normalised with
:func:`~agentflow.pdl.document.name_key` so ``API_x`` and ``API.x`` meet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from agentflow.pdl.document import AnswerDecl, ApiDecl, PdlDocument, name_key
from agentflow.pdl.expr import ExprError, evaluate

__all__ = ["dependency_graph", "missing_requirements", "node_id"]


def node_id(kind: str, name: str) -> str:
    """The graph node for an API or ANSWER name (``API:name``)."""
    return f"{kind}:{name_key(name)}"


def dependency_graph(doc: PdlDocument) -> nx.DiGraph:
    """API/ANSWER nodes with precondition edges (first declaration of each name wins)."""
    graph: nx.DiGraph = nx.DiGraph()
    decls: list[tuple[str, ApiDecl | AnswerDecl]] = [("API", a) for a in doc.apis] + [
        ("ANSWER", a) for a in doc.answers
    ]
    for kind, decl in decls:
        nid = node_id(kind, decl.name)
        if nid not in graph:
            graph.add_node(nid, kind=kind, name=decl.name, decl=decl)
    for kind, decl in decls:
        target = node_id(kind, decl.name)
        if graph.nodes[target]["decl"] is not decl:
            continue
        for pre in decl.preconditions:
            src = node_id("API", pre)
            if src in graph:
                graph.add_edge(src, target, kind="precondition")
        for vc in decl.value_conditions:
            if vc.api is None:
                continue
            src = node_id("API", vc.api)
            if src in graph:
                conds = graph.edges[src, target].get("conditions", ()) if graph.has_edge(src, target) else ()
                graph.add_edge(src, target, kind="value", conditions=(*conds, vc))
    return graph


def missing_requirements(graph: nx.DiGraph, kind: str, name: str, results: Mapping[str, Any]) -> list[str]:
    """What still blocks calling ``kind:name``, given the results of the APIs run so far.

    Args:
        results: API name → its (latest successful) result (a mapping or model).

    Returns:
        Human-readable reasons, empty when the call is allowed. Unknown nodes have no requirements.
    """
    nid = node_id(kind, name)
    if nid not in graph:
        return []
    done = {name_key(k): v for k, v in results.items()}
    reasons: list[str] = []
    for src in graph.predecessors(nid):
        api = graph.nodes[src]["name"]
        if name_key(api) not in done:
            reasons.append(f"{api} must be called first")
            continue
        edge = graph.edges[src, nid]
        for vc in edge.get("conditions", ()):
            env = {api: done[name_key(api)], name_key(api): done[name_key(api)]}
            try:
                ok = bool(evaluate(vc.expr, env))
            except ExprError as exc:
                reasons.append(f"precondition {vc.text} cannot be checked: {exc}")
                continue
            if not ok:
                reasons.append(f"precondition {vc.text} does not hold")
    return reasons
