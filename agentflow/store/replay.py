"""A backend wrapper that journals the model's answers, so a resumed run replays the step in flight.

Without it, a run killed after a tool ran but before the next checkpoint would ask the model again on
resume — and a real model may answer differently (other arguments: a *new* call, a second booking).
:class:`JournaledBackend` records each response of the wrapped role under the run's n-th model call
(a cursor restored with the checkpoint); on resume the first calls after the checkpoint are answered
from the journal, so the run redoes exactly what it did, and its tool calls replay from the journal.

Entries use the tool name :data:`LLM_TOOL` so they are easy to tell from tool calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.store.journal import ToolJournal, call_key

__all__ = ["LLM_TOOL", "JournaledBackend"]

LLM_TOOL = "@llm"


class JournaledBackend:
    """Wraps a backend: each ``complete`` is journaled; calls journaled before a crash are replayed.

    Args:
        inner: the real backend (for a guided session: the agent's).
        journal: the run's journal.
    """

    def __init__(self, inner: Backend, journal: ToolJournal) -> None:
        self.inner = inner
        self.journal = journal
        self.name = inner.name
        self.position = 0  # model calls made so far in the run (a recorder cursor)
        self.replayed = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.position += 1
        store, run_id = self.journal.store, self.journal.run_id
        role = request.role or ""
        key = call_key(run_id, f"llm#{self.position}", LLM_TOOL, {"role": role})
        entry = store.journal_entry(run_id, key)
        if entry is not None and entry.status == "done" and isinstance(entry.result, dict):
            self.replayed += 1
            self._skip_inner(role)
            return ChatResponse.model_validate(entry.result)
        response = await self.inner.complete(request)
        store.journal_begin(run_id, key, LLM_TOOL, {"role": role, "model": response.model})
        store.journal_update(run_id, key, "done", result=response.model_dump(mode="json"))
        return response

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Streaming is passed through (not journaled): sessions use ``complete``."""
        return self.inner.stream(request)

    def _skip_inner(self, role: str) -> None:
        """A replayed answer was not asked of the inner backend: move a scripted backend past it too."""
        position = getattr(self.inner, "position", None)
        serves = getattr(self.inner, "serves", None)
        if isinstance(position, int) and (serves is None or serves(role)):
            self.inner.position = position + 1  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # check_consumed, steps ... of the wrapped backend
