"""The tool-call journal: exactly-once tool side effects across crashes and resumes.

Before a tool runs, its call is journaled under an *idempotency key* (a hash of the run, the call's
deterministic site in the run, the tool and its arguments); after it returns, its result. On resume:

* a call journaled **with an outcome** is replayed from the journal — the tool does not run again;
* a call journaled **without an outcome** (the process died while the tool ran) follows the tool's
  declared policy: an idempotent tool (``ToolSpec(idempotent=True)``) is simply run again; any other
  tool raises :class:`ToolCallInterrupted` so the run pauses and a human decides
  (``agentflow resume ID --approve`` re-runs it, ``--deny`` records it as failed);
* a tool that needs **approval** pauses the run before it ever runs (:class:`ApprovalRequired`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from agentflow._ids import stable_hash
from agentflow.errors import RunError
from agentflow.redact import Redactor
from agentflow.store.base import JournalEntry, JournalStatus, RunStore
from agentflow.tools.spec import ToolSpec

__all__ = ["ApprovalRequired", "CallOutcome", "PauseRun", "ToolCallInterrupted", "ToolJournal", "call_key"]

ToolFn = Callable[[Mapping[str, Any]], Any | Awaitable[Any]]
"""A tool implementation as the journal calls it: the arguments in, the result (or an awaitable) out."""


class PauseRun(RunError):
    """The run must stop and wait for a human; ``pause`` is what the store records about why."""

    def __init__(self, message: str, pause: Mapping[str, Any]) -> None:
        self.pause = dict(pause)
        super().__init__(message)


class ApprovalRequired(PauseRun):
    """A tool that needs a human's approval was called; the call is journaled, not run."""


class ToolCallInterrupted(PauseRun):
    """A non-idempotent tool was running when the process died; nobody knows whether it took effect."""


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What a journaled call produced: ``result`` or ``error``; ``replayed`` when it came from the journal."""

    key: str
    result: Any = None
    error: str | None = None
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def call_key(run_id: str, site: str, tool: str, args: Mapping[str, Any]) -> str:
    """The idempotency key of a call: equal for the same call at the same place of the same run.

    ``site`` must be deterministic across a crash and a resume (e.g. ``"turn 3/call 1"``); provider
    call ids are random and must not be used.
    """
    return stable_hash([run_id, site, tool, dict(args)])[:32]


class ToolJournal:
    """Runs tool calls through the journal of one run.

    Args:
        store: where the journal lives.
        run_id: the run.
        needs_approval: names of tools that must be approved by a human before they run.
        redactor: the run's redactor; values of a tool's declared secret fields are taught to it, so
            they are hidden in every later trace event, checkpoint and log line too.
    """

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        *,
        needs_approval: Collection[str] = (),
        redactor: Redactor | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.needs_approval = frozenset(needs_approval)
        self.redactor = redactor
        self.executed: list[str] = []  # keys whose tool actually ran in this process (for reports/tests)
        self.position = 0  # calls made so far in the run; checkpointed by the recorder (a resume cursor)

    def next_site(self) -> str:
        """A deterministic call site: the run's n-th journaled call (restored on resume from the checkpoint)."""
        self.position += 1
        return f"#{self.position}"

    def key(self, site: str, tool: str, args: Mapping[str, Any]) -> str:
        """The idempotency key for a call of ``tool`` at ``site`` in this run."""
        return call_key(self.run_id, site, tool, args)

    async def call(self, spec: ToolSpec, args: Mapping[str, Any], fn: ToolFn, *, site: str) -> CallOutcome:
        """Run ``fn(args)`` at most once for this call site, or replay its journaled outcome.

        Raises:
            ApprovalRequired: the tool needs approval and nobody has approved this call yet.
            ToolCallInterrupted: a non-idempotent call was cut off by a crash and needs a decision.
        """
        key = self.key(site, spec.name, args)
        entry = self.store.journal_entry(self.run_id, key)
        if entry is not None and entry.has_outcome:
            self._learn_secrets(spec, entry.result)
            return CallOutcome(key, entry.result, entry.error, replayed=True)
        if entry is not None and entry.status == "denied":
            return self._finish(key, None, "denied by a human reviewer")
        if entry is None:
            self._learn_secrets(spec, args)
            entry = self.store.journal_begin(self.run_id, key, spec.name, args)
            if spec.name in self.needs_approval:
                self.store.journal_update(self.run_id, key, "awaiting_approval")
                raise self._approval(entry)
        elif entry.status == "awaiting_approval":
            raise self._approval(entry)
        elif entry.status == "started" and not spec.idempotent:
            raise ToolCallInterrupted(
                f"tool {spec.name!r} was running when the run stopped and is not idempotent",
                {"reason": "interrupted_tool", "key": key, "tool": spec.name, "args": dict(entry.args)},
            )
        if entry.status == "approved":
            self.store.journal_update(self.run_id, key, "started")
        return await self._run(spec, key, args, fn)

    async def _run(self, spec: ToolSpec, key: str, args: Mapping[str, Any], fn: ToolFn) -> CallOutcome:
        self.executed.append(key)
        try:
            result = fn(args)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # the tool's own failure is data for the model, not a crash
            return self._finish(key, None, f"{type(exc).__name__}: {exc}")
        self._learn_secrets(spec, result)
        return self._finish(key, result, None)

    def _finish(self, key: str, result: Any, error: str | None) -> CallOutcome:
        status: JournalStatus = "done" if error is None else "error"
        self.store.journal_update(self.run_id, key, status, result=result, error=error)
        return CallOutcome(key, result, error)

    def _approval(self, entry: JournalEntry) -> ApprovalRequired:
        return ApprovalRequired(
            f"tool {entry.tool!r} needs approval before it runs",
            {"reason": "approval", "key": entry.key, "tool": entry.tool, "args": dict(entry.args)},
        )

    def _learn_secrets(self, spec: ToolSpec, value: Any) -> None:
        """Teach the redactor the *values* of secret fields, so they stay hidden once copied into text.

        Field-name redaction only covers structured data; a tool result pasted into a prompt or the
        conversation history is text, where only known values can be found.
        """
        if self.redactor is None:
            return
        self.redactor.learn(value, spec.secret_fields)

    def relearn(self, specs: Mapping[str, ToolSpec]) -> None:
        """Teach the redactor the secrets in results journaled before a resume (sealed stores keep them)."""
        if self.redactor is None:
            return
        for entry in self.store.journal(self.run_id):
            if entry.has_outcome and entry.result is not None:
                self._learn_secrets(specs.get(entry.tool) or ToolSpec(name=entry.tool), entry.result)

    def decide(self, key: str, approve: bool) -> JournalEntry:
        """Record a human's decision on a paused call (approval, or an interrupted call to re-run)."""
        entry = self.store.journal_entry(self.run_id, key)
        if entry is None:
            raise RunError(f"no journaled tool call {key!r} in run {self.run_id!r}")
        self.store.journal_update(self.run_id, key, "approved" if approve else "denied")
        updated = self.store.journal_entry(self.run_id, key)
        assert updated is not None
        return updated

