"""``agentflow eval`` end to end on the guided runtime, the report files, and ``--compare``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agentflow.cli import main
from agentflow.errors import UserError
from agentflow.eval.report import compare_reports, read_report


def test_cli_runs_corpus_with_simulated_users(data_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rep"
    exported = tmp_path / "cases.jsonl"
    code = main(["eval", str(data_dir / "flowagent"), "--report", str(out), "--workers", "3", "--seed", "4",
                 "--limit", "3", "--export-dataset", str(exported), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0 and "success_rate" in printed and "report.html" in printed
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["schema"] == "agentflow.eval.report/1" and report["summary"]["n"] == 3
    assert report["config"]["seed"] == 4 and report["run"]["engine"] == "local"
    first = report["sessions"][0]
    assert first["workflow"] == "flight booking" and first["executed"] >= 1 and first["llm_calls"] >= 1
    trace = [json.loads(x) for x in (out / "traces" / first["trace"]).read_text(encoding="utf-8").splitlines()]
    assert trace[0]["type"] == "run_start" and trace[-1]["type"] == "run_end"
    assert any(e["type"] == "tool_call" and e["status"] == "executed" for e in trace)
    # the exported dataset reproduces the run
    again = tmp_path / "again"
    assert main(["eval", str(exported), "--report", str(again), "--no-progress"]) == 0
    assert read_report(again).sessions == read_report(out).sessions


def test_cli_scripted_fixed_queries_and_transcripts(data_dir: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rep"
    code = main(["eval", str(data_dir / "fixed_queries"), "--workflows", str(data_dir / "fa_ruled"),
                 "--limit", "6", "--report", str(out), "--no-progress"])
    assert code == 0
    report = read_report(out)
    assert report.summary.n == 6 and report.summary.totals["executed_calls"] > 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('<svg class="plot"') == 4 and html.count('class="err"') >= 3
    assert '<table id="workflows">' in html and "同程开发票" in html
    links = re.findall(r'href="(sessions/[^"]+\.html)"', html)
    assert len(links) == 6 and all((out / link).is_file() for link in links)
    session = report.sessions[0]
    page = (out / "sessions" / session.trace.replace(".jsonl", ".html")).read_text(encoding="utf-8") \
        if session.trace else ""
    assert session.id.startswith("001-001") and 'class="turn user"' in page and "订单号10086" in page
    assert "raw trace (JSONL)" in page and "run ended" in page
    capsys.readouterr()


def test_compare_reports(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    common = [str(data_dir / "fixed_queries"), "--workflows", str(data_dir / "fa_ruled"), "--no-progress"]
    assert main(["eval", *common, "--limit", "2", "--report", str(a)]) == 0
    assert main(["eval", *common, "--limit", "4", "--report", str(b)]) == 0
    capsys.readouterr()
    assert main(["eval", "--compare", str(a / "report.json"), str(b / "report.json")]) == 0
    text = capsys.readouterr().out
    assert "success_rate" in text and "compliance_rate" in text and "verdict" in text
    rows = compare_reports(read_report(a), read_report(a))
    assert rows and all(r.verdict in ("~", "n/a") and (r.delta in (None, 0.0)) for r in rows)
    # a clear regression is called out
    worse = read_report(a)
    worse.summary.metrics["success_rate"] = worse.summary.metrics["success_rate"].model_copy(
        update={"value": 0.0, "low": 0.0, "high": 0.0})
    base = read_report(a).summary.metrics["success_rate"]
    row = next(r for r in compare_reports(read_report(a), worse) if r.metric == "success_rate")
    assert (base.low or 0) > 0 and row.verdict == "worse" and row.delta is not None and row.delta < 0


def test_cli_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval"]) == 2
    assert "needs a DATASET" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "nope.jsonl")]) == 2
    assert "dataset not found" in capsys.readouterr().err
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    assert main(["eval", "--compare", str(tmp_path / "x.json"), str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "not an agentflow eval report" in err and "Traceback" not in err
    with pytest.raises(UserError, match="cannot read report"):
        read_report(tmp_path / "missing.json")


def test_progress_bar_shows_live_success_and_compliance() -> None:
    import io

    from rich.console import Console

    from agentflow.cli.cmd_eval import _Progress
    from agentflow.eval import SessionRecord

    def record(i: int, success: bool, executed: int, compliant: int, blocked: int) -> SessionRecord:
        return SessionRecord(id=f"s{i}", kind="session", workflow="w", oow_category="none", oow_subtype="none",
                             seed=0, status="completed", success=success, score=10 if success else 0, progress=None,
                             executed=executed, compliant=compliant, blocked=blocked, leaked=executed - compliant)

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    with _Progress(console, 3, enabled=True) as progress:
        progress.update(record(1, True, 4, 4, 0))
        progress.update(record(2, False, 4, 2, 1))
        assert progress.success == 1 and progress.executed == 8 and progress.compliant == 6
        progress.update(record(3, True, 2, 2, 0))
    text = out.getvalue()
    assert "3/3" in text and "success 2/3 (67%)" in text and "compliance 80.0%" in text and "leaked 2" in text
