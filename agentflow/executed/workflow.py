"""An executed-mode workflow: a checked PDL document you can run with inputs and an :class:`ExecEnv`.

::

    wf = ExecutedWorkflow.from_document(load_pdl("workflows/plan_act.pdl"))
    result = await wf.run({"task": "..."}, env)

Inputs are coerced to their declared types (CLI values are strings: ``3`` becomes an ``int``, JSON
becomes a list, dict or message); a missing or unknown input is a :class:`UserError` that says how
to pass it. The result carries the status, the returned value, notes (e.g. a loop that ran out of
budget), per-role statistics and the graph's counters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentflow._ids import new_id
from agentflow.backends.wrappers.ledger import RoleStats
from agentflow.errors import Location, UserError
from agentflow.events import EventBus
from agentflow.executed.compile import build_graph
from agentflow.executed.env import ExecEnv
from agentflow.executed.lower import lower
from agentflow.executed.nodes import Frame
from agentflow.executed.program import Program
from agentflow.executed.typecheck import resolve_type
from agentflow.graph import Checkpoint, Snapshot
from agentflow.messages import Message, Usage
from agentflow.pdl.document import PdlDocument
from agentflow.roles.loader import RoleLibrary, load_role_file

__all__ = ["ExecutedWorkflow", "WorkflowResult"]


@dataclass
class WorkflowResult:
    """The outcome of one executed run.

    Attributes:
        status: ``completed``, ``budget_exhausted``, ``cancelled`` or ``failed``.
        output: the value of ``return`` (or the declared outputs as a dict when the procedure fell
            off its end).
        variables: the procedure's variables at the end.
        notes: things the user should know (a loop that stopped at its budget, ...).
        stats: per-role calls, tokens, latency, cost.
        error: the exception behind a status other than ``completed``.
    """

    status: str
    output: Any
    variables: dict[str, Any]
    notes: list[str]
    stats: dict[str, RoleStats]
    usage: Usage
    run_id: str
    steps: int = 0
    error: BaseException | None = None
    reason: str = ""
    node_counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    def raise_for_status(self) -> WorkflowResult:
        """Return ``self`` when completed, else raise the error that stopped the run."""
        if self.status == "completed":
            return self
        if self.error is not None:
            raise self.error
        from agentflow.errors import RunError

        raise RunError(f"workflow run {self.run_id} {self.status}: {self.reason}")


class ExecutedWorkflow:
    """A PDL document compiled for executed mode (checked once; run many times)."""

    def __init__(self, doc: PdlDocument, program: Program, library: RoleLibrary) -> None:
        self.doc = doc
        self.program = program
        self.library = library

    @classmethod
    def from_document(
        cls, doc: PdlDocument, *, library: RoleLibrary | None = None, tools: Iterable[str] = ()
    ) -> ExecutedWorkflow:
        """Check ``doc`` and lower it; ``ROLEs`` entries with ``file:`` are loaded (relative to the file).

        Raises:
            UserError: at ``path:line:col`` for every problem the compiler can see.
        """
        lib = library if library is not None else RoleLibrary()
        base = Path(doc.path).parent
        for decl in doc.roles:
            if decl.file:
                lib.add(load_role_file(base / decl.file, types=lib.types))
            if decl.name not in lib:
                raise UserError(f"role {decl.name!r} is declared but no role file defines it",
                                location=decl.span.location, hint=f"add roles/{decl.name}.yaml or set `file:`")
            if decl.output:
                made = lib.get(decl.name).spec.output_kind
                want = resolve_type(decl.output, lib.types)
                if want is None or (isinstance(want, type) and want.model_fields["kind"].default != made):
                    raise UserError(f"role {decl.name!r} produces {made!r}, not {decl.output!r}",
                                    location=decl.span.location)
        return cls(doc, lower(doc, lib, tools=tools), lib)

    def coerce_inputs(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Declared inputs from ``given`` (strings parsed to the declared type), defaults filled in."""
        declared = {name: (typ, required, default) for name, typ, required, default in self.program.inputs}
        unknown = sorted(set(given) - set(declared))
        if unknown and declared:
            raise UserError(f"unknown input {unknown[0]!r} for workflow {self.program.name!r}",
                            hint=f"declared inputs: {', '.join(declared)}")
        out: dict[str, Any] = dict(given) if not declared else {}
        for name, (typ, required, default) in declared.items():
            if name not in given:
                if required:
                    raise UserError(f"missing input {name!r} ({typ}) for workflow {self.program.name!r}",
                                    location=Location(self.program.path), hint=f"pass --input {name}=VALUE")
                out[name] = default
                continue
            out[name] = self._coerce(name, typ, given[name])
        return out

    def _coerce(self, name: str, typ: str, value: Any) -> Any:
        t = resolve_type(typ, self.library.types)
        try:
            if isinstance(t, type) and issubclass(t, Message):
                data = json.loads(value) if isinstance(value, str) else value
                return value if isinstance(value, t) else t.model_validate({"kind": t.model_fields["kind"].default,
                                                                            **data})
            if not isinstance(value, str) or t in ("str", "any", None):
                return value
            if t == "int":
                return int(value)
            if t == "float":
                return float(value)
            if t == "bool":
                return value.strip().lower() in ("1", "true", "yes", "y", "on")
            if t in ("list", "dict"):
                parsed = json.loads(value)
                if not isinstance(parsed, list if t == "list" else dict):
                    raise ValueError(f"expected a JSON {t}")
                return parsed
        except (ValueError, TypeError, ValidationError) as exc:
            raise UserError(f"input {name!r} is not a valid {typ}: {str(exc).splitlines()[0]}",
                            hint=f"pass --input {name}=VALUE (JSON for lists, dicts and messages)") from None
        return value

    async def run(
        self, inputs: Mapping[str, Any], env: ExecEnv, *, bus: EventBus | None = None, run_id: str | None = None,
        checkpoint: Checkpoint | None = None, snapshot: Snapshot | None = None,
    ) -> WorkflowResult:
        """Run once with ``inputs`` (coerced) using ``env``'s backends and tools.

        ``checkpoint`` receives the graph's snapshot after every step; ``snapshot`` continues a run
        from one (durable runs, :mod:`agentflow.runner.durable_executed`).
        """
        rid = run_id or (bus.run_id if bus is not None else new_id("run"))
        frame = Frame(vars=self.coerce_inputs(inputs))
        compiled = build_graph(self.program, env).build()
        result = await compiled.run(None if snapshot is not None else frame, snapshot=snapshot, run_id=rid, bus=bus,
                                    max_steps=env.max_steps, timeout=env.budgets.max_seconds,
                                    checkpoint=checkpoint)
        final = next((m for m in reversed(result.outputs) if isinstance(m, Frame)), None)
        variables = dict(final.vars) if final is not None else {}
        if final is not None and final.returned:
            output: Any = final.result
        elif self.program.outputs:
            output = {name: variables.get(name) for name, _ in self.program.outputs}
        else:
            output = None
        return WorkflowResult(
            status=result.status, output=output, variables=variables, notes=list(final.notes) if final else [],
            stats=dict(env.stats), usage=env.usage, run_id=rid, steps=result.steps, error=result.error,
            reason=result.reason, node_counts=dict(result.node_counts),
        )
