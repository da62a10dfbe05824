"""What an executed workflow needs at run time: roles, a backend per role, tools, budgets, accounting.

:class:`ExecEnv` is built at the edge (the runner, an app, a test) and handed to the compiler; the
graph's nodes call roles and tools through it, so nothing in the compiled graph reaches for global
state. It keeps per-role statistics (calls, tokens, latency, cost, repairs) for the CLI's table and
enforces the run's token, cost and role-call budgets, stopping the run with
:class:`~agentflow.errors.BudgetExceeded` and a message that says which budget and where.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentflow.backends.base import Backend
from agentflow.errors import BudgetExceeded, OutputValidationError, RunError
from agentflow.events import EventBus
from agentflow.messages import Message, Usage
from agentflow.roles.call import invoke_role
from agentflow.roles.loader import RoleLibrary
from agentflow.roles.tooluse import RoleTool
from agentflow.tools.binding import ToolBinding
from agentflow.tools.spec import ToolSpec

__all__ = ["Budgets", "ExecEnv", "RoleStats"]


@dataclass(frozen=True)
class Budgets:
    """Limits of one run (``None``: unlimited). ``max_steps`` bounds graph node executions."""

    max_tokens: int | None = None
    max_cost_usd: float | None = None
    max_role_calls: int | None = None
    timeout_s: float | None = None
    max_steps: int = 10_000


@dataclass
class RoleStats:
    """Accumulated cost of one role over a run."""

    calls: int = 0
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0

    @property
    def repairs(self) -> int:
        """Model calls spent repairing invalid output."""
        return self.attempts - self.calls


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
    budgets: Budgets = field(default_factory=Budgets)
    tool_specs: Mapping[str, ToolSpec] = field(default_factory=dict)
    """Schemas of the tools (from the document's APIs) shown to roles that declare ``tools:``."""
    stats: dict[str, RoleStats] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    started: float = field(default_factory=time.perf_counter)

    async def call_role(self, role: str, inputs: Mapping[str, Any], *, bus: EventBus | None, where: str) -> Message:
        """Call ``role`` with ``inputs``, account for it, and enforce the budgets."""
        self._check_before(role, where)
        spec = self.library.get(role)
        try:
            result = await invoke_role(spec, self.backend_for(role), inputs, bus=bus, metadata={"where": where},
                                       tools=self._role_tools(spec.spec.tools, where))
        except OutputValidationError as exc:  # the failed call was paid for: show it in the table and budgets
            if isinstance(exc.usage, Usage):
                self._account(role, exc.usage, calls=1, attempts=exc.attempts)
            raise
        self._account(role, result.usage, calls=1, attempts=result.attempts)
        self._check_after(role, where)
        return result.output

    def _account(self, role: str, usage: Usage, *, calls: int, attempts: int) -> None:
        st = self.stats.setdefault(role, RoleStats())
        st.calls += calls
        st.attempts += attempts
        st.input_tokens += usage.input_tokens
        st.output_tokens += usage.output_tokens
        st.latency_s += usage.latency_s
        st.cost_usd += usage.cost_usd
        self.usage = self.usage + usage

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

    def _check_before(self, role: str, where: str) -> None:
        b = self.budgets
        calls = sum(s.calls for s in self.stats.values())
        if b.max_role_calls is not None and calls >= b.max_role_calls:
            raise BudgetExceeded(
                f"role-call budget of {b.max_role_calls} spent before {role!r} at {where}; the run stopped",
                budget="role_calls", limit=b.max_role_calls, used=calls,
            )

    def _check_after(self, role: str, where: str) -> None:
        b = self.budgets
        tokens = self.usage.total_tokens
        if b.max_tokens is not None and tokens > b.max_tokens:
            raise BudgetExceeded(
                f"token budget of {b.max_tokens} exceeded ({tokens} used) after {role!r} at {where}; the run stopped",
                budget="tokens", limit=b.max_tokens, used=tokens,
            )
        if b.max_cost_usd is not None and self.usage.cost_usd > b.max_cost_usd:
            raise BudgetExceeded(
                f"cost budget of ${b.max_cost_usd:.4f} exceeded (${self.usage.cost_usd:.4f}) after {role!r} at"
                f" {where}; the run stopped",
                budget="cost", limit=b.max_cost_usd, used=self.usage.cost_usd,
            )
