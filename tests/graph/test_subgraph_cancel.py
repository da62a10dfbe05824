"""Sub-graphs as nodes, node timeouts, run timeouts and cancellation."""

from __future__ import annotations

import asyncio

import pytest

from agentflow.errors import StepBudgetExceeded
from agentflow.events import EventBus
from agentflow.graph import END, START, Graph, NodeTimeout, SubgraphNode, field
from agentflow.messages import Task

from .msgs import Note, Recorder, Score


async def seed(t: Task) -> Note:
    return Note(text=t.text)


async def inc(n: Note) -> Note:
    return Note(text=n.text, n=n.n + 1)


async def grade(n: Note) -> Score:
    return Score(value=float(n.n), ok=n.n > 1)


def inner() -> Graph:
    g = Graph("inner")
    g.add_node(inc)
    g.add_edge(START, "inc")
    g.add_edge("inc", "inc", when=field("n") < 3)
    g.add_edge("inc", END, when=field("n") >= 3)
    return g


async def test_subgraph_runs_as_a_typed_node() -> None:
    sub = inner().build()
    assert sub.input_types == (Note,) and sub.output_types == (Note,)
    g = Graph("outer")
    g.add_node(seed)
    g.add_node(sub)  # a built graph is a node
    g.add_node(grade)
    g.add_chain(START, "seed", "inner", "grade", END)
    rec = Recorder()
    res = await g.build().run(Task(text="t"), bus=EventBus("r", [rec]))
    assert res.status == "completed" and res.output == Score(value=3.0, ok=True)
    assert res.node_counts == {"seed": 1, "inner": 1, "grade": 1}
    inner_ends = [e for e in rec.of("node_end") if e.data["graph"] == "inner"]
    assert len(inner_ends) == 3
    assert all(e.run_id == "r" for e in rec.events)
    assert [e.seq for e in rec.events] == list(range(1, len(rec.events) + 1))


async def test_subgraph_types_are_checked_at_build() -> None:
    g = Graph("outer")
    g.add_node(grade, name="g0")
    g.add_node(seed)
    g.add_chain(START, "seed", "g0")
    g.add_node(SubgraphNode(inner().build(), name="sub"))
    g.add_edge("g0", "sub")
    with pytest.raises(Exception, match="'g0' produces Score but 'sub' accepts Note"):
        g.build()


async def test_subgraph_budget_exhaustion_propagates() -> None:
    g = Graph("outer")
    g.add_node(seed)
    g.add_node(SubgraphNode(inner().build(), name="sub", max_steps=2))
    g.add_chain(START, "seed", "sub", END)
    res = await g.build().run(Task(text=""))
    assert res.status == "budget_exhausted" and isinstance(res.error, StepBudgetExceeded)
    assert "'inner'" in str(res.error)


async def test_node_timeout_fails_the_run() -> None:
    async def slow(n: Note) -> Note:
        await asyncio.sleep(5)
        return n

    g = Graph("t")
    g.add_node(seed)
    g.add_node(slow, timeout=0.05)
    g.add_chain(START, "seed", "slow", END)
    res = await g.build().run(Task(text=""))
    assert res.status == "failed" and isinstance(res.error, NodeTimeout)
    assert res.error.node == "slow" and "timed out after 0.05s" in str(res.error)


async def test_a_node_raising_timeouterror_itself_is_not_a_node_timeout() -> None:
    async def raises(n: Note) -> Note:
        raise TimeoutError("upstream said so")

    g = Graph("t")
    g.add_node(seed)
    g.add_node(raises, timeout=5)
    g.add_chain(START, "seed", "raises", END)
    res = await g.build().run(Task(text=""))
    assert res.status == "failed" and type(res.error) is TimeoutError


def slow_chain(started: list[str], cancelled: list[str]) -> Graph:
    async def wait(n: Note) -> Note:
        started.append("wait")
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append("wait")
            raise
        return n

    g = Graph("slow")
    g.add_node(seed)
    g.add_node(wait)
    g.add_chain(START, "seed", "wait", END)
    return g


async def test_run_timeout_cancels_with_a_resumable_snapshot() -> None:
    started: list[str] = []
    cancelled: list[str] = []
    rec = Recorder()
    res = await slow_chain(started, cancelled).build().run(Task(text="x"), timeout=0.05, bus=EventBus("r", [rec]))
    assert res.status == "cancelled" and res.reason == "timeout" and cancelled == ["wait"]
    assert res.snapshot is not None and [p.node for p in res.snapshot.pending] == ["wait"]
    assert rec.of("run_end")[0].data["status"] == "cancelled"


async def test_handle_cancel_stops_a_running_run() -> None:
    started: list[str] = []
    cancelled: list[str] = []
    handle = slow_chain(started, cancelled).build().start(Task(text="x"))
    while not started:
        await asyncio.sleep(0.001)
    handle.cancel("user stop")
    res = await handle
    assert res.status == "cancelled" and res.reason == "user stop" and cancelled == ["wait"]
    assert handle.done() and res.snapshot is not None and res.snapshot.pending[0].node == "wait"
    with pytest.raises(Exception, match="cancelled: user stop"):
        res.raise_for_status()


async def test_handle_cancel_before_the_first_step() -> None:
    handle = slow_chain([], []).build().start(Task(text="x"))
    handle.cancel()
    res = await handle.result()
    assert res.status == "cancelled" and res.steps == 0


async def test_handle_returns_the_result_of_a_completed_run() -> None:
    g = Graph("quick")
    g.add_node(seed)
    g.add_edge(START, "seed")
    handle = g.build().start(Task(text="q"), run_id="run_q")
    res = await handle
    assert handle.run_id == "run_q" and res.output == Note(text="q")
    handle.cancel()  # no effect once done
    assert (await handle).status == "completed"


async def test_cancelling_the_callers_task_propagates() -> None:
    started: list[str] = []
    cancelled: list[str] = []
    app = slow_chain(started, cancelled).build()
    task = asyncio.ensure_future(app.run(Task(text="")))
    while not started:
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == ["wait"]
