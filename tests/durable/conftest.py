"""Running the real ``agentflow`` CLI in a forked child, so the crash test can kill many runs quickly.

A fresh interpreter spends most of a short run importing agentflow; a child forked from this
(already-importing) test process starts in milliseconds and then runs exactly what the console
script runs: ``agentflow.cli.app.main(argv)``, in its own process, with its own environment, working
directory and output files. ``kill_at=k`` SIGKILLs the child right after it writes its k-th trace
event; ``AF_KILL_IN_TOOL`` (read by the test tools) kills it inside a tool.
"""

from __future__ import annotations

import os
import signal
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import agentflow.cli.cmd_resume
import agentflow.cli.cmd_run
import agentflow.pdl
import agentflow.runner.conversation
import agentflow.runner.durable
import agentflow.store.sqlite  # noqa: F401  (warm the imports every child needs)
from agentflow.cli.app import main
from agentflow.events import JsonlTraceWriter

ForkRun = Callable[..., int]


def fork_cli(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, kill_at: int = 0, stdin: str | None = None
) -> int:
    """Run ``agentflow ARGV`` in a forked child; returns its exit code, or ``-signal`` if it was killed.

    ``stdin`` is the text the child reads on its standard input (end of input after it).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():  # Python >= 3.12 warns about fork() when other tests left threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 70
        try:
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)
            for fd, name in ((1, "stdout.log"), (2, "stderr.log")):
                out = os.open(cwd / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.dup2(out, fd)
                os.close(out)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            (cwd / "stdin.txt").write_text(stdin or "", encoding="utf-8")
            inp = os.open(cwd / "stdin.txt", os.O_RDONLY)
            os.dup2(inp, 0)
            os.close(inp)
            sys.stdin = open(0, closefd=False)  # noqa: SIM115
            if kill_at:
                _kill_after(kill_at)
            code = main(list(argv))
        except BaseException:  # report, never fall back into the parent's code
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _kill_after(k: int) -> None:
    write = JsonlTraceWriter.__call__
    count = [0]

    def write_then_maybe_die(self: JsonlTraceWriter, event: Any) -> None:
        write(self, event)
        count[0] += 1
        if count[0] == k:
            os.kill(os.getpid(), signal.SIGKILL)

    JsonlTraceWriter.__call__ = write_then_maybe_die  # type: ignore[method-assign]


@pytest.fixture
def fork_run() -> ForkRun:
    """:func:`fork_cli` as a fixture."""
    return fork_cli
