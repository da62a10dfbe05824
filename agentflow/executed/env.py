"""What an executed workflow needs at run time: roles, a backend per role, tools, budgets, accounting.

:class:`ExecEnv` is built at the edge (the runner, an app, a test) and handed to the compiler; the
graph's nodes call roles and tools through it, so nothing in the compiled graph reaches for global
state. Role calls are accounted in a :class:`~agentflow.backends.wrappers.ledger.CostLedger` (per-role
calls, tokens, latency, cost, repairs for the CLI's table) and checked against the run's one
:class:`~agentflow.backends.wrappers.ledger.Budget` (tokens, cost, role calls), stopping the run with
:class:`~agentflow.errors.BudgetExceeded` and a message that says which budget and where.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentflow.backends.base import Backend
from agentflow.backends.wrappers.ledger import Budget, CostLedger, RoleStats
from agentflow.errors import OutputValidationError, RunError
from agentflow.events import EventBus
from agentflow.messages import Message, Usage
from agentflow.roles.call import invoke_role
from agentflow.roles.loader import RoleLibrary
from agentflow.roles.tooluse import RoleTool
from agentflow.tools.binding import ToolBinding
from agentflow.tools.spec import ToolSpec

__all__ = ["DEFAULT_MAX_STEPS", "ExecEnv"]

DEFAULT_MAX_STEPS = 10_000
"""Graph node executions allowed when the budget sets no ``max_steps`` (a runaway loop still ends)."""


@dataclass
class ExecEnv:
    """Run-time services of an executed workflow.

    Args:
        library: the roles.
        backend_for: the backend serving a role (by role name).
        tools: tool bindings by name (``API.name(...)`` calls).
        budgets: the run's limits.
    """

    library: RoleLibrary
    backend_for: Callable[[str], Backend]
    tools: Mapping[str, ToolBinding] = field(default_factory=dict)
    budgets: Budget = field(default_factory=Budget)
    tool_specs: Mapping[str, ToolSpec] = field(default_factory=dict)
    """Schemas of the tools (from the document's APIs) shown to roles that declare ``tools:``."""
    ledger: CostLedger = field(default_factory=CostLedger)
    """Where role calls are accounted (this run's own: model-call records stay in the stacks' ledger)."""
    started: float = field(default_factory=time.perf_counter)

    @property
    def stats(self) -> dict[str, RoleStats]:
        """Per-role statistics of this run's role calls."""
        return self.ledger.roles

    @property
    def max_steps(self) -> int:
        return self.budgets.max_steps if self.budgets.max_steps is not None else DEFAULT_MAX_STEPS

    @property
    def usage(self) -> Usage:
        """The sum over this run's role calls."""
        return self.ledger.role_usage()

    async def call_role(self, role: str, inputs: Mapping[str, Any], *, bus: EventBus | None, where: str) -> Message:
        """Call ``role`` with ``inputs``, account for it, and enforce the budgets."""
        self.budgets.check_role_call(self.ledger, role, where)
        spec = self.library.get(role)
        try:
            result = await invoke_role(spec, self.backend_for(role), inputs, bus=bus, metadata={"where": where},
                                       tools=self._role_tools(spec.spec.tools, where))
        except OutputValidationError as exc:  # the failed call was paid for: show it in the table and budgets
            if isinstance(exc.usage, Usage):
                self.ledger.add_role_call(role, exc.usage, attempts=exc.attempts)
            raise
        self.ledger.add_role_call(role, result.usage, attempts=result.attempts)
        self.budgets.check_spent(self.ledger, role, where)
        return result.output

    def _role_tools(self, names: list[str], where: str) -> dict[str, RoleTool]:
        out: dict[str, RoleTool] = {}
        for name in names:
            binding = self.tools.get(name)
            if binding is None:
                raise RunError(f"{where}: no implementation for tool {name!r}; provide it with --tools FILE.py")
            out[name] = RoleTool(self.tool_specs.get(name) or ToolSpec(name=name), binding)
        return out

    async def call_tool(self, name: str, args: dict[str, Any], *, where: str) -> dict[str, Any]:
        """Run tool ``name``; a failure stops the run with a message naming the tool and the call site."""
        binding = self.tools.get(name)
        if binding is None:
            raise RunError(f"{where}: no implementation for API {name!r}; provide it with --tools FILE.py")
        try:
            return await binding(args)
        except RunError:
            raise
        except Exception as exc:  # a user's tool failed: report it as a run failure, with its place
            raise RunError(f"{where}: API {name!r} failed: {type(exc).__name__}: {exc}") from exc
