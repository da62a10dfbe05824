"""``agentflow validate``, ``graph`` and ``schema``: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from agentflow.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "pdl"
SAMPLE = DATA / "corpus" / "FlowAgent" / "dataset" / "sample" / "pdl" / "000.yaml"
BROKEN = DATA / "corpus" / "FA" / "dataset" / "v241127_converted_llm" / "pdl" / "001.yaml"


def test_validate_ok_with_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"{SAMPLE}: ok, 5 warnings (guided mode)"
    assert f"{SAMPLE}:36:5: warning: 'if' branch has only comments" in err


def test_validate_fails_when_any_file_has_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--quiet", str(SAMPLE), str(BROKEN)]) == 2
    out, err = capsys.readouterr()
    assert out.strip() == f"{BROKEN}: 3 errors, 1 warning (guided mode)"
    assert err.count(": error: ") == 3 and "warning" not in err


def test_validate_missing_and_yaml_broken(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "nope.pdl", str(DATA / "invalid" / "yaml_error.pdl")]) == 2
    _, err = capsys.readouterr()
    assert "nope.pdl: error: file not found" in err
    assert "yaml_error.pdl:5:4: error: YAML: did not find expected '-' indicator" in err


def test_validate_with_explicit_tools_spec(capsys: pytest.CaptureFixture[str]) -> None:
    example = DATA / "corpus" / "FA" / "dataset" / "example"
    assert (
        main(["validate", str(example / "pdl" / "000.yaml"), "--tools-spec", str(example / "tools" / "001.yaml")]) == 0
    )
    assert "ok, 0 warnings" in capsys.readouterr().out


def test_graph_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(SAMPLE)]) == 0
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("flowchart TD") and "API.checkAvailability" in mermaid
    assert main(["graph", str(SAMPLE), "--format", "dot", "--deps"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith('digraph "flight booking"') and "API.reserveFlight" in dot and " -> " in dot
    assert main(["graph", str(BROKEN)]) == 2
    assert "error: API '订单、会员卡id、姓名参数' is declared nowhere" in capsys.readouterr().err


def test_schema_pdl_accepts_corpus_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "pdl"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.validate(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"Name": "x", "Procedure": "a", "Bogus": 1}, schema)


def test_schema_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "role"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "name" in schema["properties"]
