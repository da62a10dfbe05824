"""The examples in pdl/examples validate, draw, and run end to end with the test backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentflow.cli import main
from agentflow.pdl import check, load_pdl
from agentflow.pdl.flowchart import flowchart, to_mermaid
from agentflow.pdl.roleref import known_role_names

EXAMPLES = Path(__file__).resolve().parents[2] / "pdl" / "examples"
FILES = sorted([*EXAMPLES.glob("*.pdl"), *EXAMPLES.glob("*/pdl/*.yaml")])
MODES = {"flight_booking.pdl": "guided", "review_loop.pdl": "executed", "000.yaml": "guided"}


def test_examples_exist() -> None:
    assert [p.name for p in FILES] == ["flight_booking.pdl", "000.yaml", "review_loop.pdl"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_validates_and_draws(path: Path) -> None:
    doc = load_pdl(path, known_roles=known_role_names(path))
    assert doc.mode == MODES[path.name]
    assert not [d for d in check(doc, known_roles=known_role_names(path)) if d.is_error]
    assert "flowchart TD" in to_mermaid(flowchart(doc))


def test_parcel_example_merges_its_tool_file() -> None:
    doc = load_pdl(EXAMPLES / "parcel" / "pdl" / "000.yaml")
    find, notify = doc.api("find_parcel"), doc.api("notify_courier")
    assert find is not None and find.tool is not None and find.tool.parameters["required"] == ["parcel_id"]
    assert notify is not None and notify.tool is not None and notify.preconditions == ("find_parcel",)
    assert notify.tool.returns["properties"] == {"ticket": {"type": "string"}}


def test_review_loop_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(EXAMPLES / "review_loop.pdl"), "--backend", "test", "--input", "question=2+2?", "--quiet"])
    assert code == 0
    assert "status: completed" in capsys.readouterr().out


def test_flight_booking_runs_with_a_scripted_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    user = tmp_path / "user.yaml"
    user.write_text("- I want to book CA1234 tomorrow at noon\n- Economy please\n", encoding="utf-8")
    code = main(["run", str(EXAMPLES / "flight_booking.pdl"), "--backend", "test", "--user", f"scripted:{user}",
                 "--quiet"])  # fmt: skip
    assert code == 0
    assert "status completed" in capsys.readouterr().out
