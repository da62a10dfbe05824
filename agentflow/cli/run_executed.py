"""``agentflow run FILE.pdl`` for executed documents: run, print the result and a per-role table.

With ``--store`` the run is durable (checkpoints, journaled answers and tool calls) and
``agentflow resume`` continues it. This is CLI code: argparse namespaces in, printed reports out;
the SDK side is :class:`agentflow.runner.orchestration.Orchestration`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentflow._ids import new_id
from agentflow.backends.wrappers.ledger import Budget
from agentflow.cli.executed_report import print_report
from agentflow.cli.inputs import cli_inputs
from agentflow.cli.model_flags import model_options
from agentflow.events import EventSink, open_trace
from agentflow.models import BackendChoice
from agentflow.pdl.document import PdlDocument
from agentflow.redact import Redactor
from agentflow.runner.durable_executed import DurableExecution
from agentflow.runner.orchestration import load_orchestration
from agentflow.store import Sealer, open_store, rewrite_trace

__all__ = ["run_executed"]


def run_executed(args: Any, doc: PdlDocument, meta: Mapping[str, Any] | None = None) -> int:
    """``agentflow run`` for an executed document: run, print the result and the per-role table.

    With ``--store`` the run is durable (``meta``: what ``agentflow resume`` needs to rebuild it;
    ``args.resume`` continues it). Returns 0 when the run completed or paused, 1 otherwise (the
    reason is printed).
    """
    dirs = getattr(args, "roles_dir", None) or getattr(args, "roles", None) or ()
    wf = load_orchestration(doc.path, doc=doc, tools=getattr(args, "tools", None),
                       roles=[dirs] if isinstance(dirs, str) else dirs)
    # parsed once, here at the edge; a ROLE=SPEC naming no role of this workflow is a typo, not a no-op
    plan = BackendChoice.parse(list(getattr(args, "backend", None) or []))
    plan.check_roles(wf.compiled.program.roles)
    # tokens, cost and calls are one run budget enforced by the model stacks (RunModels); the time
    # limit also bounds the whole graph (tools included)
    budgets = Budget(max_seconds=getattr(args, "timeout", None))
    inputs = cli_inputs(args, doc.path)
    options = {"backend": plan, "budgets": budgets, "models": model_options(args)}
    if getattr(args, "store", None):
        return _run_durable(wf, args, inputs, options, dict(meta or {}))
    sinks: list[EventSink] = []
    secret_fields = {f for api in wf.compiled.doc.apis for f in api.spec.secret_fields}
    writer = open_trace(args.trace, Redactor.for_environ(os.environ, secret_fields),
                        append=bool(getattr(args, "trace_append", False))) if getattr(args, "trace", None) else None
    if writer is not None:
        sinks.append(writer)
    try:
        result = wf.run_sync(inputs, sinks=sinks, run_id=getattr(args, "run_id", None), **options)
    finally:
        if writer is not None:
            writer.close()
    print_report(result, quiet=bool(getattr(args, "quiet", False)))
    return 0 if result.ok else 1


def _run_durable(wf: Any, args: Any, inputs: Mapping[str, Any], options: Mapping[str, Any],
                 meta: Mapping[str, Any]) -> int:
    """``agentflow run FILE.pdl --store DB`` (and ``agentflow resume``) for an executed workflow.

    ``wf`` is the loaded :class:`~agentflow.runner.orchestration.Orchestration`; ``options`` are the
    keyword arguments of its ``run``. Prints the report, or the command that continues a paused run.
    """
    resume = bool(getattr(args, "resume", False))
    if not args.run_id:
        args.run_id = new_id("run")
        print(f"run id: {args.run_id} (continue it with `agentflow resume {args.run_id} --store {args.store}`)",
              file=sys.stderr)
    secret_fields = {f for api in wf.compiled.doc.apis for f in api.spec.secret_fields}
    redactor = Redactor.for_environ(os.environ, secret_fields)
    url = str(args.store)
    url = url if "://" in url or url == ":memory:" else str(Path(url).resolve())
    with open_store(url, redactor=redactor, sealer=Sealer.from_env(os.environ)) as store:
        durable = DurableExecution.open(
            store, args.run_id, resume=resume, meta={**dict(meta), "inputs": dict(inputs)},
            approve=getattr(args, "approve", None), force=bool(getattr(args, "force", False)),
            require_approval=list(getattr(args, "require_approval", None) or []), redactor=redactor)
        trace = getattr(args, "trace", None)
        if resume and trace:
            rewrite_trace(trace, store.events(args.run_id))  # drop events of the step the crash cut off
        writer = open_trace(trace, redactor, append=resume or bool(getattr(args, "trace_append", False))) \
            if trace else None
        try:
            result = asyncio.run(wf.run(inputs, durable=durable, sinks=[writer] if writer else [], **options))
        finally:
            if writer is not None:
                writer.close()
        record = store.require_run(args.run_id)
    if record.status == "paused":
        pause = dict(record.pause or {})
        base = f"agentflow resume {args.run_id} --store {args.store}"
        why = "needs approval" if pause.get("reason") == "approval" else "was cut off by a crash and is not idempotent"
        print(f"paused: tool call {pause.get('tool')}({pause.get('args')}) {why};"
              f" continue with `{base} --approve` (or --deny)")
        return 0
    print_report(result, quiet=bool(getattr(args, "quiet", False)))
    return 0 if result.ok else 1
