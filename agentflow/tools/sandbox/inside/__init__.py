"""Trusted helpers that run *inside* the sandbox (stdlib only; mounted read-only at ``/sandbox/sbx``).

``boot`` sets the rlimits and starts a role: ``script`` (run one file), ``serve`` (load the generated
solution and answer calls on it) or ``harness`` (run the tests, calling into ``serve`` over pipes, and
write the report to a pipe only it holds). Never imported by agentflow itself.
"""
