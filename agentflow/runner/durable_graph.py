"""Durable graph runs: every step's :class:`~agentflow.graph.Snapshot` goes to a run store.

:func:`run_graph_durable` runs a compiled graph with a checkpoint after every step (the snapshot is
committed to the store in one short transaction), and with ``resume=True`` continues a run that was
killed — mid-chain, mid-loop or mid-fan-out — from its last snapshot, in any process::

    store = open_store("runs.db")
    result = await run_graph_durable(app, Task(text="go"), store=store, run_id="nightly-42")
    # ... the process dies; later, anywhere:
    result = await run_graph_durable(app, store=store, run_id="nightly-42", resume=True)

The graph runtime delivers a message to a node *at least once* (a node that was running when the
process died runs again). Nodes with side effects get exactly-once effects by calling their tools
through a :class:`~agentflow.store.ToolJournal` of the run (:func:`graph_journal`), keyed by what the
call is, so the re-run replays the first result instead of acting twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agentflow.events import EventBus, EventSink
from agentflow.graph import CompiledGraph, RunResult, Snapshot
from agentflow.graph.snapshot import decode_message, encode_message
from agentflow.messages import Message
from agentflow.redact import Redactor
from agentflow.store import RunRecorder, RunStore, ToolJournal

__all__ = ["graph_journal", "run_graph_durable"]


async def run_graph_durable(
    app: CompiledGraph,
    message: Message | None = None,
    *,
    store: RunStore,
    run_id: str,
    resume: bool = False,
    sinks: Iterable[EventSink] = (),
    **run_kwargs: Any,
) -> RunResult:
    """Run ``app`` on ``message`` with a snapshot committed after every step, or resume ``run_id``.

    Args:
        store: the run store (the run's record, snapshots, events when ``sinks`` make a bus).
        run_id: the run's name; a new run needs an unused one.
        resume: continue ``run_id`` from its last snapshot (``message`` is not needed then).
        sinks: event sinks; when given, the run's events are also kept in the store with each step.
        run_kwargs: passed to :meth:`CompiledGraph.run` (``max_steps``, ``timeout`` ...).

    Returns the graph's :class:`~agentflow.graph.RunResult`; the store's status follows it
    (``completed`` or ``failed``; a run that did not finish stays resumable as ``running``).
    """
    if resume:
        recorder, raw = RunRecorder.resume(store, run_id)
        snapshot = Snapshot.from_dict(raw) if raw else None
        if snapshot is None:  # killed before the first step: start over from the recorded input
            message = _recorded_input(app, store, run_id)
    else:
        if message is None:
            raise ValueError("a new durable graph run needs an input message")
        kind, data = encode_message(message)
        store.create_run(run_id, {"graph": app.name, "input": {"kind": kind, "data": data}})
        recorder, snapshot = RunRecorder(store, run_id), None
    sink_list = list(sinks)
    bus = None
    if sink_list:
        bus = EventBus(run_id, [*sink_list, recorder], start_seq=snapshot.seq if snapshot else 0)

    def checkpoint(snap: Snapshot) -> None:
        recorder.checkpoint(snap.to_dict())

    if snapshot is not None:
        result = await app.run(snapshot=snapshot, bus=bus, run_id=run_id, checkpoint=checkpoint, **run_kwargs)
    else:
        result = await app.run(message, bus=bus, run_id=run_id, checkpoint=checkpoint, **run_kwargs)
    if result.status == "completed":
        recorder.finish("completed")
    elif result.status == "failed":
        recorder.finish("failed", error=f"{type(result.error).__name__}: {result.error}")
    else:
        recorder.finish("paused", pause={"reason": result.status, "detail": result.reason})
    return result


def graph_journal(store: RunStore, run_id: str, *, redactor: Redactor | None = None) -> ToolJournal:
    """The run's tool journal for graph nodes (use ``site=`` the node's name and input, e.g. the key)."""
    return ToolJournal(store, run_id, redactor=redactor)


def _recorded_input(app: CompiledGraph, store: RunStore, run_id: str) -> Message:
    meta = store.require_run(run_id).meta
    recorded = meta.get("input")
    if not isinstance(recorded, dict):
        raise ValueError(f"run {run_id!r} has no recorded input to start over from")
    return decode_message(str(recorded["kind"]), dict(recorded["data"]), app.plan.kinds)
