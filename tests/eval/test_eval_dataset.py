"""Dataset format, loader errors, and the FlowAgent corpus importers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from agentflow.errors import UserError
from agentflow.eval import EvalCase, dump_dataset, import_path, load_dataset
from agentflow.eval.importers import import_fixed_queries, import_workflows


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_load_resolves_paths_reads_preconditions_and_balances_oow(tmp_path: Path, data_dir: Path) -> None:
    wf = data_dir / "flowagent" / "pdl" / "000.yaml"
    rows = [{"id": f"c{i}", "workflow": str(wf), "user": {"turns": ["hi"]}, "oow": "balanced"} for i in range(6)]
    cases = load_dataset(_write(tmp_path / "d.jsonl", rows), seed=3)
    assert [c.seed for c in cases] == [3] * 6
    assert cases[0].preconditions == {"checkAvailability": [], "reserveFlight": ["checkAvailability"]}
    assert Counter(c.oow_category for c in cases) == {"Intent Switching": 2, "Answering Irrelevantly": 2,
                                                      "Process Jumping": 2}
    # relative paths are relative to the dataset file
    rel = tmp_path / "sub"
    rel.mkdir()
    (rel / "wf.yaml").write_text(wf.read_text(encoding="utf-8"), encoding="utf-8")
    one = load_dataset(_write(rel / "d.jsonl", [{"id": "a", "workflow": "wf.yaml", "user": {"turns": ["x"]}}]))
    assert one[0].workflow == str((rel / "wf.yaml").resolve())


@pytest.mark.parametrize(("line", "message", "col"), [
    ('{"id": "a", "workflow": ', "invalid JSON", None),
    ('{"id": "a"}', "workflow: Field required", 1),
    ('{"id": "a", "workflow": "nope.yaml"}', "workflow file not found", 1),
    ('{"id": "a", "workflow": "W", "user": {"turns": ["x"], "profile": {}}}', "exactly one of", 1),
])
def test_load_errors_are_located(tmp_path: Path, data_dir: Path, line: str, message: str, col: int | None) -> None:
    wf = str(data_dir / "flowagent" / "pdl" / "000.yaml")
    path = tmp_path / "bad.jsonl"
    first = json.dumps({"id": "ok", "workflow": wf})
    path.write_text(first + "\n" + line.replace('"W"', json.dumps(wf)) + "\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_dataset(path)
    text = info.value.render()
    assert message in text and f"{path}:2:" in text and "Traceback" not in text


def test_duplicate_ids_and_empty_dataset(tmp_path: Path, data_dir: Path) -> None:
    wf = str(data_dir / "flowagent" / "pdl" / "000.yaml")
    with pytest.raises(UserError, match="duplicate case id 'a'"):
        load_dataset(_write(tmp_path / "d.jsonl", [{"id": "a", "workflow": wf}, {"id": "a", "workflow": wf}]))
    (tmp_path / "e.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(UserError, match="no cases"):
        load_dataset(tmp_path / "e.jsonl")


def test_import_flowagent_folder(data_dir: Path) -> None:
    cases = import_workflows(data_dir / "flowagent", seed=5, repeats=3)
    assert len(cases) == 15  # 5 profiles x 3 repeats
    assert all(c.user is not None and c.user.profile for c in cases)
    assert cases[0].expected_apis == ["checkAvailability", "reserveFlight"]
    assert cases[0].tools_spec and cases[0].tools_spec.endswith("tools/000.yaml")
    assert Counter(c.oow_category for c in cases) == {"Intent Switching": 5, "Answering Irrelevantly": 5,
                                                      "Process Jumping": 5}
    assert all(2 <= c.oow[0].turn <= 4 for c in cases)
    assert cases[0].tags["workflow"] == "flight booking"
    again = import_workflows(data_dir / "flowagent", seed=5, repeats=3)
    assert [c.oow for c in again] == [c.oow for c in cases]  # the schedule is fixed


def test_import_fixed_queries_and_roundtrip(tmp_path: Path, data_dir: Path) -> None:
    cases = import_path(data_dir / "fixed_queries", workflows=data_dir / "fa_ruled")
    assert len(cases) == 21 + 18 + 27
    assert len({c.id for c in cases}) == len(cases)
    invoice = next(c for c in cases if c.id.startswith("001-001"))
    assert invoice.user is not None
    assert invoice.user.turns == ["订单号10086", "王二", "25142", "电子", "再帮我开一张纸质专票"]
    assert invoice.preconditions and invoice.preconditions["开票进度查询"] == ["查询开票方式"]
    out = dump_dataset(cases, tmp_path / "fixed.jsonl")
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert not Path(first["workflow"]).is_absolute()
    back = load_dataset(out)
    assert [c.model_dump() for c in back] == [c.model_dump() for c in cases]
    with pytest.raises(UserError, match="--workflows"):
        import_path(data_dir / "fixed_queries")
    with pytest.raises(UserError, match="not a dataset"):
        import_path(tmp_path / "nothing")


def test_missing_workflow_for_queries(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(UserError, match=r"no workflow pdl/001\.yaml"):
        import_fixed_queries(data_dir / "fixed_queries", tmp_path)


def test_case_model_forbids_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        EvalCase.model_validate({"id": "a", "workflow": "w", "surprise": 1})
