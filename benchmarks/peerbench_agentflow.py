"""agentflow for ``../shared/bench/peerbench.py`` (load with ``--plugin benchmarks/peerbench_agentflow.py``).

Each workload is written the way a user writes it with agentflow's public graph API: typed
messages, async function nodes, plain/conditional edges, an explicit ``all`` join, and
``await app.run(message)``; the run's ``result.messages`` (every message a node produced) is the
list the harness checks. No event sinks and no checkpoint callback are attached, which is the
default for an SDK user.
"""

from typing import Any, Literal

from agentflow.graph import END, START, Graph, Joined, field
from agentflow.messages import Message, Task

framework: Any = globals()["framework"]  # injected by peerbench's plugin loader

FW = framework(
    "agentflow",
    packages=["agentflow", "pydantic"],
    import_stmt="import agentflow",
    notes="Graph builder, frozen pydantic messages, async function nodes, field() conditions, ALL join, "
    "result.messages",
)


class Reply(Message):
    """What each fake-LLM node appends."""

    kind: Literal["reply"] = "reply"
    text: str


class Draft(Message):
    kind: Literal["draft"] = "draft"
    text: str
    iteration: int


class Review(Message):
    kind: Literal["review"] = "review"
    text: str
    iteration: int


@FW.workload("chain")
def chain(llm: Any, n_nodes: int) -> Any:
    def make_node(i: int) -> Any:
        async def node(msg: Task | Reply) -> Reply:
            return Reply(text=await llm(f"node {i}"))

        return node

    g = Graph("chain")
    names = [g.add_node(make_node(i), name=f"n{i}") for i in range(n_nodes)]
    g.add_chain(START, *names, END)
    app = g.build()
    task = Task(text="go")

    async def run() -> list[Message]:
        return (await app.run(task)).messages

    return run


@FW.workload("loop")
def loop(llm: Any, iterations: int) -> Any:
    async def actor(msg: Task | Review) -> Draft:
        it = msg.iteration if isinstance(msg, Review) else 0
        return Draft(text=await llm("actor"), iteration=it)

    async def critic(draft: Draft) -> Review:
        return Review(text=await llm("critic"), iteration=draft.iteration + 1)

    g = Graph("loop")
    g.add_node(actor)
    g.add_node(critic)
    g.add_chain(START, "actor", "critic")
    g.add_branch("critic", [(field("iteration") >= iterations, END)], default="actor")
    app = g.build()
    task = Task(text="go")

    async def run() -> list[Message]:
        return (await app.run(task)).messages

    return run


@FW.workload("fanout")
def fanout(llm: Any, width: int) -> Any:
    async def planner(task: Task) -> Reply:
        return Reply(text=await llm("plan"))

    def make_critic(i: int) -> Any:
        async def critic(plan: Reply) -> Reply:
            return Reply(text=await llm(f"critic {i}"))

        return critic

    async def aggregator(joined: Joined) -> Reply:
        return Reply(text=await llm("aggregate"))

    g = Graph("fanout")
    g.add_node(planner)
    critics = [g.add_node(make_critic(i), name=f"critic{i}") for i in range(width)]
    for name in critics:
        g.add_edge("planner", name)
    g.add_node(aggregator)
    g.add_join("aggregator", critics)
    g.add_chain(START, "planner")
    g.add_edge("aggregator", END)
    app = g.build()
    task = Task(text="go")

    async def run() -> list[Message]:
        return (await app.run(task)).messages

    return run
