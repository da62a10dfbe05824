"""Step budgets: counting loop iterations, and stopping a run cleanly when a budget is spent.

Both kinds end the run with status ``budget_exhausted`` and a
:class:`~agentflow.errors.StepBudgetExceeded` that says which budget, its limit and the node that
would have run next; a loop budget with ``exit_to`` sends the message on instead. Either way a
``budget`` event records it when somebody listens.
"""

from __future__ import annotations

from typing import NoReturn

from agentflow.errors import StepBudgetExceeded
from agentflow.events import EventBus

from .result import Stop
from .spec import END, LoopBudget

__all__ = ["loop_gate", "stop_for_budget"]


def loop_gate(loops: dict[str, int], lb: LoopBudget, node: str, bus: EventBus | None, graph: str) -> str | None:
    """Count one iteration of ``lb`` in ``loops``.

    Returns:
        ``None`` to go on into ``node``; when the budget is spent, the node to go to instead
        (``""`` for ``END``).

    Raises:
        Stop: the budget is spent and the loop has no ``exit_to``.
    """
    used = loops.get(lb.name, 0)
    if used < lb.max_iterations:
        loops[lb.name] = used + 1
        return None
    if lb.exit_to is None:
        stop_for_budget(bus, graph, "loop", lb.name, lb.max_iterations, node)
    if bus is not None and bus.active:
        bus.emit("budget", graph=graph, scope="loop", name=lb.name, limit=lb.max_iterations, used=used, node=node,
                 action="exit", exit_to=lb.exit_to)
    return "" if lb.exit_to == END else lb.exit_to


def stop_for_budget(bus: EventBus | None, graph: str, scope: str, name: str, limit: int, node: str) -> NoReturn:
    """Report a spent budget and end the run (``scope`` is ``"global"`` or ``"loop"``)."""
    if bus is not None and bus.active:
        bus.emit("budget", graph=graph, scope=scope, name=name, limit=limit, used=limit, node=node, action="stop")
    what = "global step budget" if scope == "global" else f"loop budget {name!r}"
    err = StepBudgetExceeded(
        f"graph {graph!r}: {what} of {limit} exhausted before node {node!r}",
        budget=name if scope == "global" else f"loop:{name}",
        limit=limit,
        used=limit,
    )
    raise Stop("budget_exhausted", err, str(err))
