"""agentflow graph quickstart: typed nodes, a parallel fan-out with a join, and a budgeted loop.

Run it: ``python examples/graph_quickstart.py``. No model is called: the nodes are plain async
functions, which is all the graph runtime needs (roles from ``agentflow.roles`` are nodes too).

    draft ─┬─ critic_style ─┐
           └─ critic_facts ─┴─ join(all) → judge ─ ok → END
                  ↑                                └ not ok → revise ┘  (at most 3 revisions)
"""

from __future__ import annotations

import asyncio
from typing import Literal

from agentflow.events import EventBus
from agentflow.graph import END, START, Graph, Joined, field
from agentflow.messages import Critique, Message, Task


class Draft(Message):
    """A candidate text."""

    kind: Literal["draft"] = "draft"
    text: str


async def draft(task: Task) -> Draft:
    return Draft(text=task.text)


async def critic_style(d: Draft) -> Critique:
    issues = [] if d.text.endswith(".") else ["end with a full stop"]
    return Critique(aspect="style", text=d.text, issues=issues)


async def critic_facts(d: Draft) -> Critique:
    issues = [] if "graph" in d.text else ["mention the graph"]
    return Critique(aspect="facts", text=d.text, issues=issues)


class Review(Message):
    """The judge's view of a draft: acceptable or not, and what to fix."""

    kind: Literal["review"] = "review"
    text: str
    ok: bool
    issues: list[str]


async def judge(joined: Joined) -> Review:
    critiques = [c for c in joined.messages if isinstance(c, Critique)]
    issues = [i for c in critiques for i in c.issues]
    return Review(text=critiques[0].text, ok=not issues, issues=issues)


async def revise(review: Review) -> Draft:
    text = review.text.rstrip(".")
    if "mention the graph" in review.issues:
        text += ", on a typed graph"
    return Draft(text=text + ".")


def build() -> Graph:
    g = Graph("quickstart")
    for fn in (draft, critic_style, critic_facts, judge, revise):
        g.add_node(fn)
    g.add_edge(START, "draft")
    for critic in ("critic_style", "critic_facts"):
        g.add_edge("draft", critic)
        g.add_edge("revise", critic)
    g.add_join("judge", ["critic_style", "critic_facts"])  # waits for both critics
    g.add_branch("judge", [(field("ok").is_true(), END)], default="revise")
    g.add_loop_budget("revise", max_iterations=3, exit_to=END)  # give up gracefully after 3 tries
    return g


async def main() -> None:
    app = build().build()
    print(app.to_mermaid())
    seen: list[str] = []
    bus = EventBus("quickstart", [lambda e: seen.append(e.type)])
    result = await app.run(Task(text="hello"), bus=bus)
    print("status:", result.status, "steps:", result.steps, "counts:", result.node_counts)
    print("output:", result.output)
    print("events:", len(seen), "first:", seen[:3])


if __name__ == "__main__":
    asyncio.run(main())
