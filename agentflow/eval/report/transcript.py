"""A session's trace rendered as a readable transcript page (``sessions/<id>.html``).

User and agent turns read as a chat; API calls show their arguments and whether they executed or were
blocked (with the controller's reason); OOW classifications and model calls appear as small notes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

__all__ = ["render_transcript"]

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:860px;margin:24px auto;padding:0 16px;color:#222}
.turn{margin:8px 0;padding:8px 12px;border-radius:10px;white-space:pre-wrap}
.user{background:#eef4ff;margin-right:18%}.agent{background:#f3f3f3;margin-left:18%}
.call{font-family:ui-monospace,monospace;font-size:13px;border-left:4px solid #54A24B;padding:4px 10px;margin:4px 0}
.call.blocked{border-color:#E45756;background:#fff3f3}.result{font-family:ui-monospace,monospace;font-size:12px;
color:#555;padding:2px 14px}.note{font-size:12px;color:#777;margin:2px 0}.oow{color:#B279A2;font-weight:600}
.meta{color:#555}.ok{color:#2a7}.bad{color:#c33}
"""


def _j(value: Any) -> str:
    return escape(json.dumps(value, ensure_ascii=False, default=str))


def _event_html(ev: Mapping[str, Any]) -> str:
    kind = ev.get("type")
    text = str(ev.get("text", ev.get("content", "")))
    if kind == "user_message":
        return f'<div class="turn user"><b>User</b><br>{escape(text)}</div>'
    if kind == "agent_message":
        return f'<div class="turn agent"><b>Agent</b><br>{escape(text)}</div>'
    if kind == "tool_call":
        name = escape(str(ev.get("name", "")))
        if ev.get("status") == "blocked":
            why = escape(f"{ev.get('controller', '')}: {ev.get('reason', '')}")
            return f'<div class="call blocked">✗ blocked {name}({_j(ev.get("args", {}))}) — {why}</div>'
        return f'<div class="call">→ {name}({_j(ev.get("args", {}))})</div>'
    if kind == "tool_result":
        result = ev.get("result", ev.get("output", ev.get("data", "")))
        return f'<div class="result">← {escape(str(ev.get("name", "")))}: {_j(result)}</div>'
    if kind == "oow":
        return (f'<div class="note oow">OOW turn: {escape(str(ev.get("category", "")))} / '
                f'{escape(str(ev.get("subtype", "")))}</div>')
    if kind == "llm_call":
        usage = ev.get("usage") if isinstance(ev.get("usage"), Mapping) else ev
        assert isinstance(usage, Mapping)
        return (f'<div class="note">model call · role {escape(str(ev.get("role", "")))} · '
                f'{usage.get("input_tokens", 0)} in / {usage.get("output_tokens", 0)} out tokens</div>')
    if kind == "controller_decision" and ev.get("decision") not in (None, "allow", "Allow"):
        return f'<div class="note">controller {escape(str(ev.get("controller", "")))}: {_j(ev.get("decision"))}</div>'
    if kind == "run_end":
        return f'<div class="note"><b>run ended: {escape(str(ev.get("status", "")))}</b></div>'
    return ""


def render_transcript(session: Mapping[str, Any], events: Iterable[Mapping[str, Any]], *,
                      trace_href: str | None, back_href: str = "../report.html") -> str:
    """The transcript page of one session (``session`` is its record as a dict)."""
    verdict = "ok" if session.get("success") else "bad"
    head = (
        f'<p class="meta"><a href="{escape(back_href)}">← report</a>'
        + (f' · <a href="{escape(trace_href)}">raw trace (JSONL)</a>' if trace_href else "")
        + "</p>"
        f'<h1>Session {escape(str(session.get("id", "")))}</h1>'
        f'<p class="meta">workflow <b>{escape(str(session.get("workflow", "")))}</b> · OOW '
        f'{escape(str(session.get("oow_category", "")))} / {escape(str(session.get("oow_subtype", "")))} · '
        f'<span class="{verdict}">{"success" if session.get("success") else "failure"}</span> '
        f'(score {session.get("score")}) — {escape(str(session.get("reason", "")))}</p>'
    )
    body = "\n".join(h for h in (_event_html(ev) for ev in events) if h)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(str(session.get("id", "")))}'
            f"</title><style>{_CSS}</style></head><body>{head}{body or '<p>(empty trace)</p>'}</body></html>")
