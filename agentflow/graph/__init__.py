"""The async graph runtime: typed nodes, conditional edges, budgets, joins, sub-graphs, checkpoints.

It knows nothing of LLMs, roles or PDL: it runs anything that satisfies :class:`Node`. See
``docs/graph.md`` for a tour; the short version::

    from agentflow.graph import END, START, Graph, field

    g = Graph("review")
    g.add_node(draft)                     # async def draft(task: Task) -> Revision
    g.add_node(judge)                     # async def judge(rev: Revision) -> Verdict
    g.add_chain(START, "draft", "judge")
    g.add_branch("judge", [(field("ok").is_true(), END)], default="draft")
    g.add_loop_budget("draft", max_iterations=3)
    result = await g.build().run(Task(text="write a haiku"))
"""

from __future__ import annotations

from .builder import Graph
from .conditions import EdgeCondition, FieldRef, all_of, any_of, field, is_a
from .joins import ALL, FIRST, Joined, JoinMode, quorum
from .nodes import FunctionNode, Node, RunContext, node
from .result import NodeTimeout, RunOutcome, RunResult
from .runtime import CompiledGraph, RunHandle
from .snapshot import Checkpoint, Pending, Snapshot
from .spec import END, START, EdgeSpec, JoinSpec, LoopBudget, When
from .subgraph import SubgraphNode

__all__ = [
    "ALL",
    "END",
    "FIRST",
    "START",
    "Checkpoint",
    "CompiledGraph",
    "EdgeCondition",
    "EdgeSpec",
    "FieldRef",
    "FunctionNode",
    "Graph",
    "JoinMode",
    "JoinSpec",
    "Joined",
    "LoopBudget",
    "Node",
    "NodeTimeout",
    "Pending",
    "RunContext",
    "RunHandle",
    "RunOutcome",
    "RunResult",
    "Snapshot",
    "SubgraphNode",
    "When",
    "all_of",
    "any_of",
    "field",
    "is_a",
    "node",
    "quorum",
]
