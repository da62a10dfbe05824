"""One durable entry for every kind of run: :func:`run_durable`.

A durable run commits a checkpoint after every step to a run store, journals model answers and
tool calls (exactly once across crashes), and continues with ``resume=True``. The target decides
the shape of the input:

* a :class:`~agentflow.runner.conversation.Conversation`: the user (a channel or a list of messages);
* an :class:`~agentflow.runner.orchestration.Orchestration`: the workflow's inputs (a mapping);
* a :class:`~agentflow.graph.CompiledGraph`: the input message.

Each kind also has it as a method (``Conversation.run_durable``, ``Orchestration.run_durable``);
this function is the one name for all three.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentflow.executed import WorkflowResult
from agentflow.graph import CompiledGraph, RunResult
from agentflow.guided.run import SessionResult
from agentflow.guided.users import UserChannel
from agentflow.messages import Message
from agentflow.runner.conversation import Conversation
from agentflow.runner.durable_graph import run_graph_durable
from agentflow.runner.orchestration import Orchestration
from agentflow.store import RunStore, open_store

__all__ = ["run_durable"]


async def run_durable(
    target: Conversation | Orchestration | CompiledGraph,
    input: UserChannel | Sequence[str] | Mapping[str, Any] | Message | None = None,
    *,
    store: RunStore | str | Path,
    run_id: str,
    resume: bool = False,
    **kwargs: Any,
) -> SessionResult | WorkflowResult | RunResult:
    """Run ``target`` durably in ``store`` as ``run_id``, or continue it (``resume=True``).

    ``kwargs`` go to the target's own durable run (backends, tools, approvals, trace ...). A resumed
    orchestration or graph may omit ``input`` (the recorded one is used); a conversation needs its
    user channel again.
    """
    if isinstance(target, Conversation):
        if input is None or isinstance(input, Mapping | Message):
            raise TypeError("a durable conversation needs its user: a UserChannel or a list of messages")
        return await target.run_durable(input, store=store, run_id=run_id, resume=resume, **kwargs)
    if isinstance(target, Orchestration):
        if input is not None and not isinstance(input, Mapping):
            raise TypeError("a durable orchestration takes its inputs as a mapping")
        return await target.run_durable(input, store=store, run_id=run_id, resume=resume, **kwargs)
    if isinstance(target, CompiledGraph):
        if input is not None and not isinstance(input, Message):
            raise TypeError("a durable graph run takes its input as a Message")
        owned = not isinstance(store, RunStore)
        db = store if isinstance(store, RunStore) else open_store(store)
        try:
            return await run_graph_durable(target, input, store=db, run_id=run_id, resume=resume, **kwargs)
        finally:
            if owned:
                db.close()
    kind = type(target).__name__
    raise TypeError(f"run_durable needs a Conversation, an Orchestration or a compiled graph, not {kind}")
