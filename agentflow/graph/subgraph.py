"""A built graph used as a node of another graph.

The sub-graph shares its parent's run id, event bus and ``ctx.data``; its events carry its own
``graph`` name and a ``depth`` one deeper. Its input type is what its entry accepts; its output
type is what it can output. The node returns the sub-run's last output. A sub-run that fails,
runs out of budget or is cancelled raises its error in the parent, where it ends the run the same
way (its own step budget is separate from the parent's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentflow.errors import RunError
from agentflow.messages import Message

from .nodes import RunContext

if TYPE_CHECKING:
    from .runtime import CompiledGraph

__all__ = ["SubgraphNode"]


class SubgraphNode:
    """Runs ``graph`` as one step of a parent graph.

    Args:
        graph: the built sub-graph.
        name: the node's name in the parent (default: the sub-graph's name).
        max_steps: the sub-run's step budget (default: the sub-graph's own).
    """

    def __init__(self, graph: CompiledGraph, *, name: str | None = None, max_steps: int | None = None) -> None:
        self.graph = graph
        self.name = name or graph.name
        self.max_steps = max_steps
        types = graph.input_types
        self.input_type: Any = types[0] if len(types) == 1 else _union(types)
        outs = graph.output_types
        self.output_type: Any = outs[0] if len(outs) == 1 else _union(outs)

    async def call(self, message: Any, ctx: RunContext) -> Message | None:
        result = await self.graph.run(message, context=ctx, max_steps=self.max_steps)
        if result.status == "completed":
            return result.output
        if result.error is not None:
            raise result.error
        raise RunError(f"sub-graph {self.name!r} was {result.status}: {result.reason}")

    def __repr__(self) -> str:
        return f"SubgraphNode({self.name!r})"


def _union(types: tuple[type[Message], ...]) -> Any:
    out: Any = types[0]
    for t in types[1:]:
        out = out | t
    return out
