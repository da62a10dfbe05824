"""A built graph: ``await graph.run(message)``, ``graph.run_sync(message)``, ``graph.start(message)``.

Runs are independent: one :class:`CompiledGraph` can run any number of times, concurrently. A run
returns a :class:`~agentflow.graph.result.RunResult` for every ending (completed, budget exhausted,
cancelled, failed) instead of raising, so callers decide; ``result.raise_for_status()`` turns a
non-completed run into its exception. Invalid input (a message the entry does not accept, a
snapshot of another graph) raises :class:`~agentflow.errors.UserError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any

from agentflow._ids import new_id
from agentflow.errors import RunError, UserError
from agentflow.events import EventBus
from agentflow.messages import Message

from .engine import Execution
from .nodes import RunContext, type_name
from .plan import GraphPlan, describe_when
from .result import RunResult
from .snapshot import Checkpoint, Snapshot, decode_message
from .spec import END, START

if TYPE_CHECKING:
    from .builder import Graph

__all__ = ["CompiledGraph", "RunHandle"]


class CompiledGraph:
    """A validated graph, ready to run. Build it with :meth:`Graph.build`."""

    def __init__(self, graph: Graph) -> None:
        self.name = graph.name
        self.graph = graph
        self.plan = GraphPlan(graph)

    @property
    def input_types(self) -> tuple[type[Message], ...]:
        """What the entry nodes accept."""
        return self.plan.input_types

    @property
    def output_types(self) -> tuple[type[Message], ...]:
        """What a run can output."""
        return self.plan.output_types

    def run(
        self,
        message: Message | None = None,
        *,
        snapshot: Snapshot | None = None,
        bus: EventBus | None = None,
        run_id: str | None = None,
        max_steps: int | None = None,
        timeout: float | None = None,
        checkpoint: Checkpoint | None = None,
        keep_messages: bool = True,
        context: RunContext | None = None,
    ) -> Coroutine[Any, Any, RunResult]:
        """Run the graph on ``message`` (or resume ``snapshot``); await it for how the run ended.

        ``run`` checks its arguments at once and returns the run's coroutine (one frame less per
        in-flight run than an ``async def`` wrapper: W4 of the benchmark holds 1000 of them).

        Args:
            message: the input, delivered to the entry node(s).
            snapshot: resume this snapshot instead (give no ``message``).
            bus: where events go (its ``run_id`` names the run unless ``run_id`` is given).
            run_id: the run's id (default: the bus's, the snapshot's, or a new one).
            max_steps: the global step budget (default: the graph's ``max_steps``).
            timeout: seconds for the whole run; past it the run ends ``cancelled`` (reason ``timeout``).
            checkpoint: called with a :class:`Snapshot` after every step.
            keep_messages: keep every produced message in ``result.messages``.
            context: the parent's context when this graph runs as a sub-graph.

        Raises:
            UserError: the input does not fit the entry, or the snapshot is not this graph's.
        """
        execution, starts = self._prepare(message, snapshot, bus, run_id, max_steps, checkpoint, keep_messages,
                                          context)
        if timeout is None:
            return execution.execute(starts)
        return _with_timeout(execution, starts, timeout)

    def start(self, message: Message | None = None, **kwargs: Any) -> RunHandle:
        """Start a run in a new task and return a handle that can cancel it (same arguments as ``run``)."""
        timeout = kwargs.pop("timeout", None)
        execution, starts = self._prepare(message, kwargs.pop("snapshot", None), kwargs.pop("bus", None),
                                          kwargs.pop("run_id", None), kwargs.pop("max_steps", None),
                                          kwargs.pop("checkpoint", None), kwargs.pop("keep_messages", True),
                                          kwargs.pop("context", None))
        if kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(kwargs)}")
        coro = execution.execute(starts) if timeout is None else _with_timeout(execution, starts, timeout)
        task = asyncio.get_running_loop().create_task(coro)
        execution.main = task
        return RunHandle(task, execution)

    def run_sync(self, message: Message | None = None, **kwargs: Any) -> RunResult:
        """Blocking :meth:`run` for scripts (not from inside a running event loop)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.run(message, **kwargs))
        raise RunError("run_sync() called inside a running event loop; use `await graph.run(...)` instead")

    def _prepare(
        self,
        message: Message | None,
        snapshot: Snapshot | None,
        bus: EventBus | None,
        run_id: str | None,
        max_steps: int | None,
        checkpoint: Checkpoint | None,
        keep_messages: bool,
        context: RunContext | None,
    ) -> tuple[Execution, list[tuple[str, Message]]]:
        plan = self.plan
        if (message is None) == (snapshot is None):
            raise UserError(f"graph {self.name!r}: give either an input message or a snapshot to resume")
        if context is not None:
            ctx = RunContext(context.run_id, bus or context.bus, self.name, context.depth + 1, context.data)
        else:
            rid = run_id or (snapshot.run_id if snapshot else None) or (bus.run_id if bus else None) or new_id("run")
            ctx = RunContext(rid, bus, self.name)
        ex = Execution(plan, ctx, max_steps=max_steps or plan.max_steps, checkpoint=checkpoint,
                       keep_messages=keep_messages)
        if snapshot is not None:
            return ex, self._restore(ex, snapshot)
        assert message is not None
        targets = plan.entry_targets(message) if isinstance(message, plan.input_types) else []
        if not targets:
            raise UserError(
                f"graph {self.name!r}: input {type(message).__name__} does not fit the entry, which accepts "
                f"{type_name(plan.input_types)}",
                hint="pass a message of the entry node's input type",
            )
        bus_ = ctx.bus
        if bus_ is not None and bus_.active:
            bus_.emit("run_start", graph=self.name, entry=targets, input=message.kind, depth=ctx.depth)
        return ex, [(t, message) for t in targets]

    def _restore(self, ex: Execution, snap: Snapshot) -> list[tuple[str, Message]]:
        if snap.graph != self.name:
            raise UserError(f"snapshot of graph {snap.graph!r} cannot resume graph {self.name!r}",
                            hint="resume with the graph that took it")
        kinds = self.plan.kinds
        for p in (*snap.pending, *(d for ds in snap.joins.values() for d in ds)):
            if p.node not in self.plan.nodes:
                raise UserError(f"snapshot names node {p.node!r}, which graph {self.name!r} does not have")
        ex.steps = snap.steps
        for i, n in enumerate(self.plan.nodes):
            ex.counts[i] = snap.node_counts.get(n, 0)
        if snap.loop_counts:
            ex.loops = dict(snap.loop_counts)
        if snap.outputs:
            ex.outputs = [decode_message(o.kind, o.data, kinds) for o in snap.outputs]
        if snap.joins:
            ex.joins = {
                j: {d.source: decode_message(d.kind, d.data, kinds) for d in deps} for j, deps in snap.joins.items()
            }
        bus = ex.bus
        if bus is not None and bus.active:
            bus.emit("run_resume", graph=self.name, steps=snap.steps, pending=[p.node for p in snap.pending])
        return [(p.node, decode_message(p.kind, p.data, kinds)) for p in snap.pending]

    def to_mermaid(self) -> str:
        """A Mermaid ``flowchart`` of the graph (conditions as edge labels, joins marked)."""

        def ident(n: str) -> str:
            return {START: "START", END: "END"}.get(n, "n_" + "".join(c if c.isalnum() else "_" for c in n))

        lines = ["flowchart TD"]
        for n in self.graph.nodes:
            label = n + (f" (join: {self.graph.joins[n].mode})" if n in self.graph.joins else "")
            lines.append(f'    {ident(n)}["{label}"]')
        for e in self.graph.edges:
            text = describe_when(e.when) or ("else" if e.in_branch else "")
            arrow = f" -->|{text}| " if text else " --> "
            lines.append(f"    {ident(e.src)}{arrow}{ident(e.dst)}")
        for lb in self.graph.loops.values():
            lines.append(f"    %% loop budget {lb.name}: {lb.header} at most {lb.max_iterations}x")
        return "\n".join(lines)


class RunHandle:
    """A run started with :meth:`CompiledGraph.start`: await it for the result, or cancel it."""

    def __init__(self, task: asyncio.Task[RunResult], execution: Execution) -> None:
        self._task = task
        self._execution = execution

    @property
    def run_id(self) -> str:
        return self._execution.ctx.run_id

    def cancel(self, reason: str = "cancelled") -> None:
        """Stop the run: running nodes are cancelled and the result's status is ``cancelled``."""
        if not self._task.done():
            self._execution.cancel_reason = reason
            self._task.cancel()

    def done(self) -> bool:
        return self._task.done()

    async def result(self) -> RunResult:
        """Wait for the run to end."""
        try:
            return await asyncio.shield(self._task)
        except asyncio.CancelledError:
            if self._task.cancelled() and self._execution.cancel_reason:
                # Cancelled before its first step: nothing ran.
                return self._execution.result("cancelled", None, self._execution.cancel_reason)
            raise

    def __await__(self) -> Generator[Any, None, RunResult]:
        return self.result().__await__()


async def _with_timeout(execution: Execution, starts: list[tuple[str, Message]], timeout: float) -> RunResult:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def expire() -> None:
        execution.cancel_reason = "timeout"
        task.cancel()

    timer = loop.call_later(timeout, expire)
    try:
        return await execution.execute(starts)
    finally:
        timer.cancel()
