"""The test harness process: run each top-level statement of the tests; the solution's names are proxies
that call into the solution process over pipes, and results come back by value.

The report (counts and failures) is made here and written to a pipe the solution process never holds,
so nothing the generated code prints, writes or returns can change it. The tests themselves run here:
they are trusted as the specification (see docs/sandbox.md).
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import sys
import traceback
import types
from typing import Any

from . import wire


class RemoteError(Exception):
    """The solution raised an exception that is not a builtin one, or the solution process went away."""


class _Link:
    def __init__(self, inbox: Any, outbox: Any) -> None:
        self.inbox, self.outbox = inbox, outbox

    def ask(self, req: dict[str, Any]) -> Any:
        try:
            wire.send(self.outbox, req)
            reply = wire.receive(self.inbox)
        except (OSError, ValueError) as exc:
            raise RemoteError(f"the solution process failed: {exc}") from None
        if reply is None:
            raise RemoteError("the solution process exited")
        if reply.get("stop"):
            raise StopIteration
        if "err" in reply:
            err = reply["err"] if type(reply["err"]) is dict else {}
            name, msg = str(err.get("type", "Error")), str(err.get("msg", ""))
            cls = getattr(builtins, name, None)
            if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
                raise cls(msg)
            raise RemoteError(f"{name}: {msg}")
        try:
            return wire.decode(reply.get("v"), self.proxy)
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise RemoteError(f"the solution sent a malformed value: {exc}") from None

    def proxy(self, key: int, type_name: str) -> Remote:
        return Remote(self, key, type_name)

    def encode(self, value: Any) -> Any:
        def refuse(obj: Any) -> int:
            if isinstance(obj, Remote):
                return int(obj._id)
            raise TypeError(f"a {type(obj).__name__} cannot be passed into the sandboxed solution")

        return wire.encode(value, refuse)


class Remote:
    """An object of the solution process; operations on it run there, answers come back by value."""

    def __init__(self, link: _Link, key: int, type_name: str) -> None:
        object.__setattr__(self, "_link", link)
        object.__setattr__(self, "_id", key)
        object.__setattr__(self, "_type", type_name)

    def _ask(self, op: str, **fields: Any) -> Any:
        return self._link.ask({"op": op, "h": self._id, **fields})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        enc = self._link.encode
        return self._ask("call", args=[enc(a) for a in args], kw={k: enc(v) for k, v in kwargs.items()})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._ask("setattr", name=name, value=self._link.encode(value))

    def __getitem__(self, key: Any) -> Any:
        return self._ask("getitem", key=self._link.encode(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._ask("setitem", key=self._link.encode(key), value=self._link.encode(value))

    def __len__(self) -> int:
        return int(self._ask("len"))

    def __bool__(self) -> bool:
        return self._ask("bool") is True

    def __contains__(self, item: Any) -> bool:
        return self._ask("contains", item=self._link.encode(item)) is True

    def __iter__(self) -> Any:
        it = self._ask("iter")
        while True:
            try:
                yield it._ask("next")
            except StopIteration:
                return

    def __repr__(self) -> str:
        return str(self._ask("repr"))

    def __str__(self) -> str:
        return str(self._ask("str"))

    def __hash__(self) -> int:
        return hash((Remote, self._id))

    def _binop(self, name: str, other: Any, reflected: bool = False) -> Any:
        if name in ("eq", "ne", "lt", "le", "gt", "ge") and not isinstance(other, Remote):
            return NotImplemented  # a solution object never decides that it equals a plain value
        return self._ask("binop", name=name, other=self._link.encode(other), reflected=reflected)

    def __eq__(self, other: object) -> Any:
        return self._binop("eq", other) if isinstance(other, Remote) else other is self

    def __ne__(self, other: object) -> Any:
        return self._binop("ne", other) if isinstance(other, Remote) else other is not self

    def __lt__(self, other: Any) -> Any:
        return self._binop("lt", other)

    def __le__(self, other: Any) -> Any:
        return self._binop("le", other)

    def __gt__(self, other: Any) -> Any:
        return self._binop("gt", other)

    def __ge__(self, other: Any) -> Any:
        return self._binop("ge", other)

    def __add__(self, other: Any) -> Any:
        return self._binop("add", other)

    def __radd__(self, other: Any) -> Any:
        return self._binop("add", other, True)

    def __sub__(self, other: Any) -> Any:
        return self._binop("sub", other)

    def __mul__(self, other: Any) -> Any:
        return self._binop("mul", other)


def _message(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def run(link: _Link, start: dict[str, Any] | None, tests: str) -> dict[str, Any]:
    """Run ``tests`` against the solution the ``start`` message describes; the report as a dict."""
    report: dict[str, Any] = {"passed": 0, "failed": 0, "failures": [], "error": ""}
    if start is None or "names" not in start:
        report["error"] = str((start or {}).get("error") or "the solution process exited before it loaded")
        return report
    module = types.ModuleType("solution")
    ns: dict[str, Any] = {"__name__": "__tests__"}
    for name, data in dict(start["names"]).items():
        value = wire.decode(data, link.proxy)
        ns[str(name)] = value
        setattr(module, str(name), value)
    sys.modules["solution"] = module
    try:
        tree = ast.parse(tests, "tests.py")
    except SyntaxError as exc:
        report["error"] = _message(exc)
        return report
    for stmt in tree.body:
        code = compile(ast.Module(body=[stmt], type_ignores=[]), "tests.py", "exec")
        line = ast.get_source_segment(tests, stmt) or ""
        try:
            exec(code, ns)
        except BaseException as exc:
            if isinstance(stmt, ast.Assert):
                report["failed"] += 1
                report["failures"].append(
                    f"line {stmt.lineno}: {line.strip()[:200]} -> {_message(exc)[:300]}")
            else:
                report["error"] = f"line {stmt.lineno}: {_message(exc)}"
                break
        else:
            if isinstance(stmt, ast.Assert):
                report["passed"] += 1
    report["failures"] = report["failures"][:50]
    return report


def main(args: list[str]) -> None:
    """``args``: ``TESTS_FILE READ_FD WRITE_FD REPORT_FD``."""
    path, rfd, wfd, report_fd = args[0], int(args[1]), int(args[2]), int(args[3])
    report_out = os.fdopen(report_fd, "w", encoding="utf-8")
    link = _Link(os.fdopen(rfd, "r", encoding="utf-8"), os.fdopen(wfd, "w", encoding="utf-8"))
    with open(path, encoding="utf-8") as fh:
        tests = fh.read()
    try:
        start = wire.receive(link.inbox)
    except ValueError as exc:
        start = {"error": f"the solution process sent a malformed message: {exc}"}
    report = run(link, start, tests)
    report_out.write(json.dumps(report))
    report_out.flush()
