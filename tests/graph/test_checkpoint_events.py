"""Checkpoint snapshots after every step, resume from any of them, and the event stream."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentflow.errors import UserError
from agentflow.events import EventBus, JsonlTraceWriter, read_trace
from agentflow.graph import END, START, Graph, Joined, Snapshot, field
from agentflow.messages import Task
from agentflow.redact import Redactor

from .msgs import Note, Recorder


async def seed(t: Task) -> Note:
    return Note(text=t.text)


async def inc(n: Note) -> Note:
    return Note(text=n.text, n=n.n + 1)


async def left(n: Note) -> Note:
    return Note(text="L", n=n.n)


async def right(n: Note) -> Note:
    return Note(text="R", n=n.n)


async def merge(j: Joined) -> Note:
    return Note(text="".join(sorted(m.text for m in j.messages)), n=j.messages[0].n)  # type: ignore[attr-defined]


def looped() -> Graph:
    g = Graph("ck")
    for fn in (seed, inc, left, right, merge):
        g.add_node(fn)
    g.add_chain(START, "seed", "inc")
    g.add_edge("inc", "left")
    g.add_edge("inc", "right")
    g.add_join("merge", ["left", "right"])
    g.add_edge("merge", "inc", when=field("n") < 3)
    g.add_edge("merge", END, when=field("n") >= 3)
    return g


async def test_a_snapshot_after_every_step_and_each_resumes_to_the_same_end() -> None:
    app = looped().build()
    snaps: list[dict[str, object]] = []
    full = await app.run(Task(text="s"), checkpoint=lambda s: snaps.append(s.to_dict()))
    assert full.status == "completed" and full.output == Note(text="LR", n=3)
    assert len(snaps) == full.steps == 1 + 3 * 4
    steps = [s["steps"] for s in snaps]
    assert steps == sorted(steps) and steps[-1] == full.steps
    mid_join = [s for s in snaps if s["joins"]]
    assert mid_join, "a snapshot between the two branches holds a partial join"
    for raw in snaps:
        snap = Snapshot.from_dict(json.loads(json.dumps(raw)))
        assert snap.run_id == full.run_id
        res = await app.run(snapshot=snap)
        assert res.status == "completed" and res.output == full.output, raw
        assert res.steps == full.steps and res.node_counts == full.node_counts


async def test_async_checkpoint_is_awaited_and_sees_pending_messages() -> None:
    seen: list[tuple[int, list[str]]] = []

    async def save(s: Snapshot) -> None:
        await asyncio.sleep(0)
        seen.append((s.steps, [p.node for p in s.pending]))

    g = Graph("c")
    g.add_node(seed)
    g.add_node(inc)
    g.add_chain(START, "seed", "inc", END)
    await g.build().run(Task(text=""), checkpoint=save)
    assert seen == [(1, ["inc"]), (2, [])]


async def test_snapshot_carries_kind_json_counters_and_seq() -> None:
    bus = EventBus("run_s", [Recorder()])
    got: list[Snapshot] = []
    g = Graph("c")
    g.add_node(seed)
    g.add_node(inc)
    g.add_chain(START, "seed", "inc", END)
    await g.build().run(Task(text="k"), bus=bus, checkpoint=got.append)
    first = got[0]
    assert first.run_id == "run_s" and first.graph == "c" and first.steps == 1
    assert first.pending[0].kind == "g_note" and first.pending[0].data == {"kind": "g_note", "text": "k", "n": 0}
    assert first.node_counts == {"seed": 1} and first.seq > 0 and first.seq <= bus.seq
    assert got[-1].outputs[0].data["n"] == 1


async def test_resume_refuses_foreign_or_malformed_snapshots() -> None:
    app = looped().build()
    snaps: list[Snapshot] = []
    await app.run(Task(text=""), checkpoint=snaps.append)
    other = Graph("other")
    other.add_node(seed)
    other.add_edge(START, "seed")
    with pytest.raises(UserError, match="snapshot of graph 'ck' cannot resume graph 'other'"):
        await other.build().run(snapshot=snaps[0])
    data = snaps[0].to_dict()
    data["pending"] = [{"node": "inc", "kind": "mystery", "data": {}}]
    with pytest.raises(UserError, match="kind 'mystery'"):
        await app.run(snapshot=Snapshot.from_dict(data))
    data["pending"] = [{"node": "ghost", "kind": "g_note", "data": {}}]
    with pytest.raises(UserError, match="node 'ghost'"):
        await app.run(snapshot=Snapshot.from_dict(data))
    with pytest.raises(UserError, match="version"):
        Snapshot.from_dict({**data, "version": 99})
    with pytest.raises(UserError, match="malformed"):
        Snapshot.from_dict({"version": 1})


async def test_event_stream_tells_the_whole_story(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "trace.jsonl"
    writer = JsonlTraceWriter(path, Redactor())
    rec = Recorder()
    bus = EventBus("run_e", [rec, writer])
    res = await looped().build().run(Task(text=""), bus=bus)
    writer.close()
    types = rec.types()
    assert types[0] == "run_start" and types[-1] == "run_end"
    assert types.count("node_start") == types.count("node_end") == res.steps
    assert types.count("join") == 3 and "edge" in types
    end = rec.of("node_end")[0].data
    assert end["node"] == "seed" and end["output"] == "g_note" and end["data"]["text"] == "" and end["duration_s"] >= 0
    edges = {(e.data["src"], e.data["dst"]) for e in rec.of("edge")}
    assert {("seed", "inc"), ("inc", "left"), ("inc", "right"), ("merge", "inc")} <= edges
    records = list(read_trace(path))
    assert len(records) == len(rec.events)
    assert all({"type", "run_id", "seq", "ts"} <= set(r) for r in records)


async def test_an_unobserved_bus_gets_no_events() -> None:
    bus = EventBus("quiet")
    await looped().build().run(Task(text=""), bus=bus)
    assert bus.seq == 0
