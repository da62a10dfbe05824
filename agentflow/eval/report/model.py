"""The machine-readable report (``report.json``) and how to read one back.

``summary`` and ``sessions`` are a pure function of the sessions that ran; everything that depends on
the machine or the clock (engine, wall time, throughput, memory) lives under ``run``, so two reports
of the same seeds compare equal on what matters whatever engine produced them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentflow.errors import Location, UserError
from agentflow.eval.record import SessionRecord
from agentflow.eval.summary import Summary
from agentflow.safeload import read_json

__all__ = ["REPORT_SCHEMA", "EvalReport", "read_report"]

REPORT_SCHEMA = "agentflow.eval.report/1"


class EvalReport(BaseModel):
    """Everything an evaluation produced."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = Field(default=REPORT_SCHEMA, alias="schema")
    dataset: str
    config: dict[str, Any] = Field(default_factory=dict)
    summary: Summary
    sessions: list[SessionRecord]
    run: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> str:
        """The report as indented JSON (the ``schema`` key first)."""
        return json.dumps(self.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=1)


def read_report(path: str | Path) -> EvalReport:
    """Load a ``report.json`` (or the folder holding one); errors say what is wrong and where."""
    p = Path(path)
    if p.is_dir():
        p = p / "report.json"
    raw = read_json(p, "report", hint="pass a report.json written by agentflow eval")
    if not isinstance(raw, dict) or raw.get("schema") != REPORT_SCHEMA:
        found = raw.get("schema") if isinstance(raw, dict) else None
        raise UserError(f"not an agentflow eval report (schema {found!r})",
                        location=Location(str(p)), hint=f"expected \"schema\": \"{REPORT_SCHEMA}\"")
    try:
        return EvalReport.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise UserError(f"report field {where}: {first['msg']}", location=Location(str(p))) from None
