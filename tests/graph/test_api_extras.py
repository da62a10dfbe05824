"""Smaller parts of the public API: decorator form, custom events, Joined helpers, start(timeout)."""

from __future__ import annotations

import asyncio

import pytest

from agentflow.events import EventBus
from agentflow.graph import END, START, EdgeCondition, Graph, Joined, RunContext, node
from agentflow.messages import Task

from .msgs import Note, Recorder


async def test_decorator_form_registers_nodes() -> None:
    g = Graph("deco")

    @g.node
    async def first(t: Task) -> Note:
        return Note(text=t.text)

    @g.node(name="second", timeout=1.0)
    async def second_impl(n: Note, ctx: RunContext) -> Note:
        ctx.emit("custom", detail=n.text)
        return Note(text=n.text + "!", n=1)

    assert callable(first) and set(g.nodes) == {"first", "second"} and g.timeouts == {"second": 1.0}
    g.add_chain(START, "first", "second", END)
    rec = Recorder()
    res = await g.build().run(Task(text="hey"), bus=EventBus("r", [rec]))
    assert res.output == Note(text="hey!", n=1)
    custom = rec.of("custom")[0]
    assert custom.data == {"graph": "deco", "detail": "hey"}


def test_node_helper_decorator_form() -> None:
    @node(name="named")
    async def f(t: Task) -> Note:
        return Note(text="")

    assert f.name == "named" and f.input_type is Task


def test_joined_by_source_and_unknown_condition_op() -> None:
    j = Joined(messages=(Note(text="a"), Note(text="b")), sources=("x", "y"))
    assert j.by_source() == {"x": Note(text="a"), "y": Note(text="b")}
    dumped = j.model_dump()
    assert dumped["messages"][0]["text"] == "a"  # items keep their own fields
    with pytest.raises(ValueError, match="unknown condition operator"):
        EdgeCondition("between", "x", (1, 2))


async def test_start_with_timeout_and_callable_condition_label() -> None:
    async def slow(t: Task) -> Note:
        await asyncio.sleep(5)
        return Note(text="")

    def is_long(m: Note) -> bool:
        return len(m.text) > 3

    g = Graph("s")
    g.add_node(slow)
    g.add_edge(START, "slow")
    g.add_edge("slow", END, when=is_long)
    app = g.build()
    assert "-->|is_long| END" in app.to_mermaid()
    res = await app.start(Task(text=""), timeout=0.05)
    assert res.status == "cancelled" and res.reason == "timeout"
    with pytest.raises(TypeError, match="unexpected arguments: colour"):
        app.start(Task(text=""), colour="red")
