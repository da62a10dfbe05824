"""Tools from a Python file: ``--tools FILE.py`` binds each API to the function of the same name.

The file is executed as a fresh module (not imported into ``sys.modules``); its public top-level
functions (defined in the file itself, not imported) become bindings. A function may be sync or async
and returns a dict of response fields (any other value is wrapped as ``{"result": value}``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentflow.errors import Location, UserError

__all__ = ["PythonTool", "load_python_tools"]


def load_python_tools(path: str | Path) -> dict[str, Callable[..., Any]]:
    """Public functions defined in ``path``, by name.

    Raises:
        UserError: the file is missing or fails to import (with file:line for syntax errors).
    """
    p = Path(path)
    if not p.is_file():
        raise UserError(f"tools file {p} not found", hint="pass an existing Python file to --tools")
    spec = importlib.util.spec_from_file_location(f"agentflow_tools_{abs(hash(str(p.resolve())))}", p)
    if spec is None or spec.loader is None:
        raise UserError(f"cannot load tools file {p}", hint="it must be a .py file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise UserError(f"syntax error in tools file: {exc.msg}",
                        location=Location(str(p), exc.lineno or 0, exc.offset or 0)) from None
    except Exception as exc:  # the user's module failed at import time
        raise UserError(f"tools file {p} failed to import: {type(exc).__name__}: {exc}",
                        location=Location(str(p)), hint="run it with python to see the full error") from None
    found: dict[str, Callable[..., Any]] = {}
    for name, obj in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != module.__name__:
            continue
        found[name] = obj
    return found


class PythonTool:
    """A binding that calls a Python function with the arguments as keywords (sync ones in a thread)."""

    kind = "python"

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    async def __call__(self, args: dict[str, Any]) -> dict[str, Any]:
        if inspect.iscoroutinefunction(self.fn):
            value = await self.fn(**args)
        else:
            value = await asyncio.to_thread(self.fn, **args)
        if isinstance(value, dict):
            return value
        return {"result": value}
