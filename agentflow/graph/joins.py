"""Explicit joins: how a node waits for the parallel branches that feed it.

A join node receives one :class:`Joined` message that carries what its sources produced, in
arrival order. Three modes:

* :data:`ALL` — wait for every source (a source whose branch ended without reaching the join is
  skipped once nothing else can run; the ``join`` event lists it under ``missing``);
* :data:`FIRST` — go on with the first arrival and cancel the other branches still running
  upstream of the join;
* :func:`quorum` ``(k)`` — go on after ``k`` arrivals and cancel the rest; fewer than ``k``
  arrivals once nothing else can run fails the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SerializeAsAny

from agentflow.messages import Message

__all__ = ["ALL", "FIRST", "JoinMode", "Joined", "quorum"]


class Joined(Message):
    """What a join node receives: the sources' messages, in arrival order."""

    kind: Literal["joined"] = "joined"
    messages: tuple[SerializeAsAny[Message], ...]
    sources: tuple[str, ...]

    def by_source(self) -> dict[str, Message]:
        """The messages keyed by the node that produced them."""
        return dict(zip(self.sources, self.messages, strict=True))


@dataclass(frozen=True, slots=True)
class JoinMode:
    """How many arrivals a join waits for: ``all``, ``first`` or ``quorum`` of ``k``."""

    name: Literal["all", "first", "quorum"]
    k: int = 0

    def needed(self, n_sources: int) -> int:
        """Arrivals that fire the join, for a join with ``n_sources`` sources."""
        if self.name == "all":
            return n_sources
        if self.name == "first":
            return 1
        return self.k

    def __str__(self) -> str:
        return f"quorum({self.k})" if self.name == "quorum" else self.name


ALL = JoinMode("all")
FIRST = JoinMode("first")


def quorum(k: int) -> JoinMode:
    """Fire after ``k`` of the sources have arrived."""
    return JoinMode("quorum", k)
