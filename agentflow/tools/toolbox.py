"""The tool box: runs only declared tools, validates their arguments, turns failures into observations.

Binding order for each declared API: a Python function of the same name (``--tools FILE.py``), else
the HTTP endpoint in its spec when the host is allow-listed, else a deterministic mock from its
response schema (when mocks are on). Anything not declared is refused without running.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from agentflow.tools.binding import ToolBinding, ToolInvocation, ToolOutcome
from agentflow.tools.http import HttpTool, host_allowed
from agentflow.tools.mock import MockTool
from agentflow.tools.python_file import PythonTool
from agentflow.tools.spec import ToolSpec

__all__ = ["ToolBox"]


class ToolBox:
    """A :class:`~agentflow.tools.binding.ToolExecutor` over declared tool specs and their bindings.

    Args:
        specs: the declared tools (by name).
        bindings: how each tool runs (by name); tools without a binding fail as observations.
        timeout_s: per-call timeout.
    """

    def __init__(self, specs: Mapping[str, ToolSpec], bindings: Mapping[str, ToolBinding],
                 timeout_s: float = 30.0) -> None:
        self.specs = dict(specs)
        self.bindings = {k: v for k, v in bindings.items() if k in self.specs}
        self.timeout_s = timeout_s

    @classmethod
    def build(
        cls,
        specs: Iterable[ToolSpec],
        *,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        allow_hosts: Iterable[str] = (),
        mocks: bool = True,
        timeout_s: float = 30.0,
    ) -> ToolBox:
        """Bind every spec (Python function > allow-listed HTTP > mock)."""
        functions = functions or {}
        hosts = list(allow_hosts)
        table: dict[str, ToolSpec] = {}
        bindings: dict[str, ToolBinding] = {}
        for spec in specs:
            table[spec.name] = spec
            http = spec.http or {}
            url = str(http.get("url", ""))
            if spec.name in functions:
                bindings[spec.name] = PythonTool(functions[spec.name])
            elif url and host_allowed(url, hosts):
                bindings[spec.name] = HttpTool(url, str(http.get("method", "POST")), timeout_s)
            elif mocks:
                bindings[spec.name] = MockTool(spec)
        return cls(table, bindings, timeout_s)

    def declared(self) -> list[str]:
        return list(self.specs)

    def binding_kinds(self) -> dict[str, str]:
        """Tool name -> ``python`` / ``http`` / ``mock`` / ``unbound`` (for the run header)."""
        return {name: self.bindings[name].kind if name in self.bindings else "unbound" for name in self.specs}

    async def execute(self, invocation: ToolInvocation) -> ToolOutcome:
        spec = self.specs.get(invocation.name)
        if spec is None:
            return ToolOutcome(ok=False, error=f"unknown tool {invocation.name!r}; nothing was executed")
        problem = _validate(spec.parameters, invocation.args)
        if problem:
            return ToolOutcome(ok=False, error=f"invalid arguments: {problem}")
        binding = self.bindings.get(invocation.name)
        if binding is None:
            return ToolOutcome(ok=False, error=f"no implementation bound for {invocation.name!r}")
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(binding(dict(invocation.args)), self.timeout_s)
        except TimeoutError:
            return ToolOutcome(ok=False, error=f"timed out after {self.timeout_s:g}s", binding=binding.kind,
                               latency_s=time.perf_counter() - started)
        except Exception as exc:  # a tool failure is an observation for the agent, not a crash
            return ToolOutcome(ok=False, error=f"{type(exc).__name__}: {exc}", binding=binding.kind,
                               latency_s=time.perf_counter() - started)
        return ToolOutcome(ok=True, result=result, binding=binding.kind, latency_s=time.perf_counter() - started)


def _validate(schema: dict[str, Any], args: dict[str, Any]) -> str:
    import jsonschema  # lazy: keeps `import agentflow.tools` light

    try:
        jsonschema.validate(args, schema, cls=jsonschema.Draft202012Validator)
    except jsonschema.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path)
        return f"{where}: {exc.message}" if where else exc.message
    except jsonschema.SchemaError as exc:
        return f"the tool's parameter schema is invalid: {exc.message}"
    return ""
