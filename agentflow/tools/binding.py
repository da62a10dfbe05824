"""The tool-execution contract: invocations, outcomes, bindings and the executor protocol.

A *binding* runs one tool (a Python callable, an HTTP endpoint, a deterministic mock). A
:class:`ToolExecutor` runs any declared tool by name and never raises for tool failures: errors come
back as :class:`ToolOutcome` with ``ok=False`` so the agent sees them as observations. The guided
session only talks to a ``ToolExecutor``, so a durable tool-call journal can wrap one transparently.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ToolBinding", "ToolExecutor", "ToolInvocation", "ToolOutcome"]


class ToolInvocation(BaseModel):
    """One call to run: tool name, arguments, and the call id (the journal's idempotency key)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    call_id: str = ""


class ToolOutcome(BaseModel):
    """What running a tool gave: ``result`` fields, or ``ok=False`` with ``error`` (as data, not an exception)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool = True
    result: dict[str, Any] = Field(default_factory=dict)
    error: str = ""
    binding: str = ""
    latency_s: float = 0.0


@runtime_checkable
class ToolBinding(Protocol):
    """Runs one tool. ``kind`` names the binding in traces (``python``, ``http``, ``mock``)."""

    kind: str

    async def __call__(self, args: dict[str, Any]) -> dict[str, Any]:
        """Run with validated arguments; return the result fields; raise on failure."""
        ...


@runtime_checkable
class ToolExecutor(Protocol):
    """Runs declared tools by name; failures are outcomes, never exceptions."""

    def declared(self) -> list[str]:
        """Names of the tools this executor may run."""
        ...

    async def execute(self, invocation: ToolInvocation) -> ToolOutcome:
        """Run one invocation."""
        ...
