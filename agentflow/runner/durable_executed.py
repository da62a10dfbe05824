"""Durable executed-mode runs: the workflow's graph checkpointed after every step, answers and tools journaled.

:class:`DurableExecution` is the glue between an executed workflow run
(:meth:`agentflow.runner.orchestration.Orchestration.run`) and a :class:`~agentflow.store.RunStore`:

* the graph's :class:`~agentflow.graph.Snapshot` is committed after every step, with the events of
  that step (a killed run continues from the last snapshot; nodes that were in flight run again);
* every model answer of every role is journaled, so a node that runs again gets the answers it got
  before the crash (a sampling model cannot change its mind; a scripted backend is not asked twice);
* every tool / API call goes through the :class:`~agentflow.store.ToolJournal`: a finished call is
  replayed, one cut off by the crash follows the tool's policy (idempotent: run again; otherwise the
  run pauses for ``agentflow resume --approve/--deny``).

Parallel branches make "the run's n-th call" meaningless across a crash (the order of concurrent
calls changes), so calls are keyed by *what* they are: the role's full request (or the tool and its
arguments) and how many identical calls this process made before. A resumed run gets the same
answers for the same requests, whatever order the branches ask in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from agentflow._ids import stable_hash
from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.errors import UserError
from agentflow.events import EventBus, EventSink
from agentflow.executed import WorkflowResult
from agentflow.executed.nodes import CURRENT_STEP
from agentflow.graph import Pending, Snapshot
from agentflow.redact import Redactor
from agentflow.roles.types import TypeRegistry
from agentflow.runner.durable import owner_id, resumable_run
from agentflow.store import LLM_TOOL, PauseRun, RunRecorder, RunStore, ToolJournal, call_key
from agentflow.tools.binding import ToolBinding
from agentflow.tools.spec import ToolSpec

__all__ = ["DurableExecution", "JournaledRoleBackend", "JournaledTool", "ReplayedToolError", "rehydrate"]

# built-in tools that only read (safe to run again when a crash cut them off)
_IDEMPOTENT_BUILTINS = frozenset({"run_tests", "template_guidance"})


class ReplayedToolError(Exception):
    """A tool failure replayed from the journal (the tool failed like this before the crash)."""


class _Occurrences:
    """Call sites keyed by content: the running node, its input frame, and the call itself.

    A node re-run after a crash gets the same frame (its inputs were committed), so its calls get
    the same sites. Identical calls within one node execution are told apart by their order.
    """

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()
        self._frames: dict[int, tuple[Any, str]] = {}

    def site(self, prefix: str, content: Any) -> str:
        step = CURRENT_STEP.get()
        where = ["", ""] if step is None else [step[0], self._frame_hash(step[1])]
        base = stable_hash([where, content])[:24]
        n = self._seen[base]
        self._seen[base] += 1
        return f"{prefix}:{base}:{n}"

    def _frame_hash(self, frame: Any) -> str:
        cached = self._frames.get(id(frame))
        if cached is not None and cached[0] is frame:
            return cached[1]
        digest = stable_hash(frame.model_dump(mode="json"))[:24]
        if len(self._frames) > 256:
            self._frames.clear()
        self._frames[id(frame)] = (frame, digest)
        return digest


class JournaledRoleBackend:
    """A role's backend whose answers are journaled under the request's content; known requests replay."""

    def __init__(self, inner: Backend, journal: ToolJournal, sites: _Occurrences) -> None:
        self.inner = inner
        self.journal = journal
        self.sites = sites
        self.name = inner.name
        self.replayed = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        role = request.role or ""
        content = request.model_dump(mode="json", exclude={"metadata"})
        site = self.sites.site("llm", [role, request.metadata.get("where"), content])
        store, run_id = self.journal.store, self.journal.run_id
        key = call_key(run_id, site, LLM_TOOL, {"role": role})
        entry = store.journal_entry(run_id, key)
        if entry is not None and entry.status == "done" and isinstance(entry.result, dict):
            self.replayed += 1
            return ChatResponse.model_validate(entry.result)
        response = await self.inner.complete(request)
        if entry is None:
            store.journal_begin(run_id, key, LLM_TOOL, {"role": role, "model": response.model})
        store.journal_update(run_id, key, "done", result=response.model_dump(mode="json"))
        return response

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Streaming passes through (roles use ``complete``)."""
        return self.inner.stream(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class JournaledTool:
    """A tool binding whose calls run at most once per (tool, arguments, occurrence) in the run."""

    def __init__(self, spec: ToolSpec, inner: ToolBinding, journal: ToolJournal, sites: _Occurrences) -> None:
        self.spec = spec
        self.inner = inner
        self.journal = journal
        self.sites = sites
        self.kind: str = getattr(inner, "kind", "python")

    async def __call__(self, args: dict[str, Any]) -> dict[str, Any]:
        site = self.sites.site("tool", [self.spec.name, args])

        async def run(call_args: Mapping[str, Any]) -> Any:
            return await self.inner(dict(call_args))

        outcome = await self.journal.call(self.spec, args, run, site=site)
        if outcome.error is not None:
            raise ReplayedToolError(outcome.error)
        result = outcome.result
        return dict(result) if isinstance(result, Mapping) else {"result": result}


class DurableExecution:
    """One executed run's durable plumbing; build it with :meth:`open`.

    Attributes:
        snapshot: the graph snapshot to continue from (``None``: start from the inputs).
        resumed: whether this continues an earlier process's run.
    """

    def __init__(self, store: RunStore, run_id: str, recorder: RunRecorder, snapshot: Snapshot | None, *,
                 resumed: bool, require_approval: Collection[str], redactor: Redactor | None) -> None:
        self.store = store
        self.run_id = run_id
        self.recorder = recorder
        self.snapshot = snapshot
        self.resumed = resumed
        self.journal = ToolJournal(store, run_id, needs_approval=require_approval, redactor=redactor)
        self.sites = _Occurrences()
        self._wrapped: dict[int, JournaledRoleBackend] = {}

    @classmethod
    def open(
        cls,
        store: RunStore,
        run_id: str,
        *,
        resume: bool = False,
        meta: Mapping[str, Any] | None = None,
        approve: bool | None = None,
        force: bool = False,
        require_approval: Collection[str] = (),
        redactor: Redactor | None = None,
    ) -> DurableExecution:
        """Register a new run (``resume=False``; the id must be unused) or take over a killed/paused one.

        Raises:
            UserError: unknown or finished run, a live process still drives it, or it waits for a
                decision (``approve``) that was not given.
        """
        if not resume:
            full = {**dict(meta or {}), "mode": "executed", "require_approval": sorted(require_approval)}
            store.create_run(run_id, full)
            store.claim_run(run_id, owner_id())
            return cls(store, run_id, RunRecorder(store, run_id), None, resumed=False,
                       require_approval=require_approval, redactor=redactor)
        record = resumable_run(store, run_id, force=force)
        pause = dict(record.pause or {})
        if pause.get("key") and pause.get("reason") in ("approval", "interrupted_tool"):
            if approve is None:
                what = f"{pause.get('tool')}({pause.get('args')})"
                why = "needs approval" if pause["reason"] == "approval" else "was cut off by a crash (not idempotent)"
                raise UserError(f"run {run_id!r} is paused: tool call {what} {why}",
                                hint="resume with --approve to run it, or --deny to refuse it")
            ToolJournal(store, run_id).decide(str(pause["key"]), approve)
        store.claim_run(run_id, owner_id())
        recorder, raw = RunRecorder.resume(store, run_id)
        snapshot = Snapshot.from_dict(raw) if raw else None
        approvals = list(record.meta.get("require_approval", [])) or list(require_approval)
        return cls(store, run_id, recorder, snapshot, resumed=True, require_approval=approvals, redactor=redactor)

    # -- wiring ------------------------------------------------------------------------------------

    def bus(self, sinks: Iterable[EventSink] = ()) -> EventBus:
        """The run's bus: ``sinks`` plus the recorder, numbering on from the last committed event."""
        return EventBus(self.run_id, [*sinks, self.recorder], start_seq=self.recorder.last_event_seq)

    def checkpoint(self, snap: Snapshot) -> None:
        """The graph's checkpoint callback: commit the snapshot (and the step's events)."""
        self.recorder.checkpoint(snap.to_dict())

    def backends(self, backend_for: Callable[[str], Backend]) -> Callable[[str], Backend]:
        """Journal every role's answers; on resume, move scripted backends past the answers they gave."""
        if self.resumed:
            self._advance_scripts(backend_for)

        def journaled(role: str) -> Backend:
            inner = backend_for(role)
            wrapped = self._wrapped.get(id(inner))
            if wrapped is None:
                wrapped = self._wrapped[id(inner)] = JournaledRoleBackend(inner, self.journal, self.sites)
            return wrapped

        return journaled

    def tools(self, tools: Mapping[str, ToolBinding], specs: Mapping[str, ToolSpec]) -> dict[str, ToolBinding]:
        """Every tool binding through the journal (declared APIs keep their ``idempotent`` policy)."""
        out: dict[str, ToolBinding] = {}
        for name, binding in tools.items():
            spec = specs.get(name) or ToolSpec(name=name, idempotent=name in _IDEMPOTENT_BUILTINS)
            out[name] = JournaledTool(spec, binding, self.journal, self.sites)
        if self.resumed:
            self.journal.relearn(specs)
        return out

    def _advance_scripts(self, backend_for: Callable[[str], Backend]) -> None:
        """A scripted backend resumes after every answer it gave (all are journaled, in the order given)."""
        per_role = Counter(str(e.args.get("role", "")) for e in self.store.journal(self.run_id)
                           if e.tool == LLM_TOOL and e.status == "done")
        positions: dict[int, tuple[Any, int]] = {}
        for role, count in per_role.items():
            inner: Any = backend_for(role)
            serves = getattr(inner, "serves", None)
            if isinstance(getattr(inner, "position", None), int) and (serves is None or serves(role)):
                obj, before = positions.get(id(inner), (inner, 0))
                positions[id(inner)] = (obj, before + count)
        for obj, position in positions.values():
            obj.position = position

    def finish(self, result: WorkflowResult) -> str:
        """Record how the run ended; returns the store status (``completed``, ``paused``, ``failed``)."""
        if isinstance(result.error, PauseRun):
            self.recorder.discard()  # the interrupted step is redone on resume
            self.store.set_status(self.run_id, "paused", pause=result.error.pause)
            return "paused"
        if result.status == "completed":
            self.recorder.finish("completed")
            return "completed"
        self.recorder.finish("failed", error=result.reason or result.status)
        return "failed"


def rehydrate(snapshot: Snapshot, types: TypeRegistry) -> Snapshot:
    """The snapshot with the role outputs inside its frames as messages again, not JSON dicts.

    A :class:`~agentflow.executed.nodes.Frame` keeps its variables as ``Any``; its JSON form loses
    which values were messages. Builtins such as ``issues(...)`` and ``texts(...)`` read message
    attributes, so a resumed run must see the same types as the uninterrupted one.
    """

    def value(v: Any) -> Any:
        if isinstance(v, list):
            return [value(x) for x in v]
        if not isinstance(v, dict):
            return v
        kind = v.get("kind")
        cls = types.get(kind) if isinstance(kind, str) else None
        if cls is not None:
            try:
                return cls.model_validate(v)
            except ValidationError:
                return v
        return {k: value(x) for k, x in v.items()}

    def pend(p: Pending) -> Pending:
        return Pending(p.node, p.kind, value(p.data), p.source)

    return replace(snapshot, pending=tuple(pend(p) for p in snapshot.pending),
                   joins={k: tuple(pend(p) for p in v) for k, v in snapshot.joins.items()},
                   outputs=tuple(pend(p) for p in snapshot.outputs))
