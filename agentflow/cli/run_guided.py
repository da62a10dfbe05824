"""``agentflow run FILE.pdl`` for guided documents: the conversation on the console, under controllers.

Prints the conversation (rich, plain when piped), writes the trace with ``--trace``, ends with the
compliance summary line and a models line. With ``--store`` the run is durable
(:mod:`agentflow.cli.durable`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentflow.cli.display import conversation_display
from agentflow.cli.durable import durable_for, durable_user, paused_message
from agentflow.errors import UserError

if TYPE_CHECKING:
    from rich.console import Console

    from agentflow.guided.users import UserChannel

__all__ = ["run_guided"]


def _oow_schedule(values: list[str]) -> dict[int, str]:
    schedule: dict[int, str] = {}
    for item in values:
        turn, sep, subtype = item.partition(":")
        if not sep or not turn.strip().isdigit():
            raise UserError(f"--oow {item!r} is not TURN:SUBTYPE", hint="e.g. --oow '2:Detail Switching'")
        schedule[int(turn)] = subtype.strip()
    return schedule


def _user_channel(args: argparse.Namespace, backends: Mapping[str, Any], bus: Any, console: Console) -> UserChannel:
    from agentflow.guided.users import ScriptedUser, SimulatedUser, StreamUser, load_profile, load_user_script

    kind, _, rest = str(args.user).partition(":")
    if kind == "stdin":
        show = None if args.quiet or not sys.stdin.isatty() else (lambda p: console.print(p, end="", style="bold"))
        return StreamUser(sys.stdin, show=show)
    if kind == "scripted":
        if not rest:
            raise UserError("--user scripted needs a file", hint="use --user scripted:users.yaml")
        return ScriptedUser(load_user_script(rest))
    if kind == "sim":
        profile = load_profile(rest or None)
        return SimulatedUser(backends["user_simulator"], profile, oow_schedule=_oow_schedule(args.oow),
                             max_turns=args.max_turns, bus=bus)
    raise UserError(f"unknown --user {args.user!r}", hint="use stdin, sim[:PROFILE.json] or scripted:FILE")


async def run_guided(args: argparse.Namespace, doc: Any, inputs: dict[str, str]) -> int:
    import os

    from rich.console import Console

    from agentflow._ids import new_id
    from agentflow.cli.model_flags import model_options
    from agentflow.events import EventBus, open_trace, secret_learner
    from agentflow.guided.run import run_session
    from agentflow.guided.session import SessionConfig
    from agentflow.guided.workflow import guided_from_document
    from agentflow.models import BackendChoice, RunModels
    from agentflow.redact import Redactor
    from agentflow.runner.conversation import ROLES, Workflow

    console = Console(highlight=False, soft_wrap=True)
    workflow = Workflow(guided_from_document(doc, inputs))
    secret_fields = {f for t in workflow.guided.tools for f in t.secret_fields}
    redactor = Redactor.for_environ(os.environ, secret_fields)
    models = RunModels(model_options(args), base_dir=Path.cwd(), redactor=redactor)
    # the one resolution of this run: the spec strings are parsed here, at the edge, and never again
    backends = models.resolve(BackendChoice.parse(list(args.backend)), ROLES, speaker="agent", strict=True)
    # the learner comes first: a secret value seen in a tool result is hidden in every later event
    sinks: list[Any] = [secret_learner(redactor, secret_fields)]
    if not args.quiet:
        sinks.append(conversation_display(console, redactor))
    durable = None
    if args.store:  # durable run: checkpoints, tool-call journal, resume (agentflow.cli.cmd_resume)
        if not args.run_id:
            args.run_id = new_id("run")
            print(f"run id: {args.run_id} (continue it with `agentflow resume {args.run_id} --store {args.store}`)",
                  file=sys.stderr)
        durable = durable_for(args, redactor)
    writer = None
    if args.trace:
        writer = open_trace(args.trace, redactor,
                            append=bool(getattr(args, "resume", False) or getattr(args, "trace_append", False)))
        sinks.append(writer)
    bus = durable.bus(sinks) if durable else EventBus(args.run_id or new_id("run"), sinks)
    try:
        user = durable_user(args, durable) or _user_channel(args, backends, bus, console)
        session = workflow.session(
            backend=backends, tools=args.tools, allow_hosts=args.allow_host, mocks=not args.no_mocks, bus=bus,
            classifier=args.classifier,
            config=SessionConfig(max_turns=args.max_turns, native_tools=not args.text_tools),
            checkpoint=durable.checkpoint if durable else None, state=durable.state if durable else None,
            models=models,
        )
        result = await (durable.drive(session, user, backends) if durable else run_session(session, user))
        if durable is not None and result.status == "paused":
            console.print(paused_message(result, args, durable), style="bold" if console.is_terminal else None)
            return 0
        models.check_consumed()
    finally:
        if writer is not None:
            writer.close()
        if durable is not None:
            durable.store.close()
        await models.aclose()
    console.print(result.summary, style="bold" if console.is_terminal else None)
    console.print(_models_line(models.totals()), style="dim" if console.is_terminal else None)
    return 0


def _models_line(totals: dict[str, Any]) -> str:
    """``models: 4 call(s), 812 tokens, $0.0012, 1 cache hit(s) (agent 3, oow_classifier 1)``."""
    roles = ", ".join(f"{role} {t['calls']}" for role, t in totals["by_role"].items())
    return (f"models: {totals['model_calls']} call(s), {totals['input_tokens'] + totals['output_tokens']} tokens,"
            f" ${totals['cost_usd']:.4f}, {totals['cache_hits']} cache hit(s)" + (f" ({roles})" if roles else ""))
