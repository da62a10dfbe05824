"""One run, from its JSONL trace, as a self-contained HTML page (``agentflow view``)."""

from __future__ import annotations

from agentflow.viewer.model import RunView, load_run
from agentflow.viewer.render import render_html

__all__ = ["RunView", "load_run", "render_html"]
