"""Runs the real ``agentflow`` CLI in this process and SIGKILLs it right after trace event number
``AF_KILL_AT`` is written (0 or unset: never). Used by the crash test to stop a run at an exact point."""

import os
import signal
import sys

from agentflow.cli.app import main
from agentflow.events import JsonlTraceWriter

KILL_AT = int(os.environ.get("AF_KILL_AT", "0") or 0)
_write = JsonlTraceWriter.__call__
_count = 0


def _write_then_maybe_die(self, event):  # type: ignore[no-untyped-def]
    global _count
    _write(self, event)
    _count += 1
    if _count == KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)


JsonlTraceWriter.__call__ = _write_then_maybe_die  # type: ignore[method-assign]
sys.exit(main(sys.argv[1:]))
