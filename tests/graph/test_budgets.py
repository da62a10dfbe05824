"""Global and per-loop step budgets: clean, reported exits; resuming with a bigger budget."""

from __future__ import annotations

import pytest

from agentflow.errors import StepBudgetExceeded
from agentflow.events import EventBus
from agentflow.graph import END, START, Graph, field
from agentflow.messages import Task

from .msgs import Draft, Note, Recorder, Review


async def write(t: Task) -> Draft:
    return Draft(text=t.text, round=0)


async def draft(r: Review) -> Draft:
    return Draft(text="d", round=r.round)


async def review(d: Draft) -> Review:
    return Review(round=d.round + 1, ok=d.round + 1 >= 10)


async def polish(r: Review) -> Note:
    return Note(text=f"polished after {r.round}")


def review_loop(*, budget: int | None = None, exit_to: str | None = None, max_steps: int = 10_000) -> Graph:
    g = Graph("review", max_steps=max_steps)
    g.add_node(write)
    g.add_node(draft)
    g.add_node(review)
    if exit_to == "polish":
        g.add_node(polish)
    g.add_edge(START, "write")
    g.add_edge("write", "review")
    g.add_branch("review", [(field("ok").is_true(), END)], default="draft")
    g.add_edge("draft", "review")
    if budget is not None:
        g.add_loop_budget("draft", budget, exit_to=exit_to)
    return g


async def test_unbudgeted_loop_runs_to_its_exit() -> None:
    res = await review_loop().build().run(Task(text=""))
    assert res.status == "completed" and res.output == Review(round=10, ok=True)
    assert res.node_counts == {"write": 1, "review": 10, "draft": 9}


async def test_global_budget_is_a_clean_reported_exit() -> None:
    rec = Recorder()
    res = await review_loop().build().run(Task(text=""), max_steps=5, bus=EventBus("r", [rec]))
    assert res.status == "budget_exhausted" and res.steps == 5
    assert isinstance(res.error, StepBudgetExceeded)
    assert res.error.budget == "steps" and res.error.limit == 5
    assert "global step budget of 5 exhausted before node" in res.reason
    budget = rec.of("budget")[0].data
    assert (budget["scope"], budget["limit"], budget["action"]) == ("global", 5, "stop")
    assert rec.of("run_end")[-1].data["status"] == "budget_exhausted"
    with pytest.raises(StepBudgetExceeded):
        res.raise_for_status()


async def test_budget_exhausted_run_resumes_with_a_bigger_budget() -> None:
    app = review_loop().build()
    first = await app.run(Task(text=""), max_steps=7)
    assert first.status == "budget_exhausted" and first.snapshot is not None
    assert first.snapshot.steps == 7 and len(first.snapshot.pending) == 1
    second = await app.run(snapshot=first.snapshot, max_steps=100)
    assert second.status == "completed" and second.output == Review(round=10, ok=True)
    assert second.steps == 20 and second.run_id == first.run_id
    assert second.node_counts == {"write": 1, "review": 10, "draft": 9}


async def test_graph_default_budget_applies() -> None:
    res = await review_loop(max_steps=3).build().run(Task(text=""))
    assert res.status == "budget_exhausted" and res.steps == 3


async def test_loop_budget_stops_the_run() -> None:
    rec = Recorder()
    res = await review_loop(budget=3).build().run(Task(text=""), bus=EventBus("r", [rec]))
    assert res.status == "budget_exhausted"
    assert isinstance(res.error, StepBudgetExceeded) and res.error.budget == "loop:draft"
    assert res.loop_counts == {"draft": 3} and res.node_counts["draft"] == 3
    assert rec.of("budget")[0].data["scope"] == "loop"


async def test_loop_budget_with_exit_goes_on() -> None:
    rec = Recorder()
    res = await review_loop(budget=2, exit_to="polish").build().run(Task(text=""), bus=EventBus("r", [rec]))
    assert res.status == "completed" and res.output == Note(text="polished after 3")
    assert res.node_counts == {"write": 1, "review": 3, "draft": 2, "polish": 1}
    ev = rec.of("budget")[0].data
    assert (ev["action"], ev["exit_to"], ev["used"]) == ("exit", "polish", 2)


async def test_loop_budget_exit_to_end_makes_the_message_an_output() -> None:
    res = await review_loop(budget=1, exit_to=END).build().run(Task(text=""))
    assert res.status == "completed" and res.output == Review(round=2, ok=False)


async def test_unbounded_self_loop_with_budget_stops() -> None:
    async def spin(n: Note) -> Note:
        return Note(text="", n=n.n + 1)

    async def seed(t: Task) -> Note:
        return Note(text="")

    g = Graph("spin")
    g.add_node(seed)
    g.add_node(spin)
    g.add_chain(START, "seed", "spin", "spin")
    g.add_loop_budget("spin", 50)
    res = await g.build().run(Task(text=""))
    assert res.status == "budget_exhausted" and res.node_counts["spin"] == 50
    assert res.messages[-1] == Note(text="", n=50)


async def test_a_loop_exit_to_end_is_checkpointed() -> None:
    from agentflow.graph import Snapshot

    snaps: list[Snapshot] = []
    res = await review_loop(budget=1, exit_to=END).build().run(Task(text=""), checkpoint=snaps.append)
    assert res.status == "completed"
    last = snaps[-1]
    assert last.pending == () and [o.kind for o in last.outputs] == ["g_review"] and last.steps == res.steps
