"""The executor of one graph run: steps, routing, fan-out, joins, budgets, cancellation.

One :class:`Execution` per run. A branch (one message travelling through nodes) runs as a plain
loop in the coroutine that owns it, so a sequential graph costs no task creation at all; a
fan-out starts one asyncio task per new branch. ``pending`` maps each live branch to the node
it is about to run (or is running) and that node's input: it is what a snapshot saves and what a
resume restarts. Runs stop cleanly through :class:`Stop` (budgets) or a cancellation of the owning
task (``RunHandle.cancel``, the run timeout, a failed branch).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import TYPE_CHECKING, Any

from agentflow.errors import BudgetExceeded, RunError
from agentflow.events import EventBus
from agentflow.messages import Message

from .budgets import loop_gate, stop_for_budget
from .joins import Joined
from .nodes import RunContext
from .result import NodeTimeout, RunOutcome, RunResult, Stop
from .snapshot import Checkpoint, Snapshot, capture
from .spec import END

if TYPE_CHECKING:
    from .plan import GraphPlan, NodePlan

__all__ = ["Execution"]

class Execution:
    """The state of one run of a compiled graph (not reusable; build one per run)."""

    __slots__ = (
        "bus", "cancel_reason", "checkpoint", "counts", "ctx", "failure", "idle", "joins", "loops", "main",
        "max_steps", "messages", "next_bid", "outputs", "pending", "plan", "steps", "tasks",
    )

    def __init__(
        self,
        plan: GraphPlan,
        ctx: RunContext,
        *,
        max_steps: int,
        checkpoint: Checkpoint | None,
        keep_messages: bool,
    ) -> None:
        self.plan = plan
        self.ctx = ctx
        self.bus: EventBus | None = ctx.bus
        self.max_steps = max_steps
        self.checkpoint = checkpoint
        self.steps = 0
        self.counts: list[int] = [0] * len(plan.nodes)  # by NodePlan.index; a dict only in results
        # An in-flight run should stay a few KB (W4 of the benchmark holds 1000): what a plain chain
        # does not need (loop counters, outputs, join buffers, tasks) is made on first use.
        self.loops: dict[str, int] | None = None
        self.pending: dict[int, tuple[str, Message]] = {}
        self.joins: dict[str, dict[str, Message]] | None = None  # join -> {source: message}, arrival order
        self.outputs: list[Message] | None = None
        self.messages: list[Message] | None = [] if keep_messages else None
        self.tasks: dict[int, asyncio.Task[None]] | None = None  # made on first fan-out
        self.next_bid = 0
        self.main: asyncio.Task[Any] | None = None
        self.idle: asyncio.Future[None] | None = None
        self.failure: BaseException | None = None
        self.cancel_reason = ""

    # -- the run -----------------------------------------------------------------------------
    async def execute(self, starts: list[tuple[str, Message]]) -> RunResult:
        """Run from ``starts`` (entry node, message) until every branch ended or the run stopped."""
        self.main = asyncio.current_task()
        status: RunOutcome = "completed"
        error: BaseException | None = None
        reason = ""
        try:
            try:
                if len(starts) == 1:
                    bid = self._bid()
                    name, msg = self.pending[bid] = starts[0]
                    starts = []  # the run keeps only what is pending
                    await self.drive(bid, name, msg)
                else:
                    for name, msg in starts:
                        self._spawn(name, msg)
                while True:
                    while self.tasks:  # None or empty: nothing runs in parallel
                        self.idle = asyncio.get_running_loop().create_future()
                        await self.idle
                    flushed = self._flush_join()
                    if flushed is None:
                        break
                    bid = self._bid()
                    self.pending[bid] = flushed
                    await self.drive(bid, *flushed)
            except asyncio.CancelledError:
                if self.failure is None and not self.cancel_reason:
                    raise
                assert self.main is not None
                self.main.uncancel()
                if self.failure is not None:
                    raise self.failure from None
                status, reason = "cancelled", self.cancel_reason
        except Stop as stop:
            status, error, reason = stop.status, stop.error, stop.reason
        except BudgetExceeded as exc:  # a step, token, cost or time budget (also a sub-graph's) ends the run cleanly
            status, error, reason = "budget_exhausted", exc, str(exc)
        except Exception as exc:
            status, error, reason = "failed", exc, f"{type(exc).__name__}: {exc}"
        finally:
            await self._cancel_tasks()
        return self.result(status, error, reason)

    def node_counts(self) -> dict[str, int]:
        """Executions per node, for the nodes that ran."""
        return {n: c for n, c in zip(self.plan.nodes, self.counts, strict=True) if c}

    def result(self, status: RunOutcome, error: BaseException | None, reason: str) -> RunResult:
        """The :class:`RunResult` (with a snapshot unless the run completed)."""
        snap = None if status == "completed" else self.snapshot()
        res = RunResult(
            status=status,
            outputs=self.outputs if self.outputs is not None else [],
            messages=self.messages if self.messages is not None else [],
            steps=self.steps,
            node_counts=self.node_counts(),
            loop_counts=self.loops if self.loops is not None else {},
            run_id=self.ctx.run_id,
            error=error,
            snapshot=snap,
            reason=reason,
        )
        bus = self.bus
        if bus is not None and bus.active:
            bus.emit("run_end", graph=self.plan.name, status=status, steps=self.steps, reason=reason,
                     outputs=[m.kind for m in self.outputs or ()])
        return res

    # -- one branch --------------------------------------------------------------------------
    async def drive(self, bid: int, name: str, msg: Message) -> None:
        """Run one branch from ``name`` until it ends, fans out, or waits at a join."""
        nodes = self.plan.nodes
        counts = self.counts
        pending = self.pending
        messages = self.messages
        ctx = self.ctx
        while True:
            p = nodes[name]
            if p.loop is not None:
                redirect = self._enter_loop(bid, p, msg)
                if redirect is None:  # the spent loop sent the message to END
                    if self.checkpoint is not None:
                        await self._save()
                    return
                if redirect != name:
                    name = redirect
                    continue
            if self.steps >= self.max_steps:
                stop_for_budget(self.bus, self.plan.name, "global", "steps", self.max_steps, name)
            self.steps += 1
            bus = self.bus
            if bus is not None and bus.active:
                out = await self._observed(p, msg, bus)
            elif p.timeout is None:
                out = await (p.call(msg, ctx) if p.pass_ctx else p.call(msg))
            else:
                out = await self._timed(p, msg)
            counts[p.index] += 1
            nxt = p.single
            if nxt is not None and out is not None and isinstance(out, p.out_types):
                if messages is not None:
                    messages.append(out)
                if bus is not None and bus.active:
                    bus.emit("edge", graph=self.plan.name, src=name, dst=nxt, kind=out.kind)
                name, msg = nxt, out
                pending[bid] = (name, msg)
            else:
                step = self._after(bid, p, out)
                if step is None:
                    if self.checkpoint is not None:
                        await self._save()
                    return
                name, msg = step
                pending[bid] = step
            if self.checkpoint is not None:
                await self._save()

    def _enter_loop(self, bid: int, p: NodePlan, msg: Message) -> str | None:
        """Count a loop header's iteration: the node to run (``p``'s, or ``exit_to``), or ``None`` (END)."""
        assert p.loop is not None
        if self.loops is None:
            self.loops = {}
        redirect = loop_gate(self.loops, p.loop, p.name, self.bus, self.plan.name)
        if redirect is None:
            return p.name
        if redirect == "":
            del self.pending[bid]
            self._output(msg)
            return None
        self.pending[bid] = (redirect, msg)
        return redirect

    def _after(self, bid: int, p: NodePlan, out: Message | None) -> tuple[str, Message] | None:
        """Check and route a node's output; the branch's next (node, message), or ``None`` if it ended."""
        if out is None:
            del self.pending[bid]
            return None
        if not isinstance(out, p.out_types):
            raise RunError(
                f"node {p.name!r} returned {type(out).__name__}, but declares {p.out_names}",
            )
        if self.messages is not None:
            self.messages.append(out)
        return self._route(bid, p, out)

    async def _call(self, p: NodePlan, msg: Message) -> Message | None:
        if p.timeout is None:
            return await (p.call(msg, self.ctx) if p.pass_ctx else p.call(msg))
        return await self._timed(p, msg)

    async def _timed(self, p: NodePlan, msg: Message) -> Message | None:
        assert p.timeout is not None
        cm = asyncio.timeout(p.timeout)
        try:
            async with cm:
                return await (p.call(msg, self.ctx) if p.pass_ctx else p.call(msg))
        except TimeoutError:
            if cm.expired():
                raise NodeTimeout(p.name, p.timeout) from None
            raise

    async def _observed(self, p: NodePlan, msg: Message, bus: EventBus) -> Message | None:
        g = self.plan.name
        bus.emit("node_start", graph=g, node=p.name, step=self.steps, input=msg.kind)
        t0 = time.perf_counter()
        try:
            out = await self._call(p, msg)
        except Exception as exc:
            bus.emit("node_error", graph=g, node=p.name, step=self.steps, error=type(exc).__name__,
                     message=str(exc))
            raise
        data = out.model_dump(mode="json") if out is not None else None
        bus.emit("node_end", graph=g, node=p.name, step=self.steps, output=out.kind if out is not None else None,
                 duration_s=round(time.perf_counter() - t0, 6), data=data)
        return out

    def _route(self, bid: int, p: NodePlan, out: Message) -> tuple[str, Message] | None:
        """Where ``out`` goes; starts tasks for a fan-out. Returns the inline continuation, if any."""
        targets = [p.single] if p.single is not None else _targets(p, out)
        bus = self.bus
        if len(targets) == 1 and (bus is None or not bus.active):
            dst = targets[0]
            if dst != END and dst not in self.plan.joins:
                return dst, out
        if bus is not None and bus.active:
            for dst in targets:
                bus.emit("edge", graph=self.plan.name, src=p.name, dst=dst, kind=out.kind)
        nexts: list[tuple[str, Message]] = []
        ended = not targets
        for dst in targets:
            if dst == END:
                ended = True
            elif dst in self.plan.joins:
                fired = self._deposit(bid, dst, p.name, out)
                if fired is not None:
                    nexts.append((dst, fired))
            else:
                nexts.append((dst, out))
        if ended:
            self._output(out)
        if len(nexts) == 1:
            return nexts[0]
        del self.pending[bid]
        for name, msg in nexts:
            self._spawn(name, msg)
        return None

    def _output(self, msg: Message) -> None:
        if self.outputs is None:
            self.outputs = []
        self.outputs.append(msg)

    # -- joins -------------------------------------------------------------------------------
    def _deposit(self, bid: int, join: str, src: str, out: Message) -> Joined | None:
        spec = self.plan.joins[join]
        if self.joins is None:
            self.joins = {}
        buf = self.joins.setdefault(join, {})
        buf.pop(src, None)  # a source that arrives again (in a loop) counts once, at its latest arrival
        buf[src] = out
        if len(buf) < spec.mode.needed(len(spec.sources)):
            return None
        del self.joins[join]
        if spec.mode.name != "all":
            self._cancel_upstream(bid, join)
        return self._fire(join, buf)

    def _fire(self, join: str, buf: dict[str, Message]) -> Joined:
        spec = self.plan.joins[join]
        bus = self.bus
        if bus is not None and bus.active:
            bus.emit("join", graph=self.plan.name, node=join, mode=str(spec.mode), arrived=list(buf),
                     missing=[s for s in spec.sources if s not in buf])
        return Joined(messages=tuple(buf.values()), sources=tuple(buf))

    def _cancel_upstream(self, bid: int, join: str) -> None:
        upstream = self.plan.upstream[join]
        for other, (node_name, _) in list(self.pending.items()):
            if other != bid and node_name in upstream:
                del self.pending[other]
                task = self.tasks.get(other) if self.tasks is not None else None
                if task is not None:
                    task.cancel()

    def _flush_join(self) -> tuple[str, Message] | None:
        """Once nothing runs: fire an ``all`` join with what arrived, or fail an unmet quorum."""
        for join, buf in list((self.joins or {}).items()):
            spec = self.plan.joins[join]
            del self.joins[join]  # type: ignore[union-attr]
            if spec.mode.name == "quorum":
                raise Stop("failed", RunError(
                    f"join {join!r}: quorum({spec.mode.k}) not reached, {len(buf)} of {len(spec.sources)} arrived"
                ), f"quorum not reached at {join!r}")
            return join, self._fire(join, buf)
        return None

    # -- tasks -------------------------------------------------------------------------------
    def _bid(self) -> int:
        self.next_bid += 1
        return self.next_bid

    def _spawn(self, name: str, msg: Message) -> None:
        bid = self._bid()
        self.pending[bid] = (name, msg)
        if self.tasks is None:
            self.tasks = {}
        self.tasks[bid] = asyncio.get_running_loop().create_task(self._branch(bid, name, msg))

    async def _branch(self, bid: int, name: str, msg: Message) -> None:
        try:
            await self.drive(bid, name, msg)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            if self.failure is None:
                self.failure = exc
                if self.main is not None:
                    self.main.cancel()
        finally:
            tasks = self.tasks
            assert tasks is not None
            tasks.pop(bid, None)
            idle = self.idle
            if not tasks and idle is not None and not idle.done():
                idle.set_result(None)

    async def _cancel_tasks(self) -> None:
        tasks = list(self.tasks.values()) if self.tasks else []
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- checkpoints -------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The run's state now, as plain data."""
        return capture(
            run_id=self.ctx.run_id,
            graph=self.plan.name,
            seq=self.bus.seq if self.bus is not None else 0,
            steps=self.steps,
            node_counts=self.node_counts(),
            loop_counts=self.loops or {},
            pending=[nm for _, nm in sorted(self.pending.items())],
            joins=self.joins or {},
            outputs=self.outputs or [],
        )

    async def _save(self) -> None:
        assert self.checkpoint is not None
        res = self.checkpoint(self.snapshot())
        if inspect.isawaitable(res):
            await res


def _targets(p: NodePlan, out: Message) -> list[str]:
    """The destinations of ``out``: every plain edge that holds, then the first branch case that holds."""
    targets = []
    for when, dst in p.edges:
        if when is None or when(out):
            targets.append(dst)
    for when, dst in p.cases:
        if when is None or when(out):
            targets.append(dst)
            break
    return targets
