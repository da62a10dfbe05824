"""The solution process: run the generated code, then answer the harness's calls on it, values by value.

Everything here shares a process with untrusted code, so nothing here is trusted: the harness treats
every reply as data, and the counts of passed and failed tests are made in the harness alone.
"""

from __future__ import annotations

import operator
import os
import sys
import traceback
from typing import Any

from . import wire

_BINOPS = {name: getattr(operator, name) for name in (
    "eq", "ne", "lt", "le", "gt", "ge", "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and_",
    "or_", "xor", "matmul", "lshift", "rshift")}


class _Objects:
    def __init__(self) -> None:
        self.by_id: dict[int, Any] = {}

    def handle(self, obj: Any) -> int:
        key = len(self.by_id) + 1
        self.by_id[key] = obj
        return key

    def get(self, data: Any) -> Any:
        return wire.decode(data, lambda key, _type: self.by_id[key])


def _answer(objs: _Objects, req: dict[str, Any]) -> dict[str, Any]:
    op = req.get("op")
    target: Any = objs.by_id[int(req["h"])] if "h" in req else None
    if op == "call":
        args = [objs.get(a) for a in req.get("args", [])]
        kwargs = {str(k): objs.get(v) for k, v in dict(req.get("kw", {})).items()}
        result = target(*args, **kwargs)
    elif op == "getattr":
        result = getattr(target, str(req["name"]))
    elif op == "setattr":
        setattr(target, str(req["name"]), objs.get(req["value"]))
        result = None
    elif op == "getitem":
        result = target[objs.get(req["key"])]
    elif op == "setitem":
        target[objs.get(req["key"])] = objs.get(req["value"])
        result = None
    elif op == "len":
        result = len(target)
    elif op == "bool":
        result = bool(target)
    elif op == "contains":
        result = bool(objs.get(req["item"]) in target)
    elif op in ("repr", "str"):
        result = str((repr if op == "repr" else str)(target))[:10_000]
    elif op == "iter":
        result = iter(target)
    elif op == "next":
        try:
            result = next(target)
        except StopIteration:
            return {"stop": True}
    elif op == "binop":
        fn = _BINOPS[str(req["name"])]
        other = objs.get(req["other"])
        result = fn(other, target) if req.get("reflected") else fn(target, other)
    else:
        raise ValueError(f"unknown op {op!r}")
    return {"v": wire.encode(result, objs.handle)}


def main(args: list[str]) -> None:
    """``args``: ``SOLUTION_FILE READ_FD WRITE_FD``."""
    path, rfd, wfd = args[0], int(args[1]), int(args[2])
    inbox = os.fdopen(rfd, "r", encoding="utf-8")
    outbox = os.fdopen(wfd, "w", encoding="utf-8")
    objs = _Objects()
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    sys.path.insert(0, ".")
    try:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        exec(compile(source, "solution.py", "exec"), ns)
    except BaseException as exc:  # the code's own failure is a report line, not a crash
        msg = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        wire.send(outbox, {"error": msg[:2000]})
        return
    names = {k: wire.encode(v, objs.handle) for k, v in ns.items() if not k.startswith("__")}
    wire.send(outbox, {"names": names})
    while (req := wire.receive(inbox)) is not None:
        try:
            reply = _answer(objs, req)
        except BaseException as exc:
            reply = {"err": {"type": type(exc).__name__[:100], "msg": str(exc)[:2000]}}
        wire.send(outbox, reply)
