"""Checkpoints: a serialisable picture of a run between two steps, and how to resume from one.

After every step the runtime can hand a :class:`Snapshot` to a callback (``run(...,
checkpoint=fn)``). A snapshot holds everything needed to continue the run in another process:
the messages waiting to enter a node (as ``kind`` + JSON), partial joins, step / node / loop
counters, outputs so far, the run id and the event sequence number. ``to_dict()`` gives plain JSON
data; ``Snapshot.from_dict()`` reads it back; ``graph.run(snapshot=snap)`` resumes.

A node that was running when the snapshot was taken is listed as pending with its input, so a
resumed run executes it again: delivery is at-least-once per node.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentflow.errors import UserError
from agentflow.messages import Message

from .joins import Joined

__all__ = ["Checkpoint", "Pending", "Snapshot", "capture", "decode_message", "encode_message"]

SNAPSHOT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Pending:
    """A message waiting to enter ``node`` (``source`` names the producer, for join deposits)."""

    node: str
    kind: str
    data: dict[str, Any]
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"node": self.node, "kind": self.kind, "data": self.data}
        if self.source:
            out["source"] = self.source
        return out


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state of a run after a step.

    Attributes:
        run_id: the run.
        graph: the graph's name (a resume into a different graph is refused).
        seq: the event bus sequence number (start a resumed run's bus with ``start_seq=seq``).
        steps: steps taken so far (counts toward the global budget).
        node_counts: how many times each node ran.
        loop_counts: iterations per loop budget (keyed by the loop's name).
        pending: messages waiting to enter a node (or re-enter the node that was running).
        joins: partial joins: per join node, the deposits that arrived so far.
        outputs: final messages of branches that already ended.
    """

    run_id: str
    graph: str
    seq: int
    steps: int
    node_counts: Mapping[str, int]
    loop_counts: Mapping[str, int]
    pending: tuple[Pending, ...]
    joins: Mapping[str, tuple[Pending, ...]] = field(default_factory=dict)
    outputs: tuple[Pending, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable data."""
        return {
            "version": SNAPSHOT_VERSION,
            "run_id": self.run_id,
            "graph": self.graph,
            "seq": self.seq,
            "steps": self.steps,
            "node_counts": dict(self.node_counts),
            "loop_counts": dict(self.loop_counts),
            "pending": [p.to_dict() for p in self.pending],
            "joins": {k: [p.to_dict() for p in v] for k, v in self.joins.items()},
            "outputs": [p.to_dict() for p in self.outputs],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        """Read what :meth:`to_dict` wrote.

        Raises:
            UserError: when the data is not a snapshot of a version this code reads.
        """
        if data.get("version") != SNAPSHOT_VERSION:
            raise UserError(
                f"unsupported graph snapshot version {data.get('version')!r}",
                hint=f"this agentflow reads version {SNAPSHOT_VERSION}",
            )

        def pend(items: Iterable[Mapping[str, Any]]) -> tuple[Pending, ...]:
            return tuple(Pending(i["node"], i["kind"], dict(i["data"]), i.get("source", "")) for i in items)

        try:
            return cls(
                run_id=data["run_id"],
                graph=data["graph"],
                seq=int(data["seq"]),
                steps=int(data["steps"]),
                node_counts=dict(data["node_counts"]),
                loop_counts=dict(data["loop_counts"]),
                pending=pend(data["pending"]),
                joins={k: pend(v) for k, v in data.get("joins", {}).items()},
                outputs=pend(data.get("outputs", [])),
            )
        except (KeyError, TypeError) as exc:
            raise UserError(f"malformed graph snapshot: missing or bad field {exc}") from None


Checkpoint = Callable[[Snapshot], Awaitable[None] | None]
"""A callback that receives a snapshot after every step (sync or async)."""


def capture(
    *,
    run_id: str,
    graph: str,
    seq: int,
    steps: int,
    node_counts: Mapping[str, int],
    loop_counts: Mapping[str, int],
    pending: Sequence[tuple[str, Message]],
    joins: Mapping[str, Mapping[str, Message]],
    outputs: Sequence[Message],
) -> Snapshot:
    """Build a :class:`Snapshot` from a run's live state (messages are encoded as kind + JSON)."""

    def enc(node: str, msg: Message, source: str = "") -> Pending:
        kind, data = encode_message(msg)
        return Pending(node, kind, data, source)

    return Snapshot(
        run_id=run_id,
        graph=graph,
        seq=seq,
        steps=steps,
        node_counts=dict(node_counts),
        loop_counts=dict(loop_counts),
        pending=tuple(enc(n, m) for n, m in pending),
        joins={j: tuple(enc(j, m, s) for s, m in buf.items()) for j, buf in joins.items()},
        outputs=tuple(enc("", m) for m in outputs),
    )


def encode_message(message: Message) -> tuple[str, dict[str, Any]]:
    """``(kind, JSON data)`` for one message; a :class:`Joined` keeps its items' own kinds."""
    if isinstance(message, Joined):
        items = [{"kind": k, "data": d} for k, d in map(encode_message, message.messages)]
        return message.kind, {"sources": list(message.sources), "messages": items}
    return message.kind, message.model_dump(mode="json")


def decode_message(kind: str, data: Mapping[str, Any], types: Mapping[str, type[Message]]) -> Message:
    """Rebuild a message from ``(kind, data)`` using the ``kind -> class`` table of a graph.

    Raises:
        UserError: when the kind is unknown to the graph or the data does not validate.
    """
    if kind == "joined":
        msgs = tuple(decode_message(i["kind"], i["data"], types) for i in data["messages"])
        return Joined(messages=msgs, sources=tuple(data["sources"]))
    cls = types.get(kind)
    if cls is None:
        raise UserError(
            f"snapshot holds a message of kind {kind!r} that this graph does not know",
            hint="resume with the graph that took the snapshot",
        )
    return cls.model_validate(data)


def kind_table(classes: Iterable[type[Message]]) -> dict[str, type[Message]]:
    """``kind -> class`` for the given classes, then their subclasses (a declared class wins a clash)."""
    table: dict[str, type[Message]] = {}
    declared = list(classes)
    for phase in (declared, _subclasses(declared)):
        for cls in phase:
            kind = cls.model_fields["kind"].default if "kind" in cls.model_fields else None
            if isinstance(kind, str) and kind not in table:
                table[kind] = cls
    return table


def _subclasses(classes: list[type[Message]]) -> list[type[Message]]:
    out: list[type[Message]] = []
    stack = list(classes)
    while stack:
        for sub in stack.pop().__subclasses__():
            out.append(sub)
            stack.append(sub)
    return out
