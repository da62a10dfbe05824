"""The CLI side of durable runs, shared by ``agentflow run --store`` and ``agentflow resume``.

What a run records for ``resume`` (its options and working directory), the durable run object for a
guided run, the ``inbox`` user channel and the line printed when a run pauses.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentflow.errors import UserError

if TYPE_CHECKING:
    from agentflow.guided.run import SessionResult
    from agentflow.guided.users import UserChannel
    from agentflow.redact import Redactor
    from agentflow.runner.durable import DurableRun

__all__ = ["absolute_store", "durable_for", "durable_user", "paused_message", "run_meta"]

# Options of `agentflow run` that are *not* part of a run's identity (given again on resume).
_NOT_RECORDED = {"handler", "command", "debug", "store", "run_id", "trace", "resume", "approve", "say", "force"}


def absolute_store(url: str) -> str:
    """A store URL with a relative SQLite path made absolute (resume may run from another folder)."""
    return url if "://" in url or url == ":memory:" else str(Path(url).resolve())


def run_meta(args: argparse.Namespace) -> dict[str, Any]:
    """What ``resume`` needs to rebuild a run: the ``run`` options, the working directory, the trace."""
    recorded = {k: v for k, v in vars(args).items() if k not in _NOT_RECORDED}
    trace = str(Path(args.trace).resolve()) if getattr(args, "trace", None) else None
    return {"args": recorded, "cwd": str(Path.cwd()), "trace": trace}


def durable_for(args: argparse.Namespace, redactor: Redactor) -> DurableRun:
    """Start (``agentflow run --store``) or resume (``agentflow resume``) the durable side of a run.

    On resume the trace file is first rewritten to the events the store kept, so events of the step
    that a crash cut off are not duplicated.
    """
    from agentflow.runner.durable import DurableRun
    from agentflow.store import Sealer, open_store, rewrite_trace

    sealer = Sealer.from_env(os.environ)  # AGENTFLOW_STORE_KEY: resume sees exactly what was redacted
    store = open_store(absolute_store(str(args.store)), redactor=redactor, sealer=sealer)
    try:
        if getattr(args, "resume", False):
            durable = DurableRun.resume(store, args.run_id, approve=args.approve, say=args.say, redactor=redactor,
                                        force=bool(getattr(args, "force", False)))
            if args.trace:
                rewrite_trace(args.trace, store.events(args.run_id))
            return durable
        return DurableRun.start(store, args.run_id, meta=run_meta(args),
                                require_approval=list(getattr(args, "require_approval", []) or []),
                                redactor=redactor)
    except BaseException:
        store.close()
        raise


def durable_user(args: argparse.Namespace, durable: DurableRun | None) -> UserChannel | None:
    """The ``inbox`` user channel (durable runs only); ``None`` for the other kinds."""
    if str(args.user) != "inbox":
        return None
    if durable is None:
        raise UserError("--user inbox needs a durable run", hint="add --store runs.db --run-id ID")
    from agentflow.store import InboxUser

    channel: UserChannel = InboxUser(durable.store, durable.run_id)
    return channel


def paused_message(result: SessionResult, args: argparse.Namespace, durable: DurableRun) -> str:
    """The line printed when a run pauses: why, and the exact command that continues it."""
    record = durable.store.require_run(durable.run_id)
    pause = dict(record.pause or {})
    base = f"agentflow resume {durable.run_id} --store {args.store}"
    if pause.get("reason") in ("approval", "interrupted_tool"):
        what = f"{pause.get('tool')}({pause.get('args')})"
        why = "needs approval" if pause["reason"] == "approval" else "was cut off by a crash and is not idempotent"
        return f"paused: tool call {what} {why}; continue with `{base} --approve` (or --deny)"
    if str(args.user) == "inbox":
        return f"paused: waiting for user input; continue with `{base} --say \"...\"`"
    return f"paused: waiting for user input; continue with `{base}` (reads stdin again)"
