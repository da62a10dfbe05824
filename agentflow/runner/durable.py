"""Durable guided runs: a session checkpointed after every step, resumable after a crash or a pause.

:class:`DurableRun` is the glue between a :class:`~agentflow.guided.session.GuidedSession` and a
:class:`~agentflow.store.RunStore`. It gives the session its checkpoint callback and starting state,
wraps its tool executor with the journal (exactly-once tool calls), tracks the cursors of scripted
backends and user channels, and drives the session, turning a pause (approval, user input) into a
``paused`` run instead of a failure::

    durable = DurableRun.start(store, "run-42", meta={...})            # or DurableRun.resume(store, "run-42")
    bus = durable.bus([trace_writer])
    session = workflow.session(bus=bus, checkpoint=durable.checkpoint, state=durable.state, ...)
    result = await durable.drive(session, user, backends)               # result.status: completed | paused | ...

:meth:`Conversation.run_durable <agentflow.runner.conversation.Conversation.run_durable>` (or
:func:`agentflow.run_durable`) does all of that in one call for SDK users.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agentflow.controllers import SessionState
from agentflow.errors import AgentflowError, UserError
from agentflow.events import EventBus, EventSink, open_trace
from agentflow.guided.run import SessionResult, run_session, totals_of
from agentflow.guided.session import GuidedSession
from agentflow.guided.users import ScriptedUser, UserChannel
from agentflow.redact import Redactor
from agentflow.store import (
    JournaledBackend,
    JournaledExecutor,
    PauseRun,
    RunRecord,
    RunRecorder,
    RunStore,
    Sealer,
    ToolJournal,
    open_store,
    rewrite_trace,
)

__all__ = ["DurableRun", "owner_id", "resumable_run", "run_conversation_durable"]


class DurableRun:
    """One run's durable plumbing (build with :meth:`start` or :meth:`resume`).

    Attributes:
        state: the session state to continue from (``None`` for a new run).
        meta: how the run was started (what ``resume`` needs to rebuild it).
    """

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        recorder: RunRecorder,
        *,
        state: SessionState | None,
        meta: Mapping[str, Any],
        require_approval: Collection[str] = (),
        redactor: Redactor | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.recorder = recorder
        self.state = state
        self.meta = dict(meta)
        self.journal = ToolJournal(store, run_id, needs_approval=require_approval, redactor=redactor)
        self.recorder.track("journal", self.journal)
        self.resumed = state is not None

    @classmethod
    def start(
        cls,
        store: RunStore,
        run_id: str,
        *,
        meta: Mapping[str, Any] | None = None,
        require_approval: Collection[str] = (),
        redactor: Redactor | None = None,
    ) -> DurableRun:
        """Register a new run (its id must be unused) and prepare to record it."""
        full = {**dict(meta or {}), "require_approval": sorted(require_approval)}
        store.create_run(run_id, full)
        store.claim_run(run_id, owner_id())
        return cls(store, run_id, RunRecorder(store, run_id), state=None, meta=full,
                   require_approval=require_approval, redactor=redactor)

    @classmethod
    def resume(
        cls,
        store: RunStore,
        run_id: str,
        *,
        approve: bool | None = None,
        say: Sequence[str] = (),
        redactor: Redactor | None = None,
        force: bool = False,
    ) -> DurableRun:
        """Continue a killed or paused run from its latest checkpoint.

        Args:
            approve: the decision on the tool call a paused run waits for (``True`` runs it, ``False``
                records it as denied). Required when the run paused for an approval.
            say: user messages to post to the run's inbox first (runs paused for input).
            force: take the run over even if another live process seems to drive it.

        Raises:
            UserError: the run is unknown, already finished, driven by a live process, or waits for a
                decision not given.
        """
        record = resumable_run(store, run_id, force=force)
        pause = dict(record.pause or {})
        require_approval = list(record.meta.get("require_approval", []))
        journal = ToolJournal(store, run_id)
        if pause.get("key") and pause.get("reason") in ("approval", "interrupted_tool"):
            if approve is None:
                what = f"{pause.get('tool')}({pause.get('args')})"
                why = "needs approval" if pause["reason"] == "approval" else "was cut off by a crash (not idempotent)"
                raise UserError(f"run {run_id!r} is paused: tool call {what} {why}",
                                hint="resume with --approve to run it, or --deny to refuse it")
            journal.decide(str(pause["key"]), approve)
        for text in say:
            store.post_input(run_id, text)
        store.claim_run(run_id, owner_id())
        recorder, raw_state = RunRecorder.resume(store, run_id)
        state = SessionState.model_validate(raw_state) if raw_state else None
        return cls(store, run_id, recorder, state=state, meta=record.meta, require_approval=require_approval,
                   redactor=redactor)

    # -- wiring ------------------------------------------------------------------------------------

    def bus(self, sinks: Iterable[EventSink] = ()) -> EventBus:
        """The run's event bus: ``sinks`` plus the recorder, numbering on from the last kept event."""
        return EventBus(self.run_id, [*sinks, self.recorder], start_seq=self.recorder.last_event_seq)

    def checkpoint(self, state: SessionState) -> None:
        """The session's checkpoint callback: commit the state after every step."""
        self.recorder.checkpoint(state.model_dump(mode="json"))

    def attach(self, session: GuidedSession, user: UserChannel, backends: Mapping[str, Any] | None = None) -> None:
        """Journal the session's tool calls and model answers; track every cursor (scripts, user channel)."""
        if not isinstance(session.tools, JournaledExecutor):
            session.tools = JournaledExecutor(session.tools, self.journal)
            if self.resumed:
                self.journal.relearn(session.tools.specs)
        inner = session.backend
        if isinstance(inner, JournaledBackend):
            inner = inner.inner
        else:
            session.backend = JournaledBackend(inner, self.journal)
            self.recorder.track("llm", session.backend)
        for name, obj in _positioned(inner, user, backends or {}):
            self.recorder.track(name, obj)

    async def drive(
        self, session: GuidedSession, user: UserChannel, backends: Mapping[str, Any] | None = None
    ) -> SessionResult:
        """Run (or continue) the session to its end or to a pause; the store's status follows.

        Returns a result with status ``paused`` (and ``pause`` in the store) when the run waits for a
        human; raises the run's error (status ``failed``) when it fails. A crash leaves it ``running``.
        """
        if user.kind == "stdin":
            user = _PauseAtEndOfInput(user)
        self.attach(session, user, backends)
        last_reply = _last_reply(session.state) if self.resumed else None
        restore = getattr(user, "restore", None)
        if self.resumed and callable(restore):  # a simulated user remembers the conversation so far
            restore(session.state.history)
        try:
            result = await run_session(session, user, resume_reply=last_reply)
        except PauseRun as exc:
            self.recorder.discard()  # the interrupted step is redone on resume
            self.store.set_status(self.run_id, "paused", pause=exc.pause)
            return SessionResult(run_id=self.run_id, status="paused", state=session.state,
                                 totals=totals_of(session.state), error=str(exc))
        except AgentflowError as exc:
            self.recorder.finish("failed", error=str(exc))
            raise
        self.recorder.finish("completed")
        return result


class _PauseAtEndOfInput:
    """``--user stdin`` in a durable run: end of input pauses the run (``/quit`` ends it).

    So ``echo "..." | agentflow run ... --store DB`` and later ``echo "..." | agentflow resume ...``
    hold one conversation across processes.
    """

    def __init__(self, inner: UserChannel) -> None:
        self.inner = inner
        self.kind = inner.kind

    async def next_message(self, agent_reply: str | None) -> str | None:
        message = await self.inner.next_message(agent_reply)
        if message is None and not getattr(self.inner, "quit", False):
            raise PauseRun("waiting for user input", {"reason": "input", "last_reply": agent_reply or ""})
        return message


def owner_id() -> str:
    """``host:pid`` of this process (who drives a run, recorded in the store)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def resumable_run(store: RunStore, run_id: str, *, force: bool = False) -> RunRecord:
    """The stored run ``run_id``, checked to be resumable (not ended, not driven by a live process).

    Raises:
        UserError: the run completed or failed, or another live process still drives it (``force``
            skips that check, for a driver known to be gone).
    """
    record = store.require_run(run_id)
    if record.status in ("completed", "failed"):
        raise UserError(
            f"run {run_id!r} already {record.status}" + (f": {record.error}" if record.error else ""),
            hint="only a killed or paused run can be resumed; start a new run with another --run-id",
        )
    if record.status == "running" and record.owner and not force:
        busy = _still_driving(record.owner, record.updated)
        if busy:
            raise UserError(f"run {run_id!r} is still being driven by {busy}",
                            hint="wait for it, stop that process, or pass --force if it is gone")
    return record


def _still_driving(owner: str, updated: float, quiet_s: float = 120.0) -> str | None:
    """A description of the live process driving a run, or ``None`` when it is gone.

    Same host: the pid is checked. Another host: the run counts as driven while it checkpointed in the
    last ``quiet_s`` seconds.
    """
    host, _, pid_text = owner.rpartition(":")
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return f"process {pid} on this host"
    if time.time() - updated < quiet_s:
        return f"{owner} (it checkpointed {time.time() - updated:.0f}s ago)"
    return None


def _positioned(agent: Any, user: UserChannel, backends: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Objects whose progress is an integer ``position`` cursor (scripted backends, users)."""
    found: list[tuple[str, Any]] = []
    seen: set[int] = set()
    candidates = [("backend:agent", agent), *((f"backend:{k}", v) for k, v in backends.items()), ("user", user)]
    for name, obj in candidates:
        if obj is None or id(obj) in seen or not isinstance(getattr(obj, "position", None), int):
            continue
        seen.add(id(obj))
        found.append((name, obj))
    return found


def _last_reply(state: SessionState) -> str | None:
    for item in reversed(state.history):
        if item.role == "agent":
            return item.text
    return None


async def run_conversation_durable(
    workflow: Any,
    user: UserChannel | Sequence[str],
    *,
    store: RunStore | str | Path,
    run_id: str,
    resume: bool = False,
    approve: bool | None = None,
    say: Sequence[str] = (),
    require_approval: Collection[str] = (),
    trace: str | Path | None = None,
    meta: Mapping[str, Any] | None = None,
    **session_kwargs: Any,
) -> SessionResult:
    """Run a :class:`~agentflow.runner.conversation.Conversation` durably, or continue it (``resume=True``).

    Pass the same ``user`` kind, backend and tools when resuming: the run continues from its last
    checkpoint, tool calls already made are replayed from the journal, and scripted cursors are
    restored. See :class:`DurableRun` for the parts.
    """
    fields = {f for t in workflow.guided.tools for f in t.secret_fields}
    redactor = Redactor.for_environ(os.environ, fields)
    own_store = not isinstance(store, RunStore)
    db: RunStore = (
        open_store(store, redactor=redactor, sealer=Sealer.from_env(os.environ))
        if not isinstance(store, RunStore) else store
    )
    writer = None
    try:
        if resume:
            durable = DurableRun.resume(db, run_id, approve=approve, say=say, redactor=redactor)
        else:
            durable = DurableRun.start(db, run_id, meta=meta, require_approval=require_approval, redactor=redactor)
        if trace is not None:
            if resume:
                rewrite_trace(trace, db.events(run_id))
            writer = open_trace(trace, redactor, append=resume)
        channel = ScriptedUser(list(user)) if isinstance(user, Sequence) and not isinstance(user, str) else user
        if isinstance(channel, str):
            raise TypeError("user must be a UserChannel or a list of messages")
        bus = durable.bus([writer] if writer else [])
        session = workflow.session(bus=bus, checkpoint=durable.checkpoint, state=durable.state, **session_kwargs)
        result = await durable.drive(session, channel)
        check = getattr(session.backend, "check_consumed", None)
        if callable(check) and result.status not in ("failed", "paused"):
            check()
        return result
    finally:
        if writer is not None:
            writer.close()
        if own_store:
            db.close()
