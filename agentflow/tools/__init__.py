"""Tools: specs (one internal shape for every source) and their bindings."""

from agentflow.tools.spec import ToolSpec

__all__ = ["ToolSpec"]
