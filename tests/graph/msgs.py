"""Message types shared by the graph tests (module level, so annotations resolve)."""

from __future__ import annotations

from typing import Literal

from agentflow.events import Event
from agentflow.messages import Message


class Note(Message):
    kind: Literal["g_note"] = "g_note"
    text: str
    n: int = 0


class Score(Message):
    kind: Literal["g_score"] = "g_score"
    value: float
    ok: bool = False


class Draft(Message):
    kind: Literal["g_draft"] = "g_draft"
    text: str
    round: int = 0


class Review(Message):
    kind: Literal["g_review"] = "g_review"
    round: int
    ok: bool = False


class Recorder:
    """An event sink that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def of(self, type_: str) -> list[Event]:
        return [e for e in self.events if e.type == type_]
