"""--trace opens a new file: an existing one is refused unless --trace-append, a directory is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentflow.cli.app import main
from agentflow.errors import UserError
from agentflow.events import Event, open_trace
from agentflow.redact import Redactor

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "pdl" / "examples"
RUN = ["run", str(EX / "flight_booking.pdl"), "--backend", f"scripted:{EX / 'flight' / 'agent.yaml'}",
       "--user", f"scripted:{EX / 'flight' / 'user.yaml'}", "--tools", str(EX / "flight" / "tools.py"), "--quiet"]


def _run_starts(path: Path) -> int:
    return sum(json.loads(line)["type"] == "run_start" for line in path.read_text().splitlines())


def test_a_second_run_into_the_same_trace_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "t.jsonl"
    assert main([*RUN, "--trace", str(trace)]) == 0
    before = trace.read_text()
    assert main([*RUN, "--trace", str(trace)]) == 2
    err = capsys.readouterr().err
    assert "the file exists" in err and "--trace-append" in err and "Traceback" not in err
    assert trace.read_text() == before  # nothing lost, nothing mixed in
    assert main([*RUN, "--trace", str(trace), "--trace-append"]) == 0
    assert _run_starts(trace) == 2


def test_a_directory_is_not_a_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*RUN, "--trace", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "Traceback" not in err


def test_the_sdk_writer_is_always_redacted(tmp_path: Path) -> None:
    writer = open_trace(tmp_path / "t.jsonl", Redactor(values=["s3cr3t-value-123"]))
    writer(Event(type="tool_result", run_id="r", seq=1, ts=0.0, data={"result": "token s3cr3t-value-123"}))
    writer.close()
    assert "s3cr3t-value-123" not in (tmp_path / "t.jsonl").read_text()
    with pytest.raises(UserError, match="exists"):
        open_trace(tmp_path / "t.jsonl", Redactor())
