"""Executed mode of PDL: procedures with ``ROLE.x(...)`` calls compiled onto the graph runtime.

``lower`` checks a document (roles, tools, producer/consumer types, field accesses) into a
:class:`Program`; ``build_graph`` turns it into a graph whose nodes call roles and tools through an
:class:`ExecEnv`; :class:`ExecutedWorkflow` ties both together and runs with inputs.
"""

from agentflow.executed.compile import build_graph
from agentflow.executed.env import ExecEnv
from agentflow.executed.lower import DEFAULT_LOOP_BUDGET, lower
from agentflow.executed.nodes import Frame
from agentflow.executed.program import Program
from agentflow.executed.workflow import ExecutedWorkflow, WorkflowResult
from agentflow.pdl.functions import BUILTINS

__all__ = [
    "BUILTINS",
    "DEFAULT_LOOP_BUDGET",
    "ExecEnv",
    "ExecutedWorkflow",
    "Frame",
    "Program",
    "WorkflowResult",
    "build_graph",
    "lower",
]
