"""The composition root: engines, backends, tools and stores put together for apps (layer: runner).

:class:`Conversation` runs a guided workflow as conversations, :class:`Orchestration` an executed
one, :func:`load_workflow` loads either, :func:`run_durable` runs any of them durably. The engines
themselves live in :mod:`agentflow.guided` and :mod:`agentflow.executed`; argparse and rich stay in
:mod:`agentflow.cli`.

Quick use::

    from agentflow.runner import Conversation
    wf = Conversation.load("flight.pdl")
    result = wf.run_sync(["Book CA1234", "Economy please"], backend="openai:gpt-4o-mini", tools="tools.py")
    print(result.summary)
"""

from agentflow.guided.classifier import LayeredClassifier, RoleClassifier
from agentflow.guided.run import SessionResult, compliance_summary, run_session
from agentflow.guided.session import GuidedSession, SessionConfig
from agentflow.guided.users import ScriptedUser, SimulatedUser, StreamUser, UserChannel
from agentflow.guided.workflow import GuidedWorkflow, guided_from_document
from agentflow.runner.conversation import Conversation, Workflow, resolve_backends
from agentflow.runner.durable_entry import run_durable
from agentflow.runner.orchestration import Orchestration
from agentflow.runner.workflows import load_workflow

__all__ = [
    "Conversation",
    "GuidedSession",
    "GuidedWorkflow",
    "LayeredClassifier",
    "Orchestration",
    "RoleClassifier",
    "ScriptedUser",
    "SessionConfig",
    "SessionResult",
    "SimulatedUser",
    "StreamUser",
    "UserChannel",
    "Workflow",
    "compliance_summary",
    "guided_from_document",
    "load_workflow",
    "resolve_backends",
    "run_durable",
    "run_session",
]
