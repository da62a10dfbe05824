"""Executed-mode workflows for apps: :class:`Orchestration` (load once, run as often as you like).

Three lines from an app::

    from agentflow import Orchestration
    wf = Orchestration.load("workflows/table_critic.pdl")
    result = wf.run_sync({"question": "...", "table": "..."}, backend="test")

``backend`` is a spec (``test``, ``openai:gpt-4o``, ``scripted:FILE``), a :class:`Backend`, or a
mapping of role name → spec/backend with ``"*"`` as the default. ``agentflow run FILE.pdl`` runs executed
documents through :mod:`agentflow.cli.run_executed`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentflow._ids import new_id
from agentflow.backends.base import Backend
from agentflow.backends.wrappers.ledger import Budget
from agentflow.errors import UserError
from agentflow.events import EventBus, EventSink
from agentflow.executed import ExecEnv, ExecutedWorkflow, WorkflowResult
from agentflow.executed.tools import BUILTIN_TOOL_NAMES, builtin_tools
from agentflow.models import BackendArg, ModelOptions, RunModels
from agentflow.pdl.document import PdlDocument
from agentflow.redact import Redactor
from agentflow.roles.loader import RoleLibrary, builtin_roles_dir
from agentflow.store import RunStore
from agentflow.tools.binding import ToolBinding
from agentflow.tools.python_file import PythonTool, load_python_tools

if TYPE_CHECKING:
    from agentflow.runner.durable_executed import DurableExecution

__all__ = ["Orchestration", "load_orchestration"]



class Orchestration:
    """A loaded executed workflow with its tools; run it as often as you like."""

    def __init__(self, compiled: ExecutedWorkflow, tools: Mapping[str, ToolBinding], base_dir: Path) -> None:
        self.compiled = compiled
        self.tools = dict(tools)
        self.base_dir = base_dir

    @property
    def name(self) -> str:
        return self.compiled.program.name

    async def run(
        self,
        inputs: Mapping[str, Any],
        *,
        backend: BackendArg = "test",
        budgets: Budget | None = None,
        bus: EventBus | None = None,
        sinks: Iterable[EventSink] = (),
        run_id: str | None = None,
        environ: Mapping[str, str] | None = None,
        models: ModelOptions | RunModels | None = None,
        durable: DurableExecution | None = None,
    ) -> WorkflowResult:
        """Run once. ``sinks`` receive every event (when no ``bus`` is given).

        ``models``: :class:`~agentflow.models.ModelOptions` (retries, fallback, cache,
        record/replay, a run budget over all roles, prices) or a :class:`RunModels` you own; the
        ledger's totals go into the ``workflow_end`` event as ``models``.

        ``durable``: run (or continue) durably — a snapshot after every step, model answers and tool
        calls journaled (see :meth:`run_durable`, which builds it from a store).
        """
        rid = durable.run_id if durable is not None else (
            run_id or (bus.run_id if bus is not None else new_id("run")))
        if durable is not None and bus is None:
            events = durable.bus(sinks)
        else:
            events = bus if bus is not None else EventBus(rid, list(sinks))
        env_vars = os.environ if environ is None else environ
        own = not isinstance(models, RunModels)
        run_models = models if isinstance(models, RunModels) else RunModels(
            models, environ=env_vars, base_dir=self.base_dir, redactor=Redactor.for_environ(env_vars))
        try:
            tools: dict[str, ToolBinding] = {**builtin_tools(Path.cwd(), run_id=rid), **self.tools}
            specs = {api.name: api.spec for api in self.compiled.doc.apis}
            backend_for: Callable[[str], Backend] = run_models.resolve(backend, self.compiled.program.roles)
            if durable is not None:
                backend_for, tools = durable.backends(backend_for), durable.tools(tools, specs)
            env = ExecEnv(self.compiled.library, backend_for, tools, budgets or Budget(), tool_specs=specs)
            if durable is not None:
                from agentflow.runner.durable_executed import rehydrate

                snap = rehydrate(durable.snapshot, self.compiled.library.types) if durable.snapshot else None
                result = await self.compiled.run(inputs, env, bus=events, run_id=rid, checkpoint=durable.checkpoint,
                                                 snapshot=snap)
            else:
                result = await self.compiled.run(inputs, env, bus=events, run_id=rid)
            events.emit("workflow_end", workflow=self.name, status=result.status, notes=result.notes,
                        totals={"calls": result.usage.calls, "input_tokens": result.usage.input_tokens,
                                "output_tokens": result.usage.output_tokens, "cost_usd": result.usage.cost_usd},
                        models=run_models.totals(), reason=result.reason)
            if durable is not None:
                durable.finish(result)  # the run's record first: a script left unused is the caller's error
            if result.ok:
                run_models.check_consumed()
            return result
        finally:
            if own:
                await run_models.aclose()

    async def run_durable(
        self,
        inputs: Mapping[str, Any] | None = None,
        *,
        store: RunStore | str | Path,
        run_id: str,
        resume: bool = False,
        approve: bool | None = None,
        force: bool = False,
        require_approval: Iterable[str] = (),
        meta: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> WorkflowResult:
        """:meth:`run` durably in ``store`` as ``run_id``; ``resume=True`` continues a killed or paused run.

        A new run records ``inputs`` (and ``meta``) with the run; a resumed one reuses the recorded
        inputs when none are given. Pass the same ``backend`` and tools on resume. The run's status
        in the store (``completed``, ``paused``, ``failed``) follows the result; a result whose
        ``error`` is a :class:`~agentflow.store.PauseRun` waits for ``approve=True/False``.
        """
        from agentflow.runner.durable_executed import DurableExecution
        from agentflow.store import Sealer, open_store

        env_vars = os.environ if kwargs.get("environ") is None else kwargs["environ"]
        redactor = Redactor.for_environ(env_vars,
                                       {f for api in self.compiled.doc.apis for f in api.spec.secret_fields})
        owned = isinstance(store, str | Path)
        db: RunStore = open_store(store, redactor=redactor, sealer=Sealer.from_env(env_vars)) \
            if isinstance(store, str | Path) else store
        try:
            full = {**dict(meta or {}), "workflow": self.name, "inputs": dict(inputs or {})}
            durable = DurableExecution.open(db, run_id, resume=resume, meta=full, approve=approve, force=force,
                                            require_approval=list(require_approval), redactor=redactor)
            if inputs is None:
                recorded = db.require_run(run_id).meta.get("inputs")
                inputs = dict(recorded) if isinstance(recorded, Mapping) else {}
            return await self.run(inputs, run_id=run_id, durable=durable, **kwargs)
        finally:
            if owned:
                db.close()

    def run_sync(self, inputs: Mapping[str, Any], **kwargs: Any) -> WorkflowResult:
        """:meth:`run` for synchronous code."""
        return asyncio.run(self.run(inputs, **kwargs))

    @classmethod
    def load(cls, path: str | Path, *, roles: Iterable[str | Path] = (),
             tools: str | Path | Mapping[str, Any] | None = None, doc: PdlDocument | None = None) -> Orchestration:
        """Load, check and compile an executed workflow (see :func:`load_orchestration`)."""
        return load_orchestration(path, roles=roles, tools=tools, doc=doc)


def load_orchestration(
    path: str | Path,
    *,
    roles: Iterable[str | Path] = (),
    tools: str | Path | Mapping[str, Any] | None = None,
    doc: PdlDocument | None = None,
) -> Orchestration:
    """Load, check and compile an executed workflow.

    Args:
        path: the ``.pdl`` file.
        roles: extra role folders (override built-ins and the ``roles/`` folders found beside the file
            and its two parents, which are loaded too).
        tools: a ``--tools`` Python file, or a mapping of name → function (sync or async, kwargs in,
            dict out) implementing ``API.x`` calls.
        doc: an already loaded document for ``path``.

    Raises:
        UserError: bad file, unknown role/tool, type mismatch — at ``path:line:col``.
    """
    from agentflow.pdl.loader import load_pdl

    document = doc if doc is not None else load_pdl(path)
    if document.mode != "executed":
        raise UserError(f"{path} is a guided (conversational) workflow, not an executed one",
                        hint="run it with `agentflow run` or agentflow.Conversation")
    fns: Mapping[str, Any] = load_python_tools(tools) if isinstance(tools, str | Path) else (tools or {})
    bindings: dict[str, ToolBinding] = {name: PythonTool(fn) for name, fn in fns.items()}
    library = RoleLibrary([*_nearby_role_dirs(Path(path)), *roles])
    compiled = ExecutedWorkflow.from_document(document, library=library, tools=[*BUILTIN_TOOL_NAMES, *bindings])
    # one rule for both modes: a relative `scripted:FILE` is relative to the current directory, like
    # every other path given on the command line (docs/models.md)
    return Orchestration(compiled, bindings, Path.cwd())


def _nearby_role_dirs(pdl_path: Path) -> list[Path]:
    """``roles/`` folders beside the file and its two parents (farthest first, so nearer ones win)."""
    here = pdl_path.resolve().parent
    builtin = builtin_roles_dir().resolve()
    found = [d / "roles" for d in (here, *list(here.parents)[:2]) if (d / "roles").is_dir()]
    return [d for d in reversed(found) if d.resolve() != builtin]
