"""Inline SVG plots for the HTML report: bars with 95 % error bars, and histograms.

Hand-written SVG keeps the report one self-contained file with no plotting dependency. Every text is
escaped; every plot is an ``<svg class="plot">`` with ``rect.bar`` bars and ``line.err`` error bars,
so the browser test can find them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "histogram"]

_W, _H = 520, 260
_L, _R, _T, _B = 48, 12, 28, 58
_COLORS = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2")


def _frame(title: str, ident: str, body: list[str], y_max: float, y_fmt: str) -> str:
    ph = _H - _T - _B
    parts = [f'<svg class="plot" id="{escape(ident)}" xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
             f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}">',
             f'<text x="{_W / 2}" y="16" text-anchor="middle" class="title">{escape(title)}</text>']
    for k in range(5):
        v = y_max * k / 4
        y = _T + ph - ph * k / 4
        parts.append(f'<line x1="{_L}" x2="{_W - _R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        tick = escape(y_fmt.format(v))
        parts.append(f'<text x="{_L - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick}</text>')
    parts += body
    parts.append(f'<line x1="{_L}" x2="{_L}" y1="{_T}" y2="{_T + ph}" class="axis"/>')
    parts.append(f'<line x1="{_L}" x2="{_W - _R}" y1="{_T + ph}" y2="{_T + ph}" class="axis"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(title: str, ident: str, bars: Sequence[tuple[str, float | None, float | None, float | None]],
              *, y_max: float = 1.0, percent: bool = True) -> str:
    """Bars ``(label, value, low, high)`` with error bars from low to high; ``None`` values are skipped."""
    pw, ph = _W - _L - _R, _H - _T - _B
    shown = [b for b in bars if b[1] is not None]
    body: list[str] = []
    if not shown:
        body.append(f'<text x="{_W / 2}" y="{_H / 2}" text-anchor="middle" class="empty">no data</text>')
    slot = pw / max(1, len(shown))
    for i, (label, value, low, high) in enumerate(shown):
        v = float(value or 0.0)
        x = _L + i * slot + slot * 0.18
        w = slot * 0.64
        h = ph * min(v, y_max) / y_max
        y = _T + ph - h
        text = f"{v:.0%}" if percent else f"{v:.3g}"
        ci = f" (95% CI {low:.0%}–{high:.0%})" if percent and low is not None and high is not None else ""
        body.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{max(h, 0.5):.1f}" '
                    f'fill="{_COLORS[i % len(_COLORS)]}"><title>{escape(label)}: {text}{ci}</title></rect>')
        if low is not None and high is not None:
            cx = x + w / 2
            y1 = _T + ph - ph * min(low, y_max) / y_max
            y2 = _T + ph - ph * min(high, y_max) / y_max
            body.append(f'<line class="err" x1="{cx:.1f}" x2="{cx:.1f}" y1="{y1:.1f}" y2="{y2:.1f}"/>')
            for yy in (y1, y2):
                body.append(f'<line class="err" x1="{cx - 6:.1f}" x2="{cx + 6:.1f}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        mid = x + w / 2
        top = min(y, _T + ph - ph * min(high, y_max) / y_max) if high is not None else y
        body.append(f'<text x="{mid + 8:.1f}" y="{max(top - 4, _T - 2):.1f}" text-anchor="start" class="value">'
                    f"{escape(text)}</text>")
        short = escape(label if len(label) <= 22 else label[:21] + "…")
        body.append(f'<text x="{mid:.1f}" y="{_T + ph + 16}" text-anchor="middle" class="label">{short}</text>')
    return _frame(title, ident, body, y_max, "{:.0%}" if percent else "{:.3g}")


def histogram(title: str, ident: str, values: Sequence[float], *, bins: int = 12, x_label: str = "",
              integer: bool = False) -> str:
    """A histogram of ``values`` (integer bins of width 1 when ``integer`` and the range is small)."""
    pw, ph = _W - _L - _R, _H - _T - _B
    body: list[str] = []
    if not values:
        body.append(f'<text x="{_W / 2}" y="{_H / 2}" text-anchor="middle" class="empty">no data</text>')
        return _frame(title, ident, body, 1.0, "{:.0f}")
    lo, hi = min(values), max(values)
    if hi <= lo:  # one value: one bar, labelled with it
        edges = [lo, lo + (1.0 if integer else max(abs(lo) * 0.1, 1e-9))]
    elif integer and hi - lo < 40:
        edges = [lo + k for k in range(int(hi - lo) + 2)]
    else:
        width = (hi - lo) / bins if hi > lo else 1.0
        edges = [lo + k * width for k in range(bins + 1)]
    counts = [0] * (len(edges) - 1)
    for v in values:
        k = min(int((v - lo) / ((edges[1] - edges[0]) or 1.0)), len(counts) - 1)
        counts[k] += 1
    top = max(counts)
    y_max = float(max(1, math.ceil(top / 4) * 4))
    slot = pw / max(len(counts), 8)  # few bins: narrow bars, not one slab
    for k, c in enumerate(counts):
        h = ph * c / y_max
        x = _L + k * slot + 1
        label = f"{edges[k]:g}" if integer else f"{edges[k]:.3g}–{edges[k + 1]:.3g}"
        body.append(f'<rect class="bar" x="{x:.1f}" y="{_T + ph - h:.1f}" width="{max(slot - 2, 1):.1f}" '
                    f'height="{max(h, 0.5):.1f}" fill="{_COLORS[0]}"><title>{escape(label)}: {c}</title></rect>')
    step = max(1, len(counts) // 6)
    for k in range(0, len(counts), step):
        x = _L + k * slot + slot / 2
        tick = f"{edges[k]:g}" if integer or len(counts) == 1 else f"{edges[k]:.2g}"
        body.append(f'<text x="{x:.1f}" y="{_T + ph + 16}" text-anchor="middle" class="label">{escape(tick)}</text>')
    if x_label:
        body.append(f'<text x="{_L + pw / 2}" y="{_H - 8}" text-anchor="middle" class="label">{escape(x_label)}</text>')
    return _frame(title, ident, body, y_max, "{:.0f}")
