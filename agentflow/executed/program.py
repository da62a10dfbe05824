"""The executed-mode program: a checked, resolved form of a PDL procedure, ready to put on a graph.

:func:`lower` turns the procedure AST into :data:`Step` objects whose role calls are resolved against
a :class:`~agentflow.roles.RoleLibrary`, whose tool calls name known tools, and whose expressions
are parsed — or it raises a located :class:`~agentflow.errors.UserError` (``path:line:col``). The
static type checks (producer/consumer types, field accesses) live in
:mod:`agentflow.executed.typecheck`; this module is the shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from agentflow.pdl.expr import Expr

__all__ = [
    "ApiStep",
    "AssignStep",
    "BreakStep",
    "BuiltinStep",
    "ContinueStep",
    "ForStep",
    "IfStep",
    "ParallelStep",
    "Program",
    "ReturnStep",
    "RoleStep",
    "Step",
    "WhileStep",
    "step_label",
]


@dataclass(frozen=True)
class Where:
    """Where a step is in the file, for errors and events."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class RoleStep:
    """``target = ROLE.name(arg=expr, ...)``."""

    role: str
    args: tuple[tuple[str, Expr], ...]
    target: str | None
    where: Where


@dataclass(frozen=True)
class ApiStep:
    """``target = API.name(arg=expr, ...)``: a tool call (result bound as a dict)."""

    tool: str
    args: tuple[tuple[str, Expr], ...]
    target: str | None
    where: Where


@dataclass(frozen=True)
class BuiltinStep:
    """``target = name(expr, ...)``: one of the executed-mode builtins (``majority``, ``append``...)."""

    name: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    target: str | None
    where: Where


@dataclass(frozen=True)
class AssignStep:
    """``target = expr``."""

    target: str
    value: Expr
    where: Where


@dataclass(frozen=True)
class IfStep:
    """``if``/``elif``/``else``."""

    branches: tuple[tuple[Expr, tuple[Step, ...]], ...]
    orelse: tuple[Step, ...]
    where: Where


@dataclass(frozen=True)
class WhileStep:
    """``while cond max N:``; ``budget`` is always set (a default when the file gave none)."""

    cond: Expr
    body: tuple[Step, ...]
    budget: int
    where: Where
    label: str = ""


@dataclass(frozen=True)
class ForStep:
    """``for x in items max N:``."""

    target: str
    items: Expr
    body: tuple[Step, ...]
    budget: int
    where: Where
    label: str = ""


@dataclass(frozen=True)
class ParallelStep:
    """``parallel:``: every branch (one per statement) runs concurrently; all must finish."""

    branches: tuple[tuple[Step, ...], ...]
    where: Where


@dataclass(frozen=True)
class BreakStep:
    where: Where


@dataclass(frozen=True)
class ContinueStep:
    where: Where


@dataclass(frozen=True)
class ReturnStep:
    value: Expr | None
    where: Where


Step: TypeAlias = (
    RoleStep
    | ApiStep
    | BuiltinStep
    | AssignStep
    | IfStep
    | WhileStep
    | ForStep
    | ParallelStep
    | BreakStep
    | ContinueStep
    | ReturnStep
)


@dataclass(frozen=True)
class Program:
    """A lowered procedure plus what it declares."""

    name: str
    path: str
    steps: tuple[Step, ...]
    inputs: tuple[tuple[str, str, bool, object], ...]
    """``(name, type, required, default)`` per declared input."""
    outputs: tuple[tuple[str, str], ...]
    roles: tuple[str, ...]
    tools: tuple[str, ...]
    var_types: dict[str, str] = field(default_factory=dict)
    """The static type name of each variable (for docs and ``agentflow graph``)."""


def step_label(step: Step) -> str:
    """A short label of a step, for graph rendering and events."""
    if isinstance(step, RoleStep):
        return f"{step.target + ' = ' if step.target else ''}ROLE.{step.role}"
    if isinstance(step, ApiStep):
        return f"{step.target + ' = ' if step.target else ''}API.{step.tool}"
    if isinstance(step, BuiltinStep):
        return f"{step.target + ' = ' if step.target else ''}{step.name}()"
    if isinstance(step, AssignStep):
        return f"{step.target} = ..."
    return type(step).__name__.removesuffix("Step").lower()
