"""``agentflow resume RUN_ID --store DB``: continue a durable run that was killed or paused.

``agentflow run FILE --store DB --run-id ID`` records how the run was started (its options and working
directory) with the run. ``resume`` rebuilds the same run from that record (same workflow, backends,
tools and user channel kind) and continues from the last checkpoint: tool calls that already ran are
replayed from the journal, never executed twice. A paused run needs the human's part:

* waiting for approval of a tool call (``--require-approval API``) or for a decision on a
  non-idempotent call cut off by a crash: ``--approve`` runs it, ``--deny`` refuses it;
* waiting for user input (``--user inbox``, or ``--user stdin`` at end of input): ``--say TEXT``
  (inbox), or type on stdin again.

``--show`` prints the run's status, pause reason and journal without resuming.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from agentflow.cli.durable import absolute_store
from agentflow.cli.launch import launch
from agentflow.errors import UserError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``resume`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "resume", help="continue a killed or paused durable run",
        description="Continue a run started with `agentflow run FILE --store DB --run-id ID` from its last checkpoint.")
    p.add_argument("run_id", metavar="RUN_ID", help="the run's id (--run-id of `agentflow run`)")
    p.add_argument("--store", required=True, metavar="DB", help="the run store (SQLite path or postgresql:// URL)")
    p.add_argument("--trace", metavar="TRACE.jsonl", help="trace file (default: the run's own trace, if it had one)")
    decision = p.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true", help="approve the tool call the run waits for")
    decision.add_argument("--deny", action="store_true", help="refuse the tool call the run waits for")
    p.add_argument("--say", action="append", default=[], metavar="TEXT",
                   help="post a user message to the run's inbox first (repeatable; '/end' ends the conversation)")
    p.add_argument("--show", action="store_true", help="print the run's status and journal; do not resume")
    p.add_argument("--force", action="store_true",
                   help="resume even if the run's recorded process still seems alive (it is gone: take over)")
    p.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from agentflow.store import open_store

    store_url = absolute_store(args.store)
    if "://" not in store_url and store_url != ":memory:" and not Path(store_url).is_file():
        raise UserError(f"store {args.store} not found", hint="pass the --store the run was started with")
    with open_store(store_url) as store:
        record = store.require_run(args.run_id)
        if args.show:
            _show(record, store.journal(args.run_id))
            return 0
    meta = dict(record.meta)
    recorded = meta.get("args")
    if not isinstance(recorded, dict) or "file" not in recorded:
        raise UserError(f"run {args.run_id!r} was not started by `agentflow run`; resume it from the SDK",
                        hint="use Conversation.load(FILE).run_durable(..., resume=True) (guided) or"
                             " Orchestration.load(FILE).run_durable(..., resume=True) (executed)")
    run_args = argparse.Namespace(**recorded)
    run_args.store = store_url
    run_args.run_id = args.run_id
    run_args.trace = str(Path(args.trace).resolve()) if args.trace else meta.get("trace")
    run_args.resume = True
    run_args.approve = True if args.approve else (False if args.deny else None)
    run_args.say = list(args.say)
    run_args.force = bool(args.force)
    cwd = str(meta.get("cwd") or "")
    if cwd and Path(cwd).is_dir():
        os.chdir(cwd)  # the recorded options hold paths relative to where the run was started
    return launch(run_args)


def _show(record: Any, journal: list[Any]) -> None:
    owner = f" (driven by {record.owner})" if record.owner and record.status == "running" else ""
    print(f"run {record.run_id}: {record.status}, step {record.step}{owner}")
    if record.pause:
        print(f"  paused: {dict(record.pause)}")
    if record.error:
        print(f"  error: {record.error}")
    for entry in journal:
        if entry.tool.startswith("@"):  # recorded model answers (agentflow.store.replay)
            continue
        outcome = entry.error if entry.error else entry.result
        print(f"  {entry.status:>17} {entry.tool}({dict(entry.args)}) -> {outcome}")
