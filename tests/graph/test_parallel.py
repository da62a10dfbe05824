"""Parallel fan-out with explicit joins: all, first (cancels the rest), quorum(k)."""

from __future__ import annotations

import asyncio

from agentflow.events import EventBus
from agentflow.graph import ALL, END, FIRST, START, Graph, Joined, JoinMode, field, quorum
from agentflow.messages import Task

from .msgs import Note, Recorder


async def plan(t: Task) -> Note:
    return Note(text=t.text)


async def collect(j: Joined) -> Note:
    return Note(text=",".join(m.text for m in j.messages), n=len(j.messages))  # type: ignore[attr-defined]


class Overlap:
    """Counts branches in flight: ``peak`` is how many ran at once (concurrency without a stopwatch)."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def enter(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        self.now -= 1


def fan(
    delays: list[float],
    mode: JoinMode = ALL,
    *,
    cancelled: list[int] | None = None,
    overlap: Overlap | None = None,
) -> Graph:
    g = Graph("fan")
    g.add_node(plan)
    g.add_edge(START, "plan")
    names = []
    for i, d in enumerate(delays):

        async def critic(n: Note, i: int = i, d: float = d) -> Note:
            if overlap is not None:
                overlap.enter()
            try:
                await asyncio.sleep(d)
            except asyncio.CancelledError:
                if cancelled is not None:
                    cancelled.append(i)
                raise
            if overlap is not None:
                overlap.leave()
            return Note(text=f"c{i}", n=i)

        names.append(g.add_node(critic, name=f"c{i}"))
        g.add_edge("plan", f"c{i}")
    g.add_node(collect)
    g.add_join("collect", names, mode=mode)
    g.add_edge("collect", END)
    return g


async def test_all_join_waits_for_every_branch_in_parallel() -> None:
    rec, overlap = Recorder(), Overlap()
    res = await fan([0.05] * 8, overlap=overlap).build().run(Task(text="p"), bus=EventBus("r", [rec]))
    assert res.status == "completed" and res.output.n == 8  # type: ignore[union-attr]
    assert sorted(res.output.text.split(",")) == [f"c{i}" for i in range(8)]  # type: ignore[union-attr]
    assert overlap.peak == 8  # all eight in flight at once, not one after another
    assert len(res.messages) == 10 and res.node_counts["collect"] == 1
    join = rec.of("join")[0].data
    assert join["mode"] == "all" and len(join["arrived"]) == 8 and join["missing"] == []


async def test_joined_keeps_arrival_order_and_sources() -> None:
    res = await fan([0.03, 0.01, 0.02]).build().run(Task(text=""))
    assert res.output.text == "c1,c2,c0"  # type: ignore[union-attr]
    j = [m for m in res.messages if isinstance(m, Note)]
    assert len(j) == 5


async def test_first_join_goes_on_and_cancels_the_rest() -> None:
    cancelled: list[int] = []
    res = await fan([30.0, 0.01, 30.0, 30.0], FIRST, cancelled=cancelled).build().run(Task(text=""))
    assert res.status == "completed" and res.output == Note(text="c1", n=1)
    assert sorted(cancelled) == [0, 2, 3]
    assert res.node_counts.get("c0") is None and res.node_counts["collect"] == 1


async def test_quorum_fires_after_k_arrivals() -> None:
    cancelled: list[int] = []
    res = await fan([0.01, 0.02, 0.5, 0.03, 0.5], quorum(3), cancelled=cancelled).build().run(Task(text=""))
    assert res.status == "completed" and res.output.text == "c0,c1,c3"  # type: ignore[union-attr]
    assert sorted(cancelled) == [2, 4]


async def test_all_join_skips_a_branch_that_ended_elsewhere() -> None:
    g = Graph("skip")
    g.add_node(plan)

    async def a(n: Note) -> Note:
        return Note(text="a")

    async def b(n: Note) -> Note:
        return Note(text="b")

    g.add_node(a)
    g.add_node(b)
    g.add_node(collect)
    g.add_edge(START, "plan")
    g.add_edge("plan", "a")
    g.add_edge("plan", "b")
    g.add_edge("b", "collect", when=field("text") == "never")  # b's message becomes an output instead
    g.add_join("collect", ["a", "b"])
    g.add_edge("collect", END)
    rec = Recorder()
    res = await g.build().run(Task(text=""), bus=EventBus("r", [rec]))
    assert res.status == "completed"
    assert Note(text="a", n=1) in res.outputs and Note(text="b") in res.outputs
    assert rec.of("join")[0].data["missing"] == ["b"]


async def test_quorum_that_cannot_be_reached_fails() -> None:
    g = Graph("q")
    g.add_node(plan)

    async def maybe(n: Note) -> Note | None:
        return None

    g.add_node(maybe, name="m1")
    g.add_node(maybe, name="m2")

    async def ok(n: Note) -> Note:
        return Note(text="ok")

    g.add_node(ok)
    g.add_node(collect)
    g.add_edge(START, "plan")
    for n in ("m1", "m2", "ok"):
        g.add_edge("plan", n)
    g.add_join("collect", ["m1", "m2", "ok"], mode=quorum(2))
    res = await g.build().run(Task(text=""))
    assert res.status == "failed" and "quorum(2) not reached, 1 of 3 arrived" in str(res.error)


async def test_join_inside_a_loop_fires_every_iteration() -> None:
    async def relay(n: Note) -> Note:
        return n

    async def left(n: Note) -> Note:
        return Note(text="l", n=n.n)

    async def right(n: Note) -> Note:
        return Note(text="r", n=n.n)

    async def merge(j: Joined) -> Note:
        return Note(text="m", n=j.messages[0].n + 1)  # type: ignore[attr-defined]

    g = Graph("loopjoin")
    for fn in (plan, relay, left, right, merge):
        g.add_node(fn)
    g.add_chain(START, "plan", "relay")
    g.add_edge("relay", "left")
    g.add_edge("relay", "right")
    g.add_join("merge", ["left", "right"])
    g.add_edge("merge", "relay", when=field("n") < 3)
    g.add_edge("merge", END, when=field("n") >= 3)
    res = await g.build().run(Task(text=""))
    assert res.status == "completed" and res.output == Note(text="m", n=3)
    assert res.node_counts["merge"] == 3 and res.node_counts["left"] == 3


async def test_start_with_several_entries_runs_them_in_parallel() -> None:
    g = Graph("two")

    overlap = Overlap()

    async def x(t: Task) -> Note:
        overlap.enter()
        await asyncio.sleep(0.05)
        overlap.leave()
        return Note(text="x")

    async def y(t: Task) -> Note:
        overlap.enter()
        await asyncio.sleep(0.05)
        overlap.leave()
        return Note(text="y")

    g.add_node(x)
    g.add_node(y)
    g.add_node(collect)
    g.add_edge(START, "x")
    g.add_edge(START, "y")
    g.add_join("collect", ["x", "y"])
    res = await g.build().run(Task(text=""))
    assert overlap.peak == 2
    assert sorted(res.output.text.split(",")) == ["x", "y"]  # type: ignore[union-attr]


async def test_a_failing_branch_fails_the_run_and_cancels_the_others() -> None:
    cancelled: list[int] = []
    g = fan([30.0, 30.0], cancelled=cancelled)

    async def bad(n: Note) -> Note:
        await asyncio.sleep(0.01)
        raise RuntimeError("branch broke")

    g.add_node(bad)
    g.add_edge("plan", "bad")
    res = await g.build().run(Task(text=""))
    assert res.status == "failed" and isinstance(res.error, RuntimeError)
    assert sorted(cancelled) == [0, 1]
