"""The bridge between a running session and its store: events in, a checkpoint after every step.

A runner gives a :class:`RunRecorder` to its :class:`~agentflow.events.EventBus` as a sink and calls
:meth:`RunRecorder.checkpoint` after each step. Events and messages are buffered and committed *with*
the checkpoint in one transaction, so the store always holds a consistent prefix of the run: the state
after step k and exactly the events and messages that led to it. A crash loses only the step in flight,
which the resumed run redoes (its tool calls are replayed from the journal, never re-executed).

*Cursors* make the redo exact without the session knowing: anything with an integer ``position``
(the tool journal, a scripted backend, a scripted user, the inbox user channel) is registered with
:meth:`RunRecorder.track`; its position is saved with every checkpoint and put back on resume, so
the resumed run asks the same script step and makes the same call at the same call site.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from agentflow.events import Event
from agentflow.store.base import RunRecord, RunStore

__all__ = ["MESSAGE_EVENTS", "Positioned", "RunRecorder", "rewrite_trace"]

_FORMAT = "agentflow.checkpoint/1"

MESSAGE_EVENTS = {"user_message": "user", "agent_message": "agent"}
"""Event types that are also conversation messages (event type -> message role)."""


class Positioned(Protocol):
    """Anything whose progress is one integer cursor (``ScriptedBackend``, ``ToolJournal`` ...)."""

    position: int


class RunRecorder:
    """Records one run into a store.

    Args:
        store: the run store.
        run_id: the run (already created in the store).
        step: the step number of the checkpoint the run starts from (0 for a new run).
    """

    def __init__(
        self, store: RunStore, run_id: str, *, step: int = 0, message_events: Mapping[str, str] | None = None
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.step = step
        self.message_events = dict(MESSAGE_EVENTS if message_events is None else message_events)
        self._events: list[dict[str, Any]] = []
        self._messages: list[dict[str, Any]] = []
        self._tracked: dict[str, Positioned] = {}
        self._cursors: dict[str, int] = {}

    @classmethod
    def resume(cls, store: RunStore, run_id: str) -> tuple[RunRecorder, Mapping[str, Any] | None]:
        """A recorder that continues ``run_id``, and the state of its latest checkpoint (``None``: none yet).

        Cursors saved with the checkpoint are applied to objects as they are :meth:`track`-ed.
        """
        store.require_run(run_id)
        checkpoint = store.load_checkpoint(run_id)
        store.set_status(run_id, "running")
        recorder = cls(store, run_id, step=checkpoint.step if checkpoint else 0)
        if checkpoint is None:
            return recorder, None
        recorder._cursors = dict(checkpoint.state.get("cursors", {}))
        return recorder, checkpoint.state.get("state", {})

    def track(self, name: str, obj: Positioned) -> None:
        """Save ``obj.position`` with every checkpoint; on a resumed run, restore it now."""
        self._tracked[name] = obj
        if name in self._cursors:
            obj.position = self._cursors[name]

    def __call__(self, event: Event) -> None:
        """The event sink: keep the event until the next checkpoint commits it.

        Conversation events (``user_message``, ``agent_message``) also go to the message log.
        """
        self._events.append(event.to_dict())
        role = self.message_events.get(event.type)
        if role is not None:
            self._messages.append(
                {"role": role, "text": event.data.get("text", ""), "turn": event.data.get("turn"), "seq": event.seq}
            )

    def discard(self) -> None:
        """Drop what was buffered since the last checkpoint (a paused step is redone on resume)."""
        self._events.clear()
        self._messages.clear()

    def message(self, message: Mapping[str, Any]) -> None:
        """Append a message (e.g. ``msg.model_dump(mode="json")``) to the log at the next checkpoint."""
        self._messages.append(dict(message))

    def checkpoint(self, state: Mapping[str, Any]) -> int:
        """Commit the state after one more step, with the events and messages since the last one.

        Returns the new step number.
        """
        self.step += 1
        cursors = {name: int(obj.position) for name, obj in self._tracked.items()}
        wrapped = {"format": _FORMAT, "state": dict(state), "cursors": cursors}
        self.store.commit_step(self.run_id, self.step, wrapped, messages=self._messages, events=self._events)
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
