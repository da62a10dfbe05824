"""Printing an executed run for people: the result, notes, and a per-role table (rich)."""

from __future__ import annotations

import json
from typing import IO, Any

from rich.console import Console
from rich.table import Table

from agentflow.errors import UserError
from agentflow.executed import WorkflowResult
from agentflow.roles.render import to_jsonable

__all__ = ["print_report", "role_table"]


def role_table(result: WorkflowResult) -> Table:
    """Calls, repairs, tokens, latency and cost per role, with a total row."""
    table = Table(title=f"roles — run {result.run_id}", title_justify="left")
    for col in ("role", "calls", "repairs", "in tokens", "out tokens", "latency s", "cost $"):
        table.add_column(col, justify="left" if col == "role" else "right", no_wrap=True)
    for name, st in sorted(result.stats.items()):
        table.add_row(name, str(st.calls), str(st.repairs), str(st.input_tokens), str(st.output_tokens),
                      f"{st.latency_s:.3f}", f"{st.cost_usd:.4f}")
    total_calls = sum(s.calls for s in result.stats.values())
    total_repairs = sum(s.repairs for s in result.stats.values())
    table.add_row("total", str(total_calls), str(total_repairs), str(result.usage.input_tokens),
                  str(result.usage.output_tokens), f"{result.usage.latency_s:.3f}", f"{result.usage.cost_usd:.4f}",
                  style="bold")
    return table


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(to_jsonable(value), ensure_ascii=False, indent=2, default=str)


def print_report(result: WorkflowResult, *, quiet: bool = False, file: IO[str] | None = None) -> None:
    """Print the result (or why the run stopped), notes, and the per-role table.

    Raises:
        UserError: when the run stopped on the user's own mistake (so the CLI exits 2 with one line).
    """
    if isinstance(result.error, UserError):
        raise result.error
    console = Console(file=file, soft_wrap=True)
    if result.ok:
        if not quiet:
            console.print("[bold]result[/bold]")
            console.print(_render(result.output), markup=False, highlight=False)
    else:
        console.print(f"[bold red]run {result.status}[/bold red]: ", end="")
        console.print(result.reason or "no reason given", markup=False, highlight=False)
    for note in result.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    if not quiet:
        console.print(role_table(result))
    console.print(f"status: {result.status}; role calls: {sum(s.calls for s in result.stats.values())};"
                  f" tokens: {result.usage.total_tokens}; cost: ${result.usage.cost_usd:.4f}", markup=False,
                  highlight=False)
