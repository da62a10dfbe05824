"""A role as a graph node: typed message in, the role's typed output out.

Use it to build multi-agent graphs in Python with the graph builder::

    lib = RoleLibrary()
    g = Graph("review")
    g.add_node(RoleNode(lib.get("solver"), backend, Task, lambda t, ctx: {"question": t.text}), name="solver")
    g.add_node(RoleNode(lib.get("judge"), backend, Answer,
                        lambda a, ctx: {"question": ctx.data["question"], "candidate": a.text}), name="judge")

The node renders the role's prompt from the inputs its function maps out of the incoming message,
calls the backend for structured output, validates and repairs (bounded), and returns the typed
message — or fails the run with :class:`~agentflow.errors.OutputValidationError` showing the raw
output. Every call emits ``llm_call`` events on the run's bus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from agentflow.backends.base import Backend
from agentflow.graph.nodes import RunContext, TypeSpec
from agentflow.messages import Message
from agentflow.roles.call import invoke_role
from agentflow.roles.loader import Role

__all__ = ["RoleNode"]

InputMap = Callable[[Any, RunContext], Mapping[str, Any]]


class RoleNode:
    """A graph node that calls ``role`` on each message it receives.

    Args:
        role: the loaded role.
        backend: the backend serving it.
        input_type: the message type(s) the node accepts.
        inputs: maps ``(message, ctx)`` to the prompt's variables (default: the message's fields).
        name: the node's name (default: the role's name).
    """

    def __init__(
        self,
        role: Role,
        backend: Backend,
        input_type: TypeSpec,
        inputs: InputMap | None = None,
        *,
        name: str | None = None,
    ) -> None:
        self.role = role
        self.backend = backend
        self.name = name or role.name
        self.input_type = input_type
        self.output_type: TypeSpec = role.output_type
        self._inputs = inputs

    async def call(self, message: Any, ctx: RunContext) -> Message:
        if self._inputs is not None:
            variables = dict(self._inputs(message, ctx))
        elif isinstance(message, Message):
            variables = {k: getattr(message, k) for k in type(message).model_fields if k != "kind"}
        else:
            variables = {"input": message}
        result = await invoke_role(self.role, self.backend, variables, bus=ctx.bus,
                                   metadata={"node": self.name, "run_id": ctx.run_id})
        return result.output

    def __repr__(self) -> str:
        return f"RoleNode({self.name!r})"
