"""``agentflow run FILE.pdl``: run a PDL workflow (guided conversation, or executed when the file says so).

Guided runs print the conversation (rich, plain when piped), write the trace with ``--trace``, and end
with a compliance summary line (executed vs blocked calls). Exit 0 when the run ends normally, 1 when
it fails, 2 for a mistake in the input.
"""

from __future__ import annotations

import argparse
from typing import Any

from agentflow.cli.launch import launch
from agentflow.cli.model_flags import add_model_flags

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``run`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "run", help="run a PDL workflow", description="Run a PDL workflow: a guided conversation under"
        " controllers (FlowAgent files), or an executed orchestration.")
    p.add_argument("file", metavar="FILE.pdl",
                   help="the workflow file, or a built-in workflow's name (multi_critic, plan_act, ...)")
    p.add_argument("--backend", action="append", default=[], metavar="SPEC",
                   help="model backend (repeatable; ROLE=SPEC for one role), e.g. openai:gpt-4o, scripted:agent.yaml")
    p.add_argument("--user", default="stdin", metavar="KIND",
                   help="stdin | sim[:PROFILE.json] | scripted:FILE | inbox (durable runs) (default: stdin)")
    p.add_argument("--tools", metavar="FILE.py", help="Python file whose functions implement the APIs by name")
    p.add_argument("--tools-spec", metavar="TOOLS.yaml", help="tool schema file (FlowAgent formats)")
    p.add_argument("--input", action="append", default=[], metavar="KEY=VALUE",
                   help="an input / pre-filled slot (VALUE @file reads the file); repeatable")
    p.add_argument("--inputs", metavar="FILE.json", help="inputs as one JSON object (--input items override)")
    p.add_argument("--example", action="store_true",
                   help="use the workflow's example inputs (examples/NAME.json beside it; --input overrides)")
    p.add_argument("--trace", metavar="TRACE.jsonl",
                   help="write every event as one redacted JSON line (a new file: an existing one is refused)")
    p.add_argument("--trace-append", action="store_true", help="add this run's events to an existing --trace file")
    p.add_argument("--store", metavar="DB", help="durable run store (SQLite path or postgresql:// URL)")
    p.add_argument("--run-id", metavar="ID", help="name of the run (for resume)")
    p.add_argument("--require-approval", action="append", default=[], metavar="API",
                   help="durable runs: pause before API runs until `agentflow resume --approve` (repeatable)")
    p.add_argument("--max-turns", type=int, default=30, metavar="N", help="turn limit (default 30)")
    p.add_argument("--allow-host", action="append", default=[], metavar="HOST",
                   help="allow HTTP tool calls to this host (repeatable); others are mocked")
    p.add_argument("--no-mocks", action="store_true", help="do not mock APIs without an implementation")
    p.add_argument("--classifier", choices=("auto", "rules"), default="auto",
                   help="OOW classification: rules then model (auto), or rules only")
    p.add_argument("--text-tools", action="store_true", help="ask for calls in the text format, not native tools")
    p.add_argument("--oow", action="append", default=[], metavar="TURN:SUBTYPE",
                   help="simulated user: inject this OOW subtype on that turn (repeatable)")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.add_argument("--roles-dir", action="append", default=[], metavar="DIR",
                   help="executed workflows: extra folder of role files (repeatable; overrides built-ins)")
    add_model_flags(p)
    p.set_defaults(handler=launch)
