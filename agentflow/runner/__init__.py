"""The composition root for guided PDL runs: sessions, users, the SDK (layer 6).

Quick use::

    from agentflow.runner import Workflow
    wf = Workflow.load("flight.pdl", tools="tools.py")
    result = wf.run_sync(["Book CA1234", "Economy please"], backend="openai:gpt-4o-mini")
    print(result.summary)
"""

from agentflow.guided.classifier import LayeredClassifier, RoleClassifier
from agentflow.guided.run import SessionResult, compliance_summary, run_session
from agentflow.guided.session import GuidedSession, SessionConfig
from agentflow.guided.users import ScriptedUser, SimulatedUser, StreamUser, UserChannel
from agentflow.guided.workflow import GuidedWorkflow, guided_from_document
from agentflow.runner.conversation import Workflow, resolve_backends

__all__ = [
    "GuidedSession",
    "GuidedWorkflow",
    "LayeredClassifier",
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
    "resolve_backends",
    "run_session",
]
