"""Run events: everything that happens in a run, as one ordered stream.

The graph runtime, controllers and runners *emit* events on an :class:`EventBus`; sinks (the trace
writer, the CLI display, the durable store, tests) *receive* them. Events are plain, cheap records —
the bus does nothing when nobody listens, so an unobserved run pays almost nothing for them.

Trace format (DESIGN.md §5): each event serialises to one JSON object with at least ``type``,
``run_id``, ``seq`` and ``ts``, plus the event's own fields.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from agentflow.errors import UserError
from agentflow.redact import Redactor

__all__ = ["Event", "EventBus", "EventSink", "JsonlTraceWriter", "read_trace", "secret_learner"]


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened in a run."""

    type: str
    run_id: str
    seq: int
    ts: float
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The trace record: the envelope fields first, then the event's own fields."""
        out: dict[str, Any] = {"type": self.type, "run_id": self.run_id, "seq": self.seq, "ts": self.ts}
        for key, value in self.data.items():
            if key not in out:
                out[key] = value
        return out


EventSink = Callable[[Event], None]
"""A receiver of events. Sinks are synchronous and must be quick; buffer if you need I/O."""


class EventBus:
    """Numbers events of one run and hands them to every sink in order.

    Args:
        run_id: the run the events belong to.
        sinks: receivers, called in order for each event.
        start_seq: the first sequence number (a resumed run continues its numbering).
    """

    __slots__ = ("_seq", "_sinks", "run_id")

    def __init__(self, run_id: str, sinks: list[EventSink] | None = None, start_seq: int = 0) -> None:
        self.run_id = run_id
        self._sinks: list[EventSink] = list(sinks or [])
        self._seq = start_seq

    @property
    def active(self) -> bool:
        """Whether anybody listens (emitters may skip building costly payloads when not)."""
        return bool(self._sinks)

    @property
    def seq(self) -> int:
        """The sequence number of the last event emitted."""
        return self._seq

    def subscribe(self, sink: EventSink) -> None:
        """Add a sink; it receives events emitted from now on."""
        self._sinks.append(sink)

    def unsubscribe(self, sink: EventSink) -> None:
        """Remove a sink added earlier."""
        self._sinks.remove(sink)

    def emit(self, type: str, **data: Any) -> Event | None:
        """Record that ``type`` happened, with its fields. Returns the event (``None`` if unobserved)."""
        if not self._sinks:
            self._seq += 1
            return None
        self._seq += 1
        event = Event(type, self.run_id, self._seq, time.time(), data)
        for sink in self._sinks:
            sink(event)
        return event


class JsonlTraceWriter:
    """A sink that writes each event as one redacted JSON line and flushes it (crash-safe).

    Args:
        path: the trace file; appended to, so a resumed run continues the same trace.
        redactor: hides secrets before anything is written. Required: a trace is a written file, and
            every written file goes through the run's redactor (pass ``Redactor()`` for the built-in
            name families only).
    """

    def __init__(self, path: str | Path, redactor: Redactor) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = self.path.open("a", encoding="utf-8")
        self._redact = redactor

    def __call__(self, event: Event) -> None:
        if self._fh is None:
            return
        record = self._redact(event.to_dict())
        self._fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Close the file; later events are dropped."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def open_trace(path: str | Path, redactor: Redactor, *, append: bool = False) -> JsonlTraceWriter:
    """The one way runs open their trace file: always redacted, never silently appended to.

    An existing file is refused unless ``append`` (``--trace-append``; a resumed durable run appends
    to its own trace after :func:`~agentflow.store.rewrite_trace`), so two runs never mix in one
    trace by accident; a directory or an unwritable path is a :class:`~agentflow.errors.UserError`.
    """
    p = Path(path)
    if p.is_dir():
        raise UserError(f"--trace {p}: is a directory", hint="give a file path, e.g. --trace run.jsonl")
    if p.exists() and not append:
        raise UserError(f"--trace {p}: the file exists; a trace holds one run",
                        hint="choose a new file, delete it, or pass --trace-append to add this run to it")
    try:
        return JsonlTraceWriter(p, redactor)
    except OSError as exc:
        raise UserError(f"--trace {p}: cannot write: {exc.strerror or exc}") from None


def read_trace(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the records of a JSONL trace (skipping a torn last line left by a crash)."""
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                return


def secret_learner(redactor: Redactor, fields: Iterable[str] = ()) -> EventSink:
    """A sink that teaches ``redactor`` the secret values found in ``tool_result`` events.

    Subscribe it *before* the trace writer and displays: the tool result itself is redacted by field
    name, and every later event that quotes one of its secret values (the agent repeating a token)
    is redacted by value.
    """
    names = tuple(fields)

    def learn(event: Event) -> None:
        if event.type == "tool_result" and event.data.get("result") is not None:
            redactor.learn(event.data["result"], names)

    return learn
