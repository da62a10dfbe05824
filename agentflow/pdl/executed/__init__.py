"""Executed mode of PDL: procedures with ``ROLE.x(...)`` calls compiled onto the graph runtime.

``lower`` checks a document (roles, tools, producer/consumer types, field accesses) into a
:class:`Program`; ``build_graph`` turns it into a graph whose nodes call roles and tools through an
:class:`ExecEnv`; :class:`ExecutedWorkflow` ties both together and runs with inputs.
"""

from agentflow.pdl.executed.builtins import BUILTINS
from agentflow.pdl.executed.compile import build_graph
from agentflow.pdl.executed.env import Budgets, ExecEnv, RoleStats
from agentflow.pdl.executed.lower import DEFAULT_LOOP_BUDGET, lower
from agentflow.pdl.executed.nodes import Frame
from agentflow.pdl.executed.program import Program
from agentflow.pdl.executed.workflow import ExecutedWorkflow, WorkflowResult

__all__ = [
    "BUILTINS",
    "DEFAULT_LOOP_BUDGET",
    "Budgets",
    "ExecEnv",
    "ExecutedWorkflow",
    "Frame",
    "Program",
    "RoleStats",
    "WorkflowResult",
    "build_graph",
    "lower",
]
