"""The code sandbox: run untrusted, model-written Python so that it sees only its own folder and the
interpreter, opens no socket, is bounded in processes, disk, memory and time as a whole tree, and cannot
forge the report of the tests run against it. What is isolated, and what is not: docs/sandbox.md.

* :func:`run_python` runs a script; :func:`run_tests` runs assert tests against a solution (two
  sandboxes; the report comes from the harness's own pipe).
* No silent weaker mode: without bubblewrap, seccomp and a process bound it raises
  :class:`SandboxUnavailable`, unless ``SandboxLimits(allow_weaker=True)`` or env
  ``AGENTFLOW_SANDBOX_ALLOW_WEAKER=1``; then it warns (:class:`SandboxWeakerWarning`) with what is missing.
"""

from __future__ import annotations

from agentflow.tools.sandbox.limits import SandboxLimits, SandboxResult, TestReport
from agentflow.tools.sandbox.probe import (
    ENV_ALLOW_WEAKER,
    Isolation,
    SandboxUnavailable,
    SandboxWeakerWarning,
    probe,
)
from agentflow.tools.sandbox.runner import run_python, run_python_sync, run_tests

__all__ = [
    "ENV_ALLOW_WEAKER",
    "Isolation",
    "SandboxLimits",
    "SandboxResult",
    "SandboxUnavailable",
    "SandboxWeakerWarning",
    "TestReport",
    "probe",
    "run_python",
    "run_python_sync",
    "run_tests",
]
