"""Start or continue one workflow run from parsed CLI options: the one entry ``run`` and ``resume`` share.

``agentflow run`` calls :func:`launch` with its options; ``agentflow resume`` rebuilds the recorded
options of a durable run and calls it with ``resume=True``. Guided documents go to
:mod:`agentflow.cli.run_guided`, executed ones to :mod:`agentflow.cli.run_executed`.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from agentflow.cli.durable import run_meta
from agentflow.cli.inputs import cli_inputs
from agentflow.cli.run_executed import run_executed
from agentflow.cli.run_guided import run_guided
from agentflow.errors import UserError

__all__ = ["launch"]


def launch(args: argparse.Namespace) -> int:
    """Run (or, with ``args.resume``, continue) the workflow ``args.file`` as ``agentflow run`` does."""
    from agentflow.pdl import load_pdl

    if args.max_turns < 1:
        raise UserError("--max-turns must be at least 1")
    doc = load_pdl(args.file, tools_spec=args.tools_spec)
    inputs = cli_inputs(args, doc.path)  # read now: a bad --inputs file fails before any model loads
    if doc.mode == "executed":
        meta = None
        if getattr(args, "store", None) and not getattr(args, "resume", False):
            meta = run_meta(args)  # durable run: what `agentflow resume` needs to rebuild it
        code: int = run_executed(args, doc, meta)
        return code
    slots = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in inputs.items()}
    return asyncio.run(run_guided(args, doc, slots))
