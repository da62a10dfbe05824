"""The run store contract: what a durable run keeps, and the protocol every backend implements.

A run store keeps, per run: a :class:`RunRecord` (status, how the run was started, why it is paused),
the latest checkpoint of the run's state, the append-only message log, the trace events, and the
tool-call journal (:class:`JournalEntry`). Two implementations share one SQL core: SQLite (the
default, one WAL file) and PostgreSQL (psycopg 3). ``tests/store`` is the conformance suite both pass.

Store methods are synchronous on purpose: event sinks are synchronous (:mod:`agentflow.events`), and a
local SQLite commit costs microseconds, far less than a thread hop would. Every method is one short
transaction, so a process killed at any instant leaves the store at the last committed step.

Everything written goes through a :class:`~agentflow.redact.Redactor` first: secrets never reach the
store. A resumed run therefore sees ``***`` where a secret was (re-read secrets from the environment).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from agentflow.errors import RunError, UserError

__all__ = [
    "JournalEntry",
    "JournalStatus",
    "RunNotFound",
    "RunRecord",
    "RunStatus",
    "RunStore",
    "StoreError",
    "StoredCheckpoint",
]

RunStatus = Literal["running", "paused", "completed", "failed"]
"""``running`` also describes a run whose process died: ``resume`` continues it."""

JournalStatus = Literal["started", "done", "error", "awaiting_approval", "approved", "denied"]
"""``started``: journaled, the tool may or may not have run (a crash in between leaves this).
``done``/``error``: the tool returned / raised; the result or error is kept for replay.
``awaiting_approval``: a human must approve before it runs; ``approved``/``denied``: they answered."""


class StoreError(RunError):
    """The store could not be read or written (locked, corrupt, unreachable)."""


class RunNotFound(UserError):
    """A run id that the store does not know."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as the store knows it.

    Attributes:
        meta: how the run was started (workflow path, backend, user channel kind, options), so that
            ``resume`` can rebuild the same run in another process.
        pause: why a paused run waits (``{"reason": "approval", "key": ...}`` or ``{"reason": "input"}``).
        step: the step number of the latest checkpoint (0: none yet).
        owner: the process driving the run (``host:pid``) while it runs; cleared when it pauses or ends.
    """

    run_id: str
    status: RunStatus
    meta: Mapping[str, Any] = field(default_factory=dict)
    pause: Mapping[str, Any] | None = None
    error: str | None = None
    step: int = 0
    created: float = 0.0
    updated: float = 0.0
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """The latest saved state of a run, after step ``step``; ``event_seq`` is the last event kept."""

    run_id: str
    step: int
    state: Mapping[str, Any]
    event_seq: int = 0
    ts: float = 0.0


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One tool call in the journal, keyed by its idempotency key."""

    run_id: str
    key: str
    tool: str
    args: Mapping[str, Any]
    status: JournalStatus
    result: Any = None
    error: str | None = None
    started: float = 0.0
    finished: float | None = None

    @property
    def has_outcome(self) -> bool:
        """Whether the tool finished (returned or raised): replay it instead of running it again."""
        return self.status in ("done", "error")


@runtime_checkable
class RunStore(Protocol):
    """Where durable runs live. Implementations: :class:`~agentflow.store.sql.SqlRunStore`."""

    url: str

    def create_run(self, run_id: str, meta: Mapping[str, Any]) -> RunRecord:
        """Register a new run (status ``running``). Raises :class:`UserError` if the id is taken."""
        ...

    def get_run(self, run_id: str) -> RunRecord | None:
        """The run's record, or ``None``."""
        ...

    def require_run(self, run_id: str) -> RunRecord:
        """The run's record; raises :class:`RunNotFound` naming the store when it is unknown."""
        ...

    def list_runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        ...

    def set_status(
        self, run_id: str, status: RunStatus, *, pause: Mapping[str, Any] | None = None, error: str | None = None
    ) -> None:
        """Change a run's status; ``pause`` says what a paused run waits for."""
        ...

    def claim_run(self, run_id: str, owner: str) -> str | None:
        """Record ``owner`` (``host:pid``) as the process driving the run; returns the previous owner."""
        ...

    def commit_step(
        self,
        run_id: str,
        step: int,
        state: Mapping[str, Any],
        *,
        messages: Sequence[Mapping[str, Any]] = (),
        events: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Atomically save the state after ``step`` with the messages and events since the last step.

        Messages are appended to the log in order; events must carry ``seq`` (the trace's numbering).
        """
        ...

    def append_log(
        self, run_id: str, *, messages: Sequence[Mapping[str, Any]] = (), events: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        """Append messages and events without a new checkpoint (a run that ends, fails or pauses)."""
        ...

    def load_checkpoint(self, run_id: str) -> StoredCheckpoint | None:
        """The latest checkpoint, or ``None`` when the run never completed a step."""
        ...

    def messages(self, run_id: str) -> list[dict[str, Any]]:
        """The message log, in order."""
        ...

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """The trace events kept with the checkpoints, in ``seq`` order."""
        ...

    def post_input(self, run_id: str, text: str) -> int:
        """Queue a user message for the run (the ``inbox`` user channel reads it); returns its number."""
        ...

    def inputs(self, run_id: str) -> list[str]:
        """Every user message posted to the run, in order (consumed or not: the channel keeps a cursor)."""
        ...

    def journal_begin(self, run_id: str, key: str, tool: str, args: Mapping[str, Any]) -> JournalEntry:
        """Journal a call before it runs; if ``key`` is already journaled, return that entry unchanged."""
        ...

    def journal_update(
        self, run_id: str, key: str, status: JournalStatus, *, result: Any = None, error: str | None = None
    ) -> None:
        """Record a call's outcome (``done``/``error``) or an approval decision."""
        ...

    def journal_entry(self, run_id: str, key: str) -> JournalEntry | None:
        """One journaled call, or ``None``."""
        ...

    def journal(self, run_id: str) -> list[JournalEntry]:
        """Every journaled call of the run, in the order they were journaled."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
