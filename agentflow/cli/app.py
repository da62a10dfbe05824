"""``agentflow`` entry point: builds the parser from the command modules and maps errors to exit codes.

Each subcommand lives in its own module ``agentflow.cli.cmd_<name>`` exposing
``register(subparsers) -> None``; the module's handler is stored as the parser's ``handler`` default and
returns the exit code. Modules import heavy things inside their handlers, so ``--help`` stays fast.

Exit codes: 0 success, 1 the run failed (:class:`~agentflow.errors.RunError`), 2 the user's input is
wrong (:class:`~agentflow.errors.UserError`, and argparse usage errors). A traceback is shown only
with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Callable, Sequence

from agentflow import __version__
from agentflow.errors import AgentflowError, UserError

__all__ = ["build_parser", "main"]

COMMANDS = ("run", "resume", "validate", "graph", "eval", "schema", "view")


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors get our one-line format and code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(message, hint=f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every available subcommand registered."""
    parser = _Parser(prog="agentflow", description="Multi-agent LLM workflows in PDL, with compliance controllers.")
    parser.add_argument("--version", action="version", version=f"agentflow {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"agentflow.cli.cmd_{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"agentflow.cli.cmd_{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (never raises for user mistakes)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 0 if not args_list else 2
        return handler(args)
    except AgentflowError as exc:
        if debug:
            traceback.print_exc()
        print(_one_line(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _one_line(exc: AgentflowError) -> str:
    text = exc.render() if isinstance(exc, UserError) else f"error: {exc}"
    return text.replace("\n", " ").strip()
