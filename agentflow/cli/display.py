"""The console view of a guided conversation: user and agent turns, controller decisions, tools, OOW."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from agentflow.events import Event
    from agentflow.redact import Redactor

__all__ = ["conversation_display"]


def conversation_display(console: Console, redactor: Redactor | None = None) -> Any:
    """An event sink that renders the conversation and the controllers' decisions (secrets hidden)."""

    def sink(event: Event) -> None:
        d = redactor(dict(event.data)) if redactor is not None else event.data
        if event.type == "user_message":
            console.print(f"[bold cyan]user[/]  {_esc(d.get('text', ''))}")
        elif event.type == "agent_message":
            tag = " [dim](fallback)[/]" if d.get("fallback") else ""
            console.print(f"[bold green]agent[/] {_esc(d.get('text', ''))}{tag}")
        elif event.type == "tool_call" and d.get("status") == "blocked":
            console.print(f"  [red]✗ blocked[/] {d.get('name')} by {d.get('controller')}: {_esc(d.get('reason', ''))}")
        elif event.type == "tool_call":
            console.print(f"  [blue]→ {d.get('name')}[/] {_esc(str(d.get('args', {})))}")
        elif event.type == "tool_result":
            shown = d.get("result") if d.get("ok") else f"error: {d.get('error')}"
            console.print(f"  [dim]← {_esc(str(shown))[:200]}[/]")
        elif event.type == "oow":
            console.print(f"  [yellow]⚑ {d.get('category')}[/] / {d.get('subtype') or '-'} → {d.get('policy')}")

    return sink


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(str(text))
