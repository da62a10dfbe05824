"""What the harness asks of a session runner, and what one session leaves behind.

The engines and metrics know nothing about how a session runs: they call a :class:`SessionRunner`
— ``await runner(case)`` returning a :class:`SessionOutcome` whose ``events`` are the run's trace records
(DESIGN §5 trace format). The guided runtime, the executed-workflow runtime and test fakes all fit.

Runners are built from a :class:`RunnerSpec` (an import path and JSON options) rather than passed as
objects, so a Ray worker on another machine can build its own copy.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agentflow.errors import UserError
from agentflow.eval.dataset import EvalCase

__all__ = ["RunnerSpec", "SessionOutcome", "SessionRunner"]


class SessionOutcome(BaseModel):
    """The result of running one case.

    Attributes:
        events: the session's trace records, in order (dicts with ``type``, ``seq``... ).
        answer: the final answer of a role workflow (``None`` for conversational sessions).
        drafts: successive answers of a critic loop (first draft ... final), for error-correction and
            degradation rates; empty when the workflow has no loop.
        error: why the session failed to run (a crash, not a bad score); ``None`` when it ran.
        status: how the run ended when the runner knows better than the trace: ``budget_exhausted``
            (a per-session model budget stopped it cleanly: a failed session, not a crash; ``error``
            says which budget); ``None``: the trace's ``run_end`` status.
    """

    model_config = ConfigDict(extra="forbid")

    events: list[dict[str, Any]] = Field(default_factory=list)
    answer: Any = None
    drafts: list[Any] = Field(default_factory=list)
    error: str | None = None
    status: str | None = None


class SessionRunner(Protocol):
    """Runs one evaluation case to the end."""

    async def __call__(self, case: EvalCase) -> SessionOutcome: ...


class RunnerSpec(BaseModel):
    """How to build a runner anywhere: ``target`` is ``"module:factory"``; ``factory(**options)`` returns it.

    The factory may return a runner directly or an object with an async ``aclose()`` too (closed when
    the engine is done with it).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str
    options: dict[str, Any] = Field(default_factory=dict)

    def build(self) -> SessionRunner:
        """Import the factory and call it with the options."""
        runner = self.factory()(**self.options)
        if not callable(runner):
            raise UserError(f"runner factory {self.target!r} did not return a callable runner")
        return runner

    def factory(self) -> Callable[..., SessionRunner | Awaitable[SessionRunner]]:
        """Import the factory (without calling it): checks the spec cheaply before workers start."""
        module_name, _, attr = self.target.partition(":")
        if not module_name or not attr:
            raise UserError(f"runner target {self.target!r} is not `module:function`")
        try:
            factory: Callable[..., SessionRunner | Awaitable[SessionRunner]] = getattr(
                importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise UserError(f"cannot load runner {self.target!r}: {exc}",
                            hint="check the module is importable where the engine runs") from None
        return factory
