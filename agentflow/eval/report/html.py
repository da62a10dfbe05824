"""The HTML report: one self-contained page (inline CSS and SVG plots, no network) plus one transcript
page per session, written next to the JSON report.

Layout of a report folder::

    report.json  report.html  sessions/<id>.html  traces/<id>.jsonl
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from agentflow.eval.oow import category_of
from agentflow.eval.pipeline import trace_name
from agentflow.eval.report.model import EvalReport
from agentflow.eval.report.svg import bar_chart, histogram
from agentflow.eval.report.transcript import render_transcript

__all__ = ["PERCENT_METRICS", "format_metric", "render_html", "write_report"]

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agentflow eval — {{ dataset_name }}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1120px;padding:0 16px;color:#222}
h1{margin-bottom:4px}.meta{color:#666}table{border-collapse:collapse;width:100%;margin:12px 0}
th,td{border-bottom:1px solid #e4e4e4;padding:4px 8px;text-align:left;font-size:13px}th{background:#fafafa}
td.num{text-align:right;font-variant-numeric:tabular-nums}.plots{display:flex;flex-wrap:wrap;gap:16px}
svg.plot{border:1px solid #eee;border-radius:6px;background:#fff}svg .title{font-weight:600;font-size:13px}
svg .grid{stroke:#eee}svg .axis{stroke:#999}svg .err{stroke:#222;stroke-width:1.5}
svg .tick,svg .label,svg .value{font-size:11px;fill:#444}.ok{color:#2a7}.bad{color:#c33}
</style></head>
<body>
<h1>Evaluation report</h1>
<p class="meta">dataset <b>{{ dataset_name }}</b> · {{ summary.n }} sessions · {{ summary.errors }} crashed ·
{%- if totals.get("budget_exhausted") %} {{ totals.budget_exhausted|int }} out of budget ·{% endif %}
judge {{ config.get("judge", "rules") }} · seed {{ config.get("seed", "") }} · engine {{ run.get("engine", "?") }}
{%- if run.get("wall_s") is not none %} · {{ "%.1f"|format(run["wall_s"]) }} s{% endif %}</p>
<h2>Metrics</h2>
<table id="metrics"><tr><th>metric</th><th>value</th><th>95% CI</th><th>n</th></tr>
{% for name, est in metrics %}<tr><td>{{ name }}</td><td class="num">{{ fmt(name, est.value) }}</td>
<td class="num">{% if est.low is not none %}{{ fmt(name, est.low) }} – {{ fmt(name, est.high) }}{% endif %}</td>
<td class="num">{{ est.n }}</td></tr>
{% endfor %}</table>
<p class="meta">violations: {{ totals.blocked_calls|int }} blocked by controllers, {{ totals.leaked_calls|int }} leaked
(executed with a precondition unmet) out of {{ totals.executed_calls|int }} executed calls ·
tokens {{ (totals.input_tokens + totals.output_tokens)|int }} · cost ${{ "%.4f"|format(totals.cost_usd) }}</p>
<h2>Plots</h2>
<div class="plots">{{ plots }}</div>
<h2>By workflow</h2>
<table id="workflows"><tr><th>workflow</th><th>n</th><th>success (95% CI)</th><th>compliance (95% CI)</th>
<th>blocked</th><th>leaked</th></tr>
{% for name, g in workflows %}<tr><td>{{ name }}</td><td class="num">{{ g.n }}</td>
<td class="num">{{ ci(g.success) }}</td><td class="num">{{ ci(g.compliance) }}</td>
<td class="num">{{ g.blocked }}</td><td class="num">{{ g.leaked }}</td></tr>
{% endfor %}</table>
<h2>By OOW sub-type</h2>
<table id="subtypes"><tr><th>category</th><th>sub-type</th><th>n</th><th>success (95% CI)</th>
<th>compliance (95% CI)</th><th>blocked</th><th>leaked</th></tr>
{% for cat, sub, g in subtypes %}<tr><td>{{ cat }}</td><td>{{ sub }}</td><td class="num">{{ g.n }}</td>
<td class="num">{{ ci(g.success) }}</td><td class="num">{{ ci(g.compliance) }}</td>
<td class="num">{{ g.blocked }}</td><td class="num">{{ g.leaked }}</td></tr>
{% endfor %}</table>
<h2>Sessions</h2>
<table id="sessions"><tr><th>session</th><th>workflow</th><th>OOW</th><th>result</th><th>score</th><th>calls</th>
<th>blocked</th><th>leaked</th><th>turns</th><th>tokens</th><th>cost</th></tr>
{% for s in sessions %}<tr><td><a class="transcript" href="sessions/{{ page(s.id) }}">{{ s.id }}</a></td>
<td>{{ s.workflow }}</td><td>{{ s.oow_subtype }}</td>
<td class="{{ 'ok' if s.success else 'bad' }}">
{{- 'success' if s.success else ('budget exhausted' if s.status == 'budget_exhausted'
   else (s.error and 'crashed' or 'failure')) }}</td>
<td class="num">{{ s.score }}</td><td class="num">{{ s.executed }}</td><td class="num">{{ s.blocked }}</td>
<td class="num">{{ s.leaked }}</td><td class="num">{{ s.turns }}</td>
<td class="num">{{ s.input_tokens + s.output_tokens }}</td><td class="num">{{ "%.5f"|format(s.cost_usd) }}</td></tr>
{% endfor %}</table>
<script>
// Mark the plots as rendered once the browser has laid them out (the browser test reads this back).
window.addEventListener("load", function () {
  var plots = document.querySelectorAll("svg.plot"), drawn = 0;
  plots.forEach(function (svg) {
    var box = svg.getBBox(), bars = svg.querySelectorAll("rect.bar");
    var tall = Array.prototype.some.call(bars, function (b) { return b.getBBox().height > 0; });
    if (box.width > 0 && box.height > 0 && tall) { drawn++; svg.setAttribute("data-rendered", "yes"); }
  });
  document.body.setAttribute("data-plots-rendered", String(drawn) + "/" + String(plots.length));
});
</script>
</body></html>
"""

PERCENT_METRICS = frozenset({
    "success_rate", "task_progress", "tool_precision", "tool_recall", "tool_f1", "compliance_rate",
    "oow_detection_rate", "turn_pass_rate", "accuracy", "error_correction_rate", "degradation_rate"})
"""Metrics shown as percentages."""


def format_metric(name: str, value: float | None) -> str:
    """A metric value as people read it: ``41.7%``, ``$0.00200``, ``2.00``; ``—`` when undefined."""
    if value is None:
        return "—"
    if name in PERCENT_METRICS:
        return f"{value:.1%}"
    if name.startswith("cost"):
        return f"${value:.5f}"
    return f"{value:.2f}"


def _ci(est: Any) -> str:
    if est.value is None:
        return "—"
    return f"{est.value:.0%} ({est.low:.0%}–{est.high:.0%})"


def _plots(report: EvalReport) -> Markup:
    cats = report.summary.by_oow_category
    success = [(c, g.success.value, g.success.low, g.success.high) for c, g in cats.items()]
    compliance = [(c, g.compliance.value, g.compliance.low, g.compliance.high) for c, g in cats.items()]
    svgs = [
        bar_chart("Session success by OOW category (95% CI)", "plot-success", success),
        bar_chart("Compliance by OOW category (95% CI)", "plot-compliance", compliance),
        histogram("Cost per session", "plot-cost", [s.cost_usd for s in report.sessions], x_label="USD"),
        histogram("Turns per session", "plot-turns", [float(s.turns) for s in report.sessions], x_label="user turns",
                  integer=True),
    ]
    return Markup("\n".join(svgs))


def render_html(report: EvalReport) -> str:
    """The report page as one HTML string."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(_TEMPLATE)
    subtypes = [(category_of(sub) or "none", sub, g) for sub, g in report.summary.by_oow_subtype.items()]
    subtypes.sort(key=lambda t: (t[0], t[1]))
    return template.render(
        dataset_name=Path(report.dataset).name, summary=report.summary, config=report.config, run=report.run,
        metrics=list(report.summary.metrics.items()), totals=report.summary.totals, plots=_plots(report),
        subtypes=subtypes, workflows=list(report.summary.by_workflow.items()), sessions=report.sessions,
        fmt=format_metric, ci=_ci,
        page=lambda sid: trace_name(sid).removesuffix(".jsonl") + ".html",
    )


def write_report(report: EvalReport, out_dir: str | Path) -> Path:
    """Write ``report.json``, ``report.html`` and a transcript page per session; returns the HTML path."""
    out = Path(out_dir)
    (out / "sessions").mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(report.to_json(), encoding="utf-8")
    for s in report.sessions:
        events: list[dict[str, Any]] = []
        trace = out / "traces" / s.trace if s.trace else None
        if trace is not None and trace.is_file():
            with trace.open(encoding="utf-8") as fh:
                events = [json.loads(line) for line in fh if line.strip()]
        page = out / "sessions" / (trace_name(s.id).removesuffix(".jsonl") + ".html")
        href = f"../traces/{s.trace}" if trace is not None else None
        page.write_text(render_transcript(s.model_dump(), events, trace_href=href), encoding="utf-8")
    html = out / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    return html
