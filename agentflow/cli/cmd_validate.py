"""``agentflow validate FILE...``: parse and check PDL files; compiler-style diagnostics.

Exit 0 when every file is valid (warnings do not fail), 2 otherwise. Each diagnostic is printed as
``PATH:LINE:COL: severity: message`` with the offending line and a caret; ``--quiet`` prints errors
only, ``--no-excerpt`` one line per diagnostic.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``validate`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "validate", help="check PDL files", description="Parse and check PDL files (exit 2 when any has errors)."
    )
    p.add_argument("files", nargs="+", metavar="FILE.pdl", help="PDL files to check")
    p.add_argument("--tools-spec", metavar="TOOLS.yaml", help="tool file (default: FlowAgent's ../tools/NNN.yaml)")
    p.add_argument("--roles-dir", action="append", default=[], metavar="DIR", help="extra folder of role files")
    p.add_argument("--quiet", action="store_true", help="print errors only")
    p.add_argument("--no-excerpt", action="store_true", help="one line per diagnostic (no source excerpt)")
    p.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from agentflow.errors import UserError
    from agentflow.pdl.checker import check
    from agentflow.pdl.loader import parse_file
    from agentflow.pdl.roleref import known_role_names

    failed = 0
    for path in args.files:
        try:
            doc = parse_file(path, args.tools_spec)
        except UserError as exc:
            print(exc.render(), file=sys.stderr)
            failed += 1
            continue
        diags = check(doc, known_roles=known_role_names(path, args.roles_dir))
        errors = [d for d in diags if d.is_error]
        compile_error = _compile_executed(doc, args) if doc.mode == "executed" and not errors else None
        shown = errors if args.quiet else diags
        lines = doc.source.splitlines()
        for d in shown:
            # diagnostics in other files (the tool file) get no excerpt from this file's lines
            excerpt = not args.no_excerpt and d.location.path == doc.path
            print(d.render(lines) if excerpt else d.headline(), file=sys.stderr)
        if compile_error is not None:
            print(compile_error, file=sys.stderr)
        warnings = len(diags) - len(errors)
        count = len(errors) + (compile_error is not None)
        status = "ok" if not count else f"{count} error{'s' * (count != 1)}"
        if not args.quiet or count:
            print(f"{path}: {status}, {warnings} warning{'s' * (warnings != 1)} ({doc.mode} mode)")
        failed += bool(count)
    return 2 if failed else 0


def _compile_executed(doc: Any, args: argparse.Namespace) -> str | None:
    """Run the executed compiler (roles, tools, producer/consumer types); its error line, or None."""
    from agentflow.errors import UserError
    from agentflow.runner.orchestration import load_orchestration

    try:
        load_orchestration(doc.path, doc=doc, roles=args.roles_dir)
    except UserError as exc:
        return exc.render()
    return None
