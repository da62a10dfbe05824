"""``agentflow view TRACE.jsonl [-o run.html] [--force]``: one run as a self-contained HTML page."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from agentflow.errors import UserError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``view`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "view", help="one run's trace as an HTML page",
        description="Write a self-contained HTML page of one run from its JSONL trace.")
    p.add_argument("trace", metavar="TRACE.jsonl")
    p.add_argument("-o", "--output", metavar="RUN.html", help="output file (default: TRACE.html beside the trace)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from agentflow.viewer import load_run, render_html

    trace = Path(args.trace)
    out = Path(args.output) if args.output else trace.with_suffix(".html")
    if out.exists() and not args.force:
        raise UserError(f"{out}: the file exists", hint="pass --force to overwrite it, or -o another file")
    page = render_html(load_run(trace), title=f"agentflow run: {trace.name}")
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{out}: cannot write: {exc.strerror or exc}") from None
    print(out)
    return 0
