"""The SDK for guided workflows: load a PDL file and run it as a conversation, in three lines::

    from agentflow import Conversation
    wf = Conversation.load("flight.pdl")
    result = wf.run_sync(["Book CA1234 for tomorrow", "Economy, Ann Lee, ID 123"], backend="openai:gpt-4o",
                       tools="tools.py")

``run`` is the async form; both return a :class:`~agentflow.guided.run.SessionResult`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agentflow._ids import new_id
from agentflow.controllers import RuleClassifier, SessionState, TurnClassifier
from agentflow.errors import UserError
from agentflow.events import EventBus, EventSink, open_trace, secret_learner
from agentflow.guided.classifier import LayeredClassifier, RoleClassifier
from agentflow.guided.run import SessionResult, run_session
from agentflow.guided.session import GuidedSession, SaveState, SessionConfig
from agentflow.guided.users import ScriptedUser, UserChannel
from agentflow.guided.workflow import GuidedWorkflow, guided_from_document
from agentflow.models import BackendArg, ModelOptions, ModelStack, RoleBackends, RunModels
from agentflow.redact import Redactor
from agentflow.tools.binding import ToolExecutor
from agentflow.tools.python_file import load_python_tools
from agentflow.tools.toolbox import ToolBox

__all__ = ["ROLES", "BackendArg", "Conversation", "ToolsArg", "Workflow", "resolve_backends"]

ROLES = ("agent", "oow_classifier", "user_simulator")
ToolsArg = str | Path | Mapping[str, Callable[..., Any]] | ToolExecutor | None


def resolve_backends(backend: BackendArg | RoleBackends, *, environ: Mapping[str, str] | None = None,
                     base_dir: Path | None = None, models: RunModels | None = None) -> RoleBackends:
    """One backend per role (agent, OOW classifier, user simulator) from a spec, list, choice or mapping.

    A ``scripted:FILE`` spec scripts the agent; the other roles it does not name use the test backend.
    Specs are built by ``models`` (the run's :class:`~agentflow.models.RunModels`: shared ledger, cache,
    recording, budget; :meth:`~agentflow.models.RunModels.resolve` is the one path, shared with executed
    runs); without one, a plain one is made (retries and a cost ledger). A ``ROLE=`` naming another role
    is a :class:`~agentflow.errors.UserError`. The result passed back as ``backend=`` is used as it is.
    """
    chosen = models if models is not None else RunModels(environ=environ, base_dir=base_dir)
    return chosen.resolve(backend, ROLES, speaker="agent")


def _executor(workflow: GuidedWorkflow, tools: ToolsArg, allow_hosts: Iterable[str], mocks: bool) -> ToolExecutor:
    if tools is not None and not isinstance(tools, str | Path | Mapping):
        return tools
    functions = load_python_tools(tools) if isinstance(tools, str | Path) else dict(tools or {})
    return ToolBox.build(workflow.tools, functions=functions, allow_hosts=allow_hosts, mocks=mocks)


class Conversation:
    """A guided PDL workflow ready to run as conversations (one :meth:`session` per conversation)."""

    def __init__(self, guided: GuidedWorkflow) -> None:
        self.guided = guided

    @classmethod
    def load(cls, path: str | Path, *, tools_spec: str | Path | None = None,
             inputs: Mapping[str, Any] | None = None) -> Conversation:
        """Load and check a PDL file (raises :class:`~agentflow.errors.UserError` with file:line:col)."""
        from agentflow.pdl import load_pdl

        doc = load_pdl(path, tools_spec=tools_spec)
        if doc.mode == "executed":
            raise UserError(f"{path} is an executed-mode workflow (it declares inputs or calls roles), not a"
                            " conversation", hint="use `agentflow run FILE` or agentflow.Orchestration")
        return cls(guided_from_document(doc, dict(inputs or {})))

    def session(
        self,
        *,
        backend: BackendArg | RoleBackends = "test",
        tools: ToolsArg = None,
        allow_hosts: Iterable[str] = (),
        mocks: bool = True,
        bus: EventBus | None = None,
        classifier: str | TurnClassifier = "auto",
        config: SessionConfig | None = None,
        checkpoint: SaveState | None = None,
        state: SessionState | None = None,
        environ: Mapping[str, str] | None = None,
        base_dir: Path | None = None,
        models: RunModels | None = None,
    ) -> GuidedSession:
        """Build a session (for driving turn by turn with ``handle_user``).

        ``models`` builds the backends (retries, fallback, cache, record/replay, budget shared by
        every role); its ledger's per-role totals are added to ``run_end`` as ``totals["models"]`` (not for
        durable runs, whose ledger restarts when they resume).
        """
        models = models if models is not None else RunModels(environ=environ, base_dir=base_dir)
        backends = resolve_backends(backend, models=models)
        bus = bus or EventBus(new_id("run"))
        if isinstance(classifier, str):
            model = RoleClassifier(backends["oow_classifier"], bus) if classifier == "auto" else None
            chosen: TurnClassifier = LayeredClassifier(model) if model else RuleClassifier()
        else:
            chosen = classifier
        session = GuidedSession(self.guided, backends["agent"], _executor(self.guided, tools, allow_hosts, mocks),
                                bus, classifier=chosen, config=config, checkpoint=checkpoint, state=state)
        if checkpoint is None:  # a durable run's ledger restarts on resume: its totals would not add up
            session.model_totals = models.totals
        return session

    async def run(
        self,
        user: UserChannel | Sequence[str],
        *,
        trace: str | Path | None = None,
        trace_append: bool = False,
        sinks: Sequence[EventSink] = (),
        run_id: str | None = None,
        models: ModelOptions | RunModels | None = None,
        **session_kwargs: Any,
    ) -> SessionResult:
        """Run the conversation to its end; see :meth:`session` for the other keyword arguments.

        ``models``: :class:`~agentflow.models.ModelOptions` (built here with the session's
        ``environ`` / ``base_dir`` and closed at the end) or a :class:`RunModels` you own.
        """
        channel = ScriptedUser(list(user)) if isinstance(user, Sequence) and not isinstance(user, str) else user
        if isinstance(channel, str):
            raise TypeError("user must be a UserChannel or a list of messages")
        writer = None
        secret_fields = {f for t in self.guided.tools for f in t.secret_fields}
        redactor = Redactor.for_environ(os.environ, secret_fields)
        all_sinks = [secret_learner(redactor, secret_fields), *sinks]
        if trace is not None:
            writer = open_trace(trace, redactor, append=trace_append)
            all_sinks.append(writer)
        bus = EventBus(run_id or new_id("run"), all_sinks)
        if getattr(channel, "bus", False) is None:  # a simulated user reports its model calls on the run's bus
            channel.bus = bus  # type: ignore[attr-defined]
        own = not isinstance(models, RunModels)
        run_models = models if isinstance(models, RunModels) else RunModels(
            models, environ=session_kwargs.get("environ"), base_dir=session_kwargs.get("base_dir"),
            redactor=redactor)
        try:
            session = self.session(bus=bus, models=run_models, **session_kwargs)
            result = await run_session(session, channel)
            if result.status != "failed":
                run_models.check_consumed()
                check = getattr(session.backend, "check_consumed", None)
                if callable(check) and not isinstance(session.backend, ModelStack):
                    check()
            return result
        finally:
            if writer is not None:
                writer.close()
            if own:
                await run_models.aclose()

    def run_sync(self, user: UserChannel | Sequence[str], **kwargs: Any) -> SessionResult:
        """:meth:`run` for synchronous code."""
        return asyncio.run(self.run(user, **kwargs))

    async def run_durable(self, user: UserChannel | Sequence[str], *, store: Any, run_id: str,
                          **kwargs: Any) -> SessionResult:
        """:meth:`run` durably in ``store`` as ``run_id`` (``resume=True`` continues a killed or paused run).

        See :func:`agentflow.runner.durable.run_conversation_durable` for the keyword arguments.
        """
        from agentflow.runner.durable import run_conversation_durable

        return await run_conversation_durable(self, user, store=store, run_id=run_id, **kwargs)


Workflow = Conversation
"""The earlier name of :class:`Conversation`, kept so existing code keeps working."""
