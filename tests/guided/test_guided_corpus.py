"""Every corpus workflow that validates runs end to end: test-backend agent, scripted and simulated users,
tools from a generated Python file or from mocks — with zero executed violations in the trace."""

from __future__ import annotations

from pathlib import Path

import pytest
from guided_helpers import DATA, audit, of_type

from agentflow.errors import UserError
from agentflow.events import read_trace
from agentflow.guided.users import load_profile
from agentflow.pdl import load_pdl
from agentflow.runner import SessionConfig, SimulatedUser, Workflow, resolve_backends

CORPUS = DATA / "corpus"
FILES = sorted(CORPUS.glob("*/pdl/*.yaml"))


def _tools_spec(path: Path) -> Path | None:
    own = path.parent.parent / "tools" / path.name
    if own.is_file():
        return None
    found = sorted((path.parent.parent / "tools").glob("*.yaml"))
    return found[0] if found else None


def _valid() -> list[Path]:
    out = []
    for path in FILES:
        try:
            load_pdl(path, tools_spec=_tools_spec(path))
        except UserError:
            continue
        out.append(path)
    return out


VALID = _valid()


def test_most_of_the_corpus_validates() -> None:
    assert len(FILES) == 17 and len(VALID) >= 15


def _python_tools(wf: Workflow, folder: Path) -> Path:
    lines = ['"""Generated: every API answers with its response fields set to "true"."""', ""]
    for tool in wf.guided.tools:
        if not tool.name.isidentifier():
            continue
        fields = list(tool.returns.get("properties", {}) or ["result"])
        lines += [f"def {tool.name}(**kwargs):", f"    return {{name: 'true' for name in {fields!r}}}", ""]
    path = folder / "tools.py"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", VALID, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
async def test_corpus_workflow_scripted_user_python_tools(path: Path, tmp_path: Path) -> None:
    wf = Workflow.load(path, tools_spec=_tools_spec(path))
    trace = tmp_path / "t.jsonl"
    tools = str(_python_tools(wf, tmp_path))
    result = await wf.run(["你好，我想办理业务", "好的，请继续"], backend="test", tools=tools, trace=trace)
    records = list(read_trace(trace))
    assert result.status == "completed" and result.totals["turns"] == 2
    assert audit(records, wf.guided.rules) == []
    executed = [c for c in of_type(records, "tool_call") if c["status"] == "executed"]
    bound = [r["binding"] for r in of_type(records, "tool_result") if r["binding"]]
    assert executed, "the test agent calls the first allowed API"
    assert set(bound) <= {"python", "mock"} and ("python" in bound or not any(
        t.name.isidentifier() for t in wf.guided.tools))
    assert len(of_type(records, "agent_message")) == 2


@pytest.mark.parametrize("path", VALID[:6], ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
async def test_corpus_workflow_with_simulated_user(path: Path, tmp_path: Path) -> None:
    wf = Workflow.load(path, tools_spec=_tools_spec(path))
    trace = tmp_path / "t.jsonl"
    backends = resolve_backends("test")
    user = SimulatedUser(backends["user_simulator"], load_profile(DATA / "flight" / "user_profile" / "000.json"),
                         oow_schedule={1: "Detail Switching"})
    result = await wf.run(user, backend=backends, trace=trace, config=SessionConfig(max_turns=3))
    records = list(read_trace(trace))
    assert result.status in ("completed", "turn_limit")
    assert audit(records, wf.guided.rules) == []
    assert "user_simulator" in {r["role"] for r in of_type(records, "llm_call")}


def _ordered(wf: Workflow) -> list[str]:
    """APIs with their preconditions first (the order a compliant agent would call them)."""
    rules, done, out = wf.guided.rules, set(), []
    pending = list(rules.apis)
    while pending:
        ready = [a for a in pending if set(rules.apis[a].preconditions) <= done] or pending[:1]
        for name in ready:
            out.append(name)
            done.add(name)
            pending.remove(name)
    return out


@pytest.mark.parametrize("path", VALID, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_corpus_workflow_scripted_agent_cli(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from guided_helpers import write_yaml

    from agentflow.cli.app import main
    from agentflow.testing import synthesize

    wf = Workflow.load(path, tools_spec=_tools_spec(path))
    script: list[dict[str, object]] = []
    for name in _ordered(wf)[:5]:  # the action limit is 6 per turn: the last slot is the reply
        tool = wf.guided.tool(name)
        assert tool is not None
        script.append({"call": name, "args": synthesize(tool.parameters)})
    script.append({"say": "我已经为您处理完毕。"})
    agent = write_yaml(tmp_path / "agent.yaml", script)
    users = write_yaml(tmp_path / "users.yaml", ["你好，我需要帮助"])
    trace = tmp_path / "t.jsonl"
    argv = ["run", str(path), "--backend", f"scripted:{agent}", "--user", f"scripted:{users}",
            "--tools", str(_python_tools(wf, tmp_path)), "--trace", str(trace), "--quiet"]
    spec = _tools_spec(path)
    if spec is not None:
        argv += ["--tools-spec", str(spec)]
    assert main(argv) == 0, capsys.readouterr().err
    assert "compliance:" in capsys.readouterr().out
    records = list(read_trace(trace))
    assert audit(records, wf.guided.rules) == []
    calls = of_type(records, "tool_call")
    assert len(calls) == len(script) - 1 and calls[0]["status"] == "executed"
    assert records[-1]["type"] == "run_end" and records[-1]["status"] == "completed"
