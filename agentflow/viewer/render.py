"""The HTML page of a :class:`~agentflow.viewer.model.RunView`: inline CSS, no scripts, no external
assets, and every value from the trace HTML-escaped (a trace holds model and user text)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from agentflow.viewer.model import Entry, RunView

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;background:#fafafa;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;border-bottom:1px solid #ccc}
.e{margin:.3em 0;padding:.4em .6em;border-radius:4px;background:#fff;border-left:4px solid #999}
.user_message{border-color:#2a6fdb}.agent_message{border-color:#2a9d4b}
.tool_call{border-color:#d08c00}.blocked{border-color:#c62828;background:#fdecea}
.tool_result{border-color:#7b5ea7}.deny{color:#c62828;font-weight:bold}.oow{border-color:#e65100}
.llm_call{color:#666;font-size:.85em}pre{margin:.2em 0;white-space:pre-wrap}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
"""


def _e(value: Any) -> str:
    return escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))


def _entry(entry: Entry) -> str:
    d, k = entry.data, entry.kind
    if k in ("user_message", "agent_message"):
        who = "user" if k == "user_message" else "agent"
        return f'<div class="e {k}"><b>{who}:</b> {_e(d.get("text", ""))}</div>'
    if k == "tool_call":
        blocked = d.get("status") == "blocked"
        extra = (f' — <span class="deny">blocked by {_e(d.get("controller", ""))}</span>: {_e(d.get("reason", ""))}'
                 if blocked else " — executed")
        return (f'<div class="e tool_call{" blocked" if blocked else ""}"><b>call</b> {_e(d.get("name", ""))}'
                f'<pre>{_e(d.get("args", {}))}</pre>{extra}</div>')
    if k == "tool_result":
        body = d.get("result") if d.get("ok") else d.get("error")
        return (f'<div class="e tool_result"><b>result</b> {_e(d.get("name", ""))} '
                f'({"ok" if d.get("ok") else "error"})<pre>{_e(body)}</pre></div>')
    if k == "controller_decision":
        cls = "deny" if d.get("decision") != "allow" else ""
        target = f'{_e(d.get("action", ""))} {_e(d.get("name", ""))}'.strip()
        reason = f": {_e(d.get('reason'))}" if d.get("reason") else ""
        return (f'<div class="e llm_call">controller <b>{_e(d.get("controller", ""))}</b> on {target}: '
                f'<span class="{cls}">{_e(d.get("decision", ""))}</span>{reason}</div>')
    if k == "llm_call":
        return (f'<div class="e llm_call">model call {_e(d.get("role", ""))} ({_e(d.get("model", ""))}): '
                f'{_e(d.get("input_tokens", 0))} in / {_e(d.get("output_tokens", 0))} out tokens, '
                f'{_e(d.get("latency_s", 0))} s, ${_e(d.get("cost_usd", 0))}</div>')
    if k == "oow":
        fields = {x: v for x, v in d.items() if x not in ("type", "run_id", "seq", "ts", "turn")}
        return f'<div class="e oow"><b>out-of-workflow:</b> <pre>{_e(fields)}</pre></div>'
    fields = {x: v for x, v in d.items() if x not in ("run_id", "seq", "ts")}
    return f'<div class="e"><pre>{_e(fields)}</pre></div>'


def render_html(view: RunView, title: str = "agentflow run") -> str:
    """The complete page for one run."""
    s, end = view.start, view.end
    head = (f"<p>workflow <b>{_e(s.get('workflow', ''))}</b>, mode {_e(s.get('mode', ''))}, "
            f"backend {_e(s.get('backend', ''))}, run {_e(s.get('run_id', ''))} — status "
            f"<b>{_e(end.get('status', 'unfinished'))}</b></p>")
    totals = ("<table><tr><th>model calls</th><th>input tokens</th><th>output tokens</th>"
              "<th>latency (s)</th><th>cost (USD)</th></tr>"
              f"<tr><td>{view.llm_calls}</td><td>{view.input_tokens}</td><td>{view.output_tokens}</td>"
              f"<td>{view.latency_s:.4f}</td><td>{view.cost_usd:.6f}</td></tr></table>")
    turns = "".join(f"<h2>Turn {t.number}</h2>" + "".join(_entry(e) for e in t.entries) for t in view.turns)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>{head}{totals}{turns}</body></html>\n")
