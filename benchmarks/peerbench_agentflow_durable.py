"""agentflow with the durable SQLite run store on, for ``../shared/bench/peerbench.py``.

Load next to ``peerbench_agentflow.py``::

    --plugin benchmarks/peerbench_agentflow.py --plugin benchmarks/peerbench_agentflow_durable.py

Framework ``agentflow-sqlite`` runs the same W1 chain as ``agentflow`` (typed messages, async function
nodes, ``await app.run``) through :func:`agentflow.runner.durable_graph.run_graph_durable`: every run
is registered in a SQLite store (one WAL file) and the graph's snapshot is committed after *every*
step, so a run killed at any point resumes from its last step. Only the chain (W1/W4) is provided.
"""

import itertools
import os
import tempfile
from typing import Any, Literal

from agentflow.graph import END, START, Graph
from agentflow.messages import Message, Task
from agentflow.runner.durable_graph import run_graph_durable
from agentflow.store import open_store

framework: Any = globals()["framework"]  # injected by peerbench's plugin loader

FW = framework(
    "agentflow-sqlite",
    packages=["agentflow", "pydantic"],
    import_stmt="import agentflow.store",
    notes="agentflow chain with the SQLite run store: run registered, snapshot committed after every step "
    "(WAL, synchronous=NORMAL)",
)


class Reply(Message):
    """What each fake-LLM node appends."""

    kind: Literal["reply"] = "reply"
    text: str


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
    store = open_store(os.path.join(tempfile.mkdtemp(prefix="peerbench-store-"), "runs.db"))
    ids = itertools.count()
    prefix = f"w1-{os.getpid()}-"

    async def run() -> list[Message]:
        result = await run_graph_durable(app, task, store=store, run_id=f"{prefix}{next(ids)}")
        return result.messages

    return run
