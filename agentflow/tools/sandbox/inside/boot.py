"""Entry point inside the sandbox: lower the rlimits (hard, so the code cannot raise them), then run a role.

``argv``: ``ROLE AS=N,CPU=N,... ARGS...`` (no json import: startup time counts on every run). The
limits are set here, inside the user namespace, because
``RLIMIT_NPROC`` counts the processes of the namespace's user there and of the whole uid outside.
"""

from __future__ import annotations

import resource
import sys


def set_limits(limits: dict[str, int]) -> None:
    """Apply ``{"AS": bytes, "CPU": s, "FSIZE": bytes, "NOFILE": n, "NPROC": n}`` as soft = hard limits."""
    for name, value in limits.items():
        res = getattr(resource, f"RLIMIT_{name}")
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            hard = resource.getrlimit(res)[1]  # already lower than asked: keep it, and soft = hard
            resource.setrlimit(res, (min(value, hard), min(value, hard)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(helpers: str) -> None:
    """Run the role named in ``sys.argv[1]``; ``helpers`` (the dir this package was imported from) leaves
    ``sys.path`` once the role's module is loaded, so the generated code does not import from it."""
    role, limits, *args = sys.argv[1:]
    set_limits({k: int(v) for k, v in (item.split("=") for item in limits.split(","))})
    sys.argv = [args[0], *args[1:]] if args else [""]
    if role == "serve":
        from . import serve

        sys.path.remove(helpers)
        serve.main(args)
    elif role == "harness":
        from . import harness

        sys.path.remove(helpers)
        harness.main(args)
    elif role == "script":
        sys.path.remove(helpers)
        sys.path.insert(0, ".")
        with open(args[0], encoding="utf-8") as fh:
            code = compile(fh.read(), args[0], "exec")
        exec(code, {"__name__": "__main__", "__file__": args[0], "__builtins__": __builtins__})
    else:
        raise SystemExit(f"unknown role {role!r}")
