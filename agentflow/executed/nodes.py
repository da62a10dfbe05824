"""The graph nodes an executed procedure compiles to, and the :class:`Frame` message they pass on.

A :class:`Frame` carries the procedure's variables from node to node. Work nodes (role, tool,
builtin, assignment) return a new frame with their result bound; control nodes (``if``, loop
headers) evaluate their condition and set ``route``, which the compiled graph's branches test.
Parallel branches receive the same frame and a join node merges the variables each one bound.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any, Literal

from pydantic import ConfigDict, Field

from agentflow.errors import RunError
from agentflow.executed.env import ExecEnv
from agentflow.executed.program import (
    ApiStep,
    AssignStep,
    BuiltinStep,
    ForStep,
    IfStep,
    ReturnStep,
    RoleStep,
    WhileStep,
)
from agentflow.graph.joins import Joined
from agentflow.graph.nodes import RunContext
from agentflow.messages import Message
from agentflow.pdl.expr import Expr, ExprError, evaluate, unparse
from agentflow.pdl.functions import BUILTINS
from agentflow.roles.render import to_jsonable

__all__ = ["CURRENT_STEP", "Frame", "JoinNode", "StepNode", "eval_at"]


class Frame(Message):
    """The procedure's state between nodes (variables, loop counters, routing, notes)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    kind: Literal["pdl_frame"] = "pdl_frame"
    vars: dict[str, Any] = Field(default_factory=dict)
    route: str = ""
    counters: dict[str, int] = Field(default_factory=dict)
    items: dict[str, list[Any]] = Field(default_factory=dict)
    notes: tuple[str, ...] = ()
    returned: bool = False
    result: Any = None

    def bind(self, name: str | None, value: Any, **changes: Any) -> Frame:
        """A copy with ``name`` bound to ``value`` (and other fields changed)."""
        if name is not None:
            changes["vars"] = {**self.vars, name: value}
        return self.model_copy(update=changes)


def eval_at(expr: Expr, frame: Frame, where: str) -> Any:
    """Evaluate ``expr`` over the frame's variables; failures name the place and the expression."""
    try:
        return evaluate(expr, frame.vars)
    except ExprError as exc:
        raise RunError(f"{where}: cannot evaluate {unparse(expr)!r}: {exc}") from None


Work = Callable[[Frame, RunContext], Awaitable[Frame]]


CURRENT_STEP: ContextVar[tuple[str, Frame] | None] = ContextVar("agentflow_pdl_step", default=None)
"""The node running in this task and its input frame: durable runs key role and tool calls by it
(a node re-run after a crash sees the same frame, so its calls find their journaled outcomes)."""


class StepNode:
    """One graph node: ``Frame -> Frame`` running ``work``."""

    input_type = Frame
    output_type = Frame

    def __init__(self, name: str, work: Work) -> None:
        self.name = name
        self._work = work

    async def call(self, message: Frame, ctx: RunContext) -> Frame:
        token = CURRENT_STEP.set((self.name, message))
        try:
            return await self._work(message, ctx)
        finally:
            CURRENT_STEP.reset(token)


class JoinNode:
    """Merges parallel branches: each branch contributes the variable it bound (``targets``)."""

    input_type = Joined
    output_type = Frame

    def __init__(self, name: str, targets: Mapping[str, str | None]) -> None:
        self.name = name
        self._targets = dict(targets)

    async def call(self, message: Joined, ctx: RunContext) -> Frame:
        frames = [m for m in message.messages if isinstance(m, Frame)]
        if not frames:
            raise RunError(f"{self.name}: no parallel branch finished")
        merged = dict(frames[0].vars)
        notes = list(frames[0].notes)
        for source, frame in message.by_source().items():
            target = self._targets.get(source)
            if target is not None and isinstance(frame, Frame) and target in frame.vars:
                merged[target] = frame.vars[target]
            if isinstance(frame, Frame):
                notes += [n for n in frame.notes if n not in notes]
        return frames[0].model_copy(update={"vars": merged, "notes": tuple(notes), "route": ""})


# -- work functions per step kind ---------------------------------------------------------------


def role_work(step: RoleStep, env: ExecEnv) -> Work:
    where = str(step.where)

    async def work(frame: Frame, ctx: RunContext) -> Frame:
        inputs = {k: eval_at(e, frame, where) for k, e in step.args}
        output = await env.call_role(step.role, inputs, bus=ctx.bus, where=where)
        ctx.emit("role_output", role=step.role, target=step.target, where=where,
                 output=output.model_dump(mode="json"))
        return frame.bind(step.target, output, route="")

    return work


def api_work(step: ApiStep, env: ExecEnv) -> Work:
    where = str(step.where)

    async def work(frame: Frame, ctx: RunContext) -> Frame:
        args = {k: to_jsonable(eval_at(e, frame, where)) for k, e in step.args}
        ctx.emit("tool_call", name=step.tool, args=args, status="executed", where=where)
        result = await env.call_tool(step.tool, args, where=where)
        ctx.emit("tool_result", name=step.tool, result=to_jsonable(result), where=where)
        return frame.bind(step.target, result, route="")

    return work


def builtin_work(step: BuiltinStep) -> Work:
    where = str(step.where)
    fn = BUILTINS[step.name]

    async def work(frame: Frame, ctx: RunContext) -> Frame:
        args = [eval_at(e, frame, where) for e in step.args]
        kwargs = {k: eval_at(e, frame, where) for k, e in step.kwargs}
        try:
            value = fn(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise RunError(f"{where}: {step.name}() failed: {exc}") from None
        return frame.bind(step.target, value, route="")

    return work


def assign_work(step: AssignStep) -> Work:
    where = str(step.where)

    async def work(frame: Frame, ctx: RunContext) -> Frame:
        return frame.bind(step.target, eval_at(step.value, frame, where), route="")

    return work


def if_work(step: IfStep) -> Work:
    where = str(step.where)

    async def work(frame: Frame, ctx: RunContext) -> Frame:
        for i, (cond, _) in enumerate(step.branches):
            if eval_at(cond, frame, where):
                return frame.bind(None, None, route=f"case{i}")
        return frame.bind(None, None, route="else")

    return work


def loop_enter_work(label: str, step: WhileStep | ForStep) -> Work:
    """Reset the loop's counter (and evaluate a ``for`` loop's items once)."""
    where = str(step.where)

    async def work(frame: Frame, ctx: RunContext) -> Frame:
        changes: dict[str, Any] = {"counters": {**frame.counters, label: 0}, "route": ""}
        if isinstance(step, ForStep):
            items = eval_at(step.items, frame, where)
            if not isinstance(items, list | tuple):
                raise RunError(f"{where}: a for loop needs a list, got {type(items).__name__}")
            changes["items"] = {**frame.items, label: list(items)}
        return frame.bind(None, None, **changes)

    return work


def loop_head_work(label: str, step: WhileStep | ForStep) -> Work:
    """Decide: another iteration (``route="body"``) or leave (``"exit"``), honouring the budget."""
    where = str(step.where)

    async def work(frame: Frame, ctx: RunContext) -> Frame:
        done = frame.counters.get(label, 0)
        if isinstance(step, ForStep):
            items = frame.items.get(label, [])
            more = done < len(items)
            value = items[done] if more else None
        else:
            more = bool(eval_at(step.cond, frame, where))
            value = None
        if not more:
            return frame.bind(None, None, route="exit")
        if done >= step.budget:
            note = f"loop at {where} stopped after its budget of {step.budget} iteration(s)"
            ctx.emit("loop_budget", where=where, budget=step.budget)
            return frame.bind(None, None, route="exit", notes=(*frame.notes, note))
        counters = {**frame.counters, label: done + 1}
        if isinstance(step, ForStep):
            return frame.bind(step.target, value, route="body", counters=counters)
        return frame.bind(None, None, route="body", counters=counters)

    return work


def return_work(step: ReturnStep) -> Work:
    where = str(step.where)

    async def work(frame: Frame, ctx: RunContext) -> Frame:
        value = eval_at(step.value, frame, where) if step.value is not None else None
        return frame.bind(None, None, returned=True, result=value, route="")

    return work


async def passthrough(frame: Frame, ctx: RunContext) -> Frame:
    """A node that only marks a place in the graph (fork, break, continue, finish)."""
    return frame.bind(None, None, route="")
