"""The bridge between a running session and its store: events in, a checkpoint after every step.

A runner gives a :class:`RunRecorder` to its :class:`~agentflow.events.EventBus` as a sink and calls
:meth:`RunRecorder.checkpoint` after each step. Events and messages are buffered and committed *with*
the checkpoint in one transaction, so the store always holds a consistent prefix of the run: the state
after step k and exactly the events and messages that led to it. A crash loses only the step in flight,
which the resumed run redoes (its tool calls are replayed from the journal, never re-executed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from agentflow.events import Event
from agentflow.store.base import Checkpoint, RunRecord, RunStore

__all__ = ["RunRecorder", "rewrite_trace"]


class RunRecorder:
    """Records one run into a store.

    Args:
        store: the run store.
        run_id: the run (already created in the store).
        step: the step number of the checkpoint the run starts from (0 for a new run).
    """

    def __init__(self, store: RunStore, run_id: str, *, step: int = 0) -> None:
        self.store = store
        self.run_id = run_id
        self.step = step
        self._events: list[dict[str, Any]] = []
        self._messages: list[dict[str, Any]] = []

    @classmethod
    def resume(cls, store: RunStore, run_id: str) -> tuple[RunRecorder, Checkpoint | None]:
        """A recorder that continues ``run_id`` from its latest checkpoint (returned with it)."""
        store.require_run(run_id)
        checkpoint = store.load_checkpoint(run_id)
        store.set_status(run_id, "running")
        return cls(store, run_id, step=checkpoint.step if checkpoint else 0), checkpoint

    def __call__(self, event: Event) -> None:
        """The event sink: keep the event until the next checkpoint commits it."""
        self._events.append(event.to_dict())

    def message(self, message: Mapping[str, Any]) -> None:
        """Append a message (e.g. ``msg.model_dump(mode="json")``) to the log at the next checkpoint."""
        self._messages.append(dict(message))

    def checkpoint(self, state: Mapping[str, Any]) -> int:
        """Commit the state after one more step, with the events and messages since the last one.

        Returns the new step number.
        """
        self.step += 1
        self.store.commit_step(self.run_id, self.step, state, messages=self._messages, events=self._events)
        self._events.clear()
        self._messages.clear()
        return self.step

    def flush_events(self) -> None:
        """Commit buffered events and messages without a new state (a run ending, failing or pausing)."""
        if self._events or self._messages:
            self.store.append_log(self.run_id, messages=self._messages, events=self._events)
            self._events.clear()
            self._messages.clear()

    def finish(self, status: str, *, pause: Mapping[str, Any] | None = None, error: str | None = None) -> None:
        """Flush what is buffered and set the run's final (or paused) status."""
        self.flush_events()
        if status not in ("completed", "failed", "paused", "running"):
            raise ValueError(f"unknown run status {status!r}")
        self.store.set_status(self.run_id, status, pause=pause, error=error)  # type: ignore[arg-type]

    @property
    def last_event_seq(self) -> int:
        """The highest event ``seq`` committed so far (a resumed bus continues after it)."""
        events = self.store.events(self.run_id)
        return int(events[-1]["seq"]) if events else 0

    @property
    def record(self) -> RunRecord:
        return self.store.require_run(self.run_id)


def rewrite_trace(path: str | Path, events: Iterable[Mapping[str, Any]]) -> None:
    """Rewrite a JSONL trace file to exactly ``events`` (the store's committed prefix of the run).

    A resumed run calls this before appending, so events of the step that was cut off by a crash are
    not duplicated: the final trace reads like one uninterrupted run. Events are already redacted.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for record in events:
            fh.write(json.dumps(dict(record), ensure_ascii=False, default=str) + "\n")
    tmp.replace(p)
