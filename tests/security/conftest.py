"""Shared helpers for the adversarial suite: run the CLI in-process and read what it printed."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from agentflow.cli.app import main


@dataclass(frozen=True)
class CliResult:
    rc: int
    out: str
    err: str


def run_cli(argv: Sequence[str]) -> CliResult:
    """``agentflow ARGV`` in this process; an exception escaping ``main`` fails the caller's test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return CliResult(rc, out.getvalue(), err.getvalue())
