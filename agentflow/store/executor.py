"""A :class:`~agentflow.tools.binding.ToolExecutor` that puts every tool call through the journal.

Wrap the session's executor with :class:`JournaledExecutor` and the session gets exactly-once tool
side effects across crashes without knowing about the store: a call made again after a resume is
answered from the journal, a call cut off by the crash follows the tool's policy, and tools named in
``needs_approval`` pause the run until a human approves them.

Only declared tools reach the journal (and the inner executor); a name the model invented is refused
by the inner executor as before, so a user or model message can never add a tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentflow.store.journal import ToolJournal
from agentflow.tools.binding import ToolExecutor, ToolInvocation, ToolOutcome
from agentflow.tools.spec import ToolSpec

__all__ = ["JournaledExecutor"]


class JournaledExecutor:
    """Runs declared tools through ``inner`` at most once per call site, journaling each call.

    Args:
        inner: the real executor (e.g. a :class:`~agentflow.tools.ToolBox`).
        journal: the run's journal; its ``position`` is the call-site cursor the recorder checkpoints.
        specs: tool specs by name (for ``idempotent`` and ``secret_fields``); missing ones are treated as
            non-idempotent tools without secret fields.
    """

    def __init__(self, inner: ToolExecutor, journal: ToolJournal, specs: Mapping[str, ToolSpec] | None = None) -> None:
        self.inner = inner
        self.journal = journal
        self.specs = dict(specs or getattr(inner, "specs", {}) or {})
        self.replayed = 0

    @property
    def position(self) -> int:
        """The journal's call cursor (so a recorder can track this executor directly)."""
        return self.journal.position

    @position.setter
    def position(self, value: int) -> None:
        self.journal.position = value

    def declared(self) -> list[str]:
        return self.inner.declared()

    async def execute(self, invocation: ToolInvocation) -> ToolOutcome:
        """Run (or replay) one call. Raises the journal's :class:`~agentflow.store.PauseRun` errors."""
        if invocation.name not in self.inner.declared():
            return await self.inner.execute(invocation)  # refused there; nothing to journal
        spec = self.specs.get(invocation.name) or ToolSpec(name=invocation.name)

        async def run(_args: Mapping[str, Any]) -> dict[str, Any]:
            outcome = await self.inner.execute(invocation)
            return outcome.model_dump(mode="json")

        done = await self.journal.call(spec, invocation.args, run, site=self.journal.next_site())
        if done.replayed:
            self.replayed += 1
        if done.error is not None:
            return ToolOutcome(ok=False, error=done.error, binding="journal")
        if isinstance(done.result, Mapping) and "ok" in done.result:
            return ToolOutcome.model_validate(done.result)
        return ToolOutcome(ok=False, error=f"unreadable journal entry for {invocation.name!r}", binding="journal")
