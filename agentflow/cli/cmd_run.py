"""``agentflow run FILE.pdl``: run a PDL workflow (guided conversation, or executed when the file says so).

Guided runs print the conversation (rich, plain when piped), write the trace with ``--trace``, and end
with a compliance summary line (executed vs blocked calls). Exit 0 when the run ends normally, 1 when
it fails, 2 for a mistake in the input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentflow.errors import UserError

if TYPE_CHECKING:
    from rich.console import Console

    from agentflow.events import Event
    from agentflow.redact import Redactor
    from agentflow.runner.users import UserChannel

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
    p.add_argument("--trace", metavar="TRACE.jsonl", help="write every event as one JSON line")
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
    p.set_defaults(handler=_handle)


def add_model_flags(p: argparse.ArgumentParser, scope: str = "run") -> None:
    """The run-level model flags (agentflow.runner.models.ModelOptions), shared by both modes.

    ``scope`` names what a budget limits in the help texts (``agentflow eval``: each ``session``).
    """
    g = p.add_argument_group("models", f"retries, fallback, cache, record/replay and the {scope} budget (all roles)")
    g.add_argument("--retries", type=int, metavar="N",
                   help="retries after a transient model failure (default 3 for networked backends; 0 disables)")
    g.add_argument("--fallback", action="append", default=[], metavar="SPEC",
                   help="backend tried when the primary fails after its retries (repeatable, in order)")
    g.add_argument("--cache", metavar="DB", help="SQLite response cache: repeated requests cost nothing")
    g.add_argument("--record", metavar="FILE.jsonl",
                   help="record every model answer of the " + ("run" if scope == "run" else f"{scope}s, in one file"))
    g.add_argument("--replay", metavar="FILE.jsonl",
                   help=f"answer from a recording only (no model, no key); an unseen request fails the {scope}")
    g.add_argument("--max-cost", type=float, metavar="USD",
                   help=f"stop the {scope} before the next call past this cost")
    g.add_argument("--max-tokens", type=int, metavar="N", help=f"stop the {scope} once this many tokens are used")
    g.add_argument("--max-calls", type=int, metavar="N", help=f"stop the {scope} after this many model calls")
    g.add_argument("--timeout", type=float, metavar="SECONDS", help=f"stop the {scope} after this many seconds")
    g.add_argument("--prices", metavar="FILE", help="price table (JSON/YAML) extending the built-in prices")


def _handle(args: argparse.Namespace) -> int:
    from agentflow.pdl import load_pdl  # type: ignore[attr-defined]
    from agentflow.runner.inputs import cli_inputs

    if args.max_turns < 1:
        raise UserError("--max-turns must be at least 1")
    doc = load_pdl(args.file, tools_spec=args.tools_spec)
    inputs = cli_inputs(args, doc.path)  # read now: a bad --inputs file fails before any model loads
    if doc.mode == "executed":
        from agentflow.runner.executed import run_executed_from_cli  # type: ignore[import-not-found]

        meta = None
        if getattr(args, "store", None) and not getattr(args, "resume", False):
            from agentflow.cli.cmd_resume import run_meta

            meta = run_meta(args)  # durable run: what `agentflow resume` needs to rebuild it
        code: int = run_executed_from_cli(args, doc, meta)
        return code
    slots = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in inputs.items()}
    return asyncio.run(_run_guided(args, doc, slots))


def _oow_schedule(values: list[str]) -> dict[int, str]:
    schedule: dict[int, str] = {}
    for item in values:
        turn, sep, subtype = item.partition(":")
        if not sep or not turn.strip().isdigit():
            raise UserError(f"--oow {item!r} is not TURN:SUBTYPE", hint="e.g. --oow '2:Detail Switching'")
        schedule[int(turn)] = subtype.strip()
    return schedule


def _user_channel(args: argparse.Namespace, backends: dict[str, Any], bus: Any, console: Console) -> UserChannel:
    from agentflow.runner.users import ScriptedUser, SimulatedUser, StreamUser, load_profile, load_user_script

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


async def _run_guided(args: argparse.Namespace, doc: Any, inputs: dict[str, str]) -> int:
    import os

    from rich.console import Console

    from agentflow._ids import new_id
    from agentflow.events import EventBus, JsonlTraceWriter, secret_learner
    from agentflow.redact import Redactor, secret_env_values
    from agentflow.runner.api import Workflow, resolve_backends
    from agentflow.runner.guided import run_session
    from agentflow.runner.models import ModelOptions, RunModels
    from agentflow.runner.session import SessionConfig
    from agentflow.runner.workflow import guided_from_document

    console = Console(highlight=False, soft_wrap=True)
    workflow = Workflow(guided_from_document(doc, inputs))
    secret_fields = {f for t in workflow.guided.tools for f in t.secret_fields}
    redactor = Redactor(secret_env_values(os.environ), secret_fields)
    models = RunModels(ModelOptions.from_args(args), base_dir=Path.cwd(), redactor=redactor)
    backends = resolve_backends(list(args.backend), models=models)
    # the learner comes first: a secret value seen in a tool result is hidden in every later event
    sinks: list[Any] = [secret_learner(redactor, secret_fields)]
    if not args.quiet:
        sinks.append(_display(console, redactor))
    durable = None
    if args.store:  # durable run: checkpoints, tool-call journal, resume (agentflow.cli.cmd_resume)
        from agentflow.cli.cmd_resume import durable_for

        if not args.run_id:
            args.run_id = new_id("run")
            print(f"run id: {args.run_id} (continue it with `agentflow resume {args.run_id} --store {args.store}`)",
                  file=sys.stderr)
        durable = durable_for(args, redactor)
    writer = None
    if args.trace:
        writer = JsonlTraceWriter(args.trace, redactor)
        sinks.append(writer)
    bus = durable.bus(sinks) if durable else EventBus(args.run_id or new_id("run"), sinks)
    try:
        from agentflow.cli.cmd_resume import durable_user

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
            from agentflow.cli.cmd_resume import paused_message

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


def _display(console: Console, redactor: Redactor | None = None) -> Any:
    """An event sink that renders the conversation and the controllers' decisions (secrets hidden)."""

    def sink(event: Event) -> None:
        d = redactor(dict(event.data)) if redactor is not None else event.data
        if event.type == "user_message":
            console.print(f"[bold cyan]user[/]  {_esc(d.get('text', ''))}")
        elif event.type == "agent_message":
            tag = " [dim](fallback)[/]" if d.get("fallback") else ""
            console.print(f"[bold green]agent[/] {_esc(d.get('text', ''))}{tag}")
        elif event.type == "tool_call" and d.get("status") == "blocked":
            console.print(f"  [red]✗ blocked[/] {d.get('name')} by {d.get('controller')}: {_esc(d.get('reason', ''))}")
        elif event.type == "tool_call":
            console.print(f"  [blue]→ {d.get('name')}[/] {_esc(str(d.get('args', {})))}")
        elif event.type == "tool_result":
            shown = d.get("result") if d.get("ok") else f"error: {d.get('error')}"
            console.print(f"  [dim]← {_esc(str(shown))[:200]}[/]")
        elif event.type == "oow":
            console.print(f"  [yellow]⚑ {d.get('category')}[/] / {d.get('subtype') or '-'} → {d.get('policy')}")

    return sink


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(str(text))
