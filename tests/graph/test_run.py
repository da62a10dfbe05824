"""Running graphs: chains, conditional edges, branches, outputs, failures, sync wrapper."""

from __future__ import annotations

import asyncio

import pytest

from agentflow.errors import RunError, UserError
from agentflow.events import EventBus
from agentflow.graph import END, START, Graph, RunContext, field, is_a
from agentflow.messages import Task

from .msgs import Draft, Note, Recorder, Review, Score


async def start(t: Task) -> Note:
    return Note(text=t.text, n=0)


async def inc(n: Note) -> Note:
    return Note(text=n.text + "+", n=n.n + 1)


async def grade(n: Note) -> Score:
    return Score(value=n.n / 10, ok=n.n >= 3)


def chain(k: int) -> Graph:
    g = Graph("chain")
    g.add_node(start)
    names = [g.add_node(inc, name=f"inc{i}") for i in range(k)]
    g.add_chain(START, "start", *names, END)
    return g


async def test_chain_runs_in_order_and_reports_counts() -> None:
    res = await chain(4).build().run(Task(text="x"))
    assert res.status == "completed" and res.ok
    assert res.output == Note(text="x++++", n=4)
    assert [m.n for m in res.messages] == [0, 1, 2, 3, 4]  # type: ignore[attr-defined]
    assert res.steps == 5 and res.node_counts == {"start": 1, "inc0": 1, "inc1": 1, "inc2": 1, "inc3": 1}
    assert res.snapshot is None and res.error is None
    assert res.raise_for_status() is res


async def test_one_graph_runs_concurrently_without_sharing_state() -> None:
    app = chain(3).build()
    results = await asyncio.gather(*(app.run(Task(text=str(i))) for i in range(20)))
    assert [r.output.text for r in results] == [f"{i}+++" for i in range(20)]  # type: ignore[union-attr]
    assert len({r.run_id for r in results}) == 20


async def test_conditional_edges_and_loop_exit() -> None:
    g = Graph("loop")
    g.add_node(start)
    g.add_node(inc)
    g.add_edge(START, "start")
    g.add_edge("start", "inc")
    g.add_edge("inc", "inc", when=field("n") < 5)
    g.add_edge("inc", END, when=field("n") >= 5)
    res = await g.build().run(Task(text=""))
    assert res.output == Note(text="+++++", n=5) and res.node_counts["inc"] == 5


async def test_branch_is_first_match_with_default() -> None:
    async def low(s: Score) -> Note:
        return Note(text="low")

    async def mid(s: Score) -> Note:
        return Note(text="mid")

    async def high(s: Score) -> Note:
        return Note(text="high")

    async def seed(t: Task) -> Score:
        return Score(value=float(t.text))

    g = Graph("branch")
    for fn in (seed, low, mid, high):
        g.add_node(fn)
    g.add_edge(START, "seed")
    g.add_branch("seed", [(field("value") >= 0.8, "high"), (field("value") >= 0.5, "mid")], default="low")
    app = g.build()
    outs = [(await app.run(Task(text=v))).output for v in ("0.9", "0.6", "0.1")]
    assert [o.text for o in outs] == ["high", "mid", "low"]  # type: ignore[union-attr]


async def test_a_message_that_fires_no_edge_is_an_output() -> None:
    g = Graph("drop")
    g.add_node(start)
    g.add_node(inc)
    g.add_edge(START, "start")
    g.add_edge("start", "inc", when=field("text") == "go")
    app = g.build()
    assert (await app.run(Task(text="stop"))).output == Note(text="stop")
    assert (await app.run(Task(text="go"))).output == Note(text="go+", n=1)


async def test_route_by_type_with_is_a() -> None:
    async def fork(t: Task) -> Draft | Review:
        return Draft(text=t.text) if t.text else Review(round=7)

    async def on_draft(d: Draft) -> Note:
        return Note(text="draft:" + d.text)

    async def on_review(r: Review) -> Note:
        return Note(text=f"review:{r.round}")

    g = Graph("types")
    for fn in (fork, on_draft, on_review):
        g.add_node(fn)
    g.add_edge(START, "fork")
    g.add_edge("fork", "on_draft", when=is_a(Draft))
    g.add_edge("fork", "on_review", when=is_a(Review))
    app = g.build()
    assert (await app.run(Task(text="a"))).output == Note(text="draft:a")
    assert (await app.run(Task(text=""))).output == Note(text="review:7")


async def test_node_returning_none_ends_the_branch_without_output() -> None:
    async def maybe(n: Note) -> Note | None:
        return None

    g = Graph("none")
    g.add_node(start)
    g.add_node(maybe)
    g.add_chain(START, "start", "maybe", END)
    res = await g.build().run(Task(text=""))
    assert res.status == "completed" and res.outputs == [] and res.output is None
    assert res.node_counts == {"start": 1, "maybe": 1}


async def test_context_is_passed_and_shared() -> None:
    seen: list[str] = []

    async def first(t: Task, ctx: RunContext) -> Note:
        ctx.data["k"] = "v"
        seen.append(ctx.run_id)
        return Note(text=t.text)

    async def second(n: Note, ctx: RunContext) -> Note:
        return Note(text=ctx.data["k"] + ctx.graph)

    g = Graph("ctx")
    g.add_node(first)
    g.add_node(second)
    g.add_chain(START, "first", "second", END)
    res = await g.build().run(Task(text=""), run_id="run_fixed")
    assert seen == ["run_fixed"] and res.run_id == "run_fixed" and res.output == Note(text="vctx")


async def test_failures_are_results_with_the_error() -> None:
    async def boom(n: Note) -> Note:
        raise ValueError("kaput")

    g = Graph("fail")
    g.add_node(start)
    g.add_node(boom)
    g.add_chain(START, "start", "boom", END)
    rec = Recorder()
    res = await g.build().run(Task(text=""), bus=EventBus("r", [rec]))
    assert res.status == "failed" and isinstance(res.error, ValueError) and "kaput" in res.reason
    assert res.snapshot is not None and [p.node for p in res.snapshot.pending] == ["boom"]
    err = rec.of("node_error")[0]
    assert err.data["node"] == "boom" and err.data["error"] == "ValueError"
    assert rec.of("run_end")[0].data["status"] == "failed"
    with pytest.raises(ValueError, match="kaput"):
        res.raise_for_status()


async def test_a_node_that_lies_about_its_type_fails_the_run() -> None:
    async def liar(n: Note) -> Score:
        return Note(text="not a score")  # type: ignore[return-value]

    g = Graph("liar")
    g.add_node(start)
    g.add_node(liar)
    g.add_chain(START, "start", "liar", END)
    res = await g.build().run(Task(text=""))
    assert res.status == "failed" and isinstance(res.error, RunError)
    assert "returned Note, but declares Score" in str(res.error)


async def test_input_that_does_not_fit_the_entry_is_a_user_error() -> None:
    app = chain(1).build()
    with pytest.raises(UserError, match="input Note does not fit the entry, which accepts Task"):
        await app.run(Note(text=""))
    with pytest.raises(UserError, match="either an input message or a snapshot"):
        await app.run()


async def test_keep_messages_false() -> None:
    res = await chain(3).build().run(Task(text=""), keep_messages=False)
    assert res.messages == [] and res.output == Note(text="+++", n=3)


def test_run_sync_is_the_same_code_path() -> None:
    res = chain(2).build().run_sync(Task(text="s"))
    assert res.output == Note(text="s++", n=2) and res.steps == 3


async def test_run_sync_inside_a_loop_says_to_await() -> None:
    with pytest.raises(RunError, match=r"await graph\.run"):
        chain(1).build().run_sync(Task(text=""))


def test_mermaid_shows_nodes_edges_and_conditions() -> None:
    g = Graph("m")
    g.add_node(start)
    g.add_node(inc)
    g.add_chain(START, "start", "inc")
    g.add_edge("inc", "inc", when=field("n") < 5)
    g.add_edge("inc", END, when=field("n") >= 5)
    text = g.build().to_mermaid()
    assert text.startswith("flowchart TD")
    assert "n_inc -->|n < 5| n_inc" in text and "START --> n_start" in text and "n_inc -->|n >= 5| END" in text


class Doubler:
    """A hand-written Node (no function wrapper): any object with the protocol's members runs."""

    name = "doubler"
    input_type = Note
    output_type = Note

    async def call(self, message: Note, ctx: RunContext) -> Note:
        return Note(text=message.text * 2, n=message.n * 2)


async def test_a_class_satisfying_the_node_protocol_runs() -> None:
    g = Graph("proto")
    g.add_node(start)
    g.add_node(Doubler())
    g.add_chain(START, "start", "doubler", END)
    res = await g.build().run(Task(text="ab"))
    assert res.output == Note(text="abab", n=0) and res.node_counts == {"start": 1, "doubler": 1}


async def test_several_entries_take_only_the_messages_they_accept() -> None:
    g = Graph("entries")
    g.add_node(start)
    g.add_node(inc)
    g.add_edge(START, "start")
    g.add_edge(START, "inc")
    app = g.build()
    assert (await app.run(Task(text="t"))).outputs == [Note(text="t")]
    assert (await app.run(Note(text="n", n=1))).outputs == [Note(text="n+", n=2)]
    bad = Graph("bad")
    bad.add_node(start)
    bad.add_edge(START, END)
    bad.add_edge(START, "start")
    with pytest.raises(UserError, match="START -> END"):
        bad.build()
