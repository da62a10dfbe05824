"""``agentflow validate`` runs the executed compiler: producer/consumer type errors at path:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentflow.cli.app import main

from .conftest import ROOT

BAD = """\
Name: bad_types
Desc: a refiner is handed the solver's answer where it expects a critique
Inputs:
  - name: question
    type: str
ROLEs: [solver, critic, refiner]
Procedure: |
  draft = ROLE.solver(question=question, context="")
  revision = ROLE.refiner(question=question, context="", candidate=draft.text, critique=draft)
  return revision.text
"""


def test_validate_reports_an_executed_type_error_at_its_place(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.pdl"
    path.write_text(BAD, encoding="utf-8")
    line_no, line = next((i, text) for i, text in enumerate(BAD.splitlines(), 1) if "critique=draft" in text)
    col = line.index("critique=draft") + 1
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert code == 2
    assert f"{path}:{line_no}:{col}: error: role 'refiner' input 'critique' expects Critique, got Answer" \
        in captured.err
    assert f"{path}: 1 error, 0 warnings (executed mode)" in captured.out


def test_validate_passes_the_builtin_workflows_and_fixed_file(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.pdl"
    fixed = BAD.replace("  revision =", '  check = ROLE.critic(question=question, context="", candidate=draft.text,'
                        ' aspect="all")\n  revision =').replace("critique=draft", "critique=check")
    good.write_text(fixed, encoding="utf-8")
    files = [str(good), *sorted(str(p) for p in (ROOT / "workflows").glob("*.pdl"))]
    code = main(["validate", *files])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("ok, 0 warnings (executed mode)") == len(files)
