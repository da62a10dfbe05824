"""Entry point inside the sandbox: lower the rlimits (hard, so the code cannot raise them), then run a role.

``argv``: ``ROLE LIMITS_JSON ARGS...``. The limits are set here, inside the user namespace, because
``RLIMIT_NPROC`` counts the processes of the namespace's user there and of the whole uid outside.
"""

from __future__ import annotations

import json
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


def main() -> None:
    """Run the role named in ``sys.argv[1]``."""
    role, limits, *args = sys.argv[1:]
    set_limits({k: int(v) for k, v in json.loads(limits).items()})
    sys.argv = [args[0], *args[1:]] if args else [""]
    if role == "script":
        import runpy

        sys.path.insert(0, ".")
        runpy.run_path(args[0], run_name="__main__")
    elif role == "serve":
        from . import serve

        serve.main(args)
    elif role == "harness":
        from . import harness

        harness.main(args)
    else:
        raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main()
