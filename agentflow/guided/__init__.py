"""The guided engine: a PDL procedure run as a conversation under controllers (layer: guided).

A :class:`GuidedWorkflow` is the compiled procedure (APIs, answers, controllers); a
:class:`GuidedSession` runs one conversation turn by turn; :func:`run_session` drives a session
with a user channel (scripted, simulated or a stream) to its end. The runner composes these with
backends, tools and stores; apps normally use :class:`agentflow.runner.Conversation`.
"""

from agentflow.guided.classifier import LayeredClassifier, RoleClassifier
from agentflow.guided.run import SessionResult, compliance_summary, run_session
from agentflow.guided.session import GuidedSession, SessionConfig
from agentflow.guided.users import ScriptedUser, SimulatedUser, StreamUser, UserChannel
from agentflow.guided.workflow import GuidedWorkflow, guided_from_document

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
    "compliance_summary",
    "guided_from_document",
    "run_session",
]
