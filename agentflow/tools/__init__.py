"""Tools: specs (one internal shape for every source) and their bindings.

Bindings run a declared tool: a Python function (``--tools FILE.py``), an allow-listed HTTP endpoint,
or a deterministic mock from the response schema. :class:`ToolBox` runs only declared tools, validates
arguments and turns failures into observations; the guided session sees it as a :class:`ToolExecutor`.
"""

from agentflow.tools.binding import ToolBinding, ToolExecutor, ToolInvocation, ToolOutcome
from agentflow.tools.http import HttpTool, host_allowed
from agentflow.tools.mock import MockTool, mock_value
from agentflow.tools.python_file import PythonTool, load_python_tools
from agentflow.tools.spec import ToolSpec
from agentflow.tools.toolbox import ToolBox

__all__ = [
    "HttpTool",
    "MockTool",
    "PythonTool",
    "ToolBinding",
    "ToolBox",
    "ToolExecutor",
    "ToolInvocation",
    "ToolOutcome",
    "ToolSpec",
    "host_allowed",
    "load_python_tools",
    "mock_value",
]
