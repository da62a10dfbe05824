"""Golden tests over every PDL file of the FlowAgent corpus (copied to tests/data/pdl/corpus).

Each file either validates and renders as a flowchart (Mermaid and DOT) and a dependency graph, or is
rejected with pinned errors. Warnings are pinned by kind and count so a checker change that adds or
loses one is noticed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from agentflow.pdl import check
from agentflow.pdl.ast import Text, walk
from agentflow.pdl.depgraph import dependency_graph
from agentflow.pdl.flowchart import flowchart, to_dot, to_mermaid
from agentflow.pdl.loader import parse_file

CORPUS = Path(__file__).resolve().parents[1] / "data" / "pdl" / "corpus"

# The one LLM-converted file that really is broken: the converter turned the parameter-extraction
# reply (an ANSWER in the rule-converted twin: `ANSWER.订单、会员卡id、姓名参数()`) and two
# clarification replies into API calls, and no API of those names exists in the file or its tool file.
REJECTED = {
    "FA/dataset/v241127_converted_llm/pdl/001.yaml": [
        "95:37: error: API '订单、会员卡id、姓名参数' is declared nowhere (neither in this file nor in its tool file)"
        " (hint: declare it under APIs: or in the tool file)",
        "115:30: error: API '白金卡开票类型澄清' is declared nowhere (neither in this file nor in its tool file)"
        " (hint: declare it under APIs: or in the tool file)",
        "128:30: error: API '非白金卡开票类型澄清' is declared nowhere (neither in this file nor in its tool file)"
        " (hint: declare it under APIs: or in the tool file)",
    ],
}

# file -> (has tool file, calls, warnings by code)
VALID = {
    "FA/dataset/example/pdl/000.yaml": (False, 6, {}),
    "FA/dataset/v241127/pdl/000.yaml": (True, 20, {"type-mismatch": 2, "duplicate-declaration": 1,
                                                    "missing-colon": 1, "missing-prefix": 1, "undeclared-slot": 1,
                                                    "undeclared-answer": 1}),
    "FA/dataset/v241127/pdl/001.yaml": (True, 15, {}),
    "FA/dataset/v241127/pdl/002.yaml": (True, 41, {"undeclared-answer": 13, "undeclared-slot": 4}),
    "FA/dataset/v241127_converted_llm/pdl/000.yaml": (True, 200, {"undeclared-answer": 23,
                                                                  "duplicate-declaration": 8, "undeclared-slot": 1}),
    "FA/dataset/v241127_converted_llm/pdl/002.yaml": (True, 18, {"undeclared-answer": 5}),
    "FA/dataset/v241127_converted_llm/pdl/004.yaml": (True, 23, {"undeclared-answer": 4}),
    "FA/dataset/v241127_converted_llm/pdl/006.yaml": (True, 39, {"undeclared-answer": 6}),
    "FA/dataset/v241127_converted_llm/pdl/007.yaml": (True, 92, {"undeclared-answer": 12, "undeclared-slot": 7,
                                                                 "duplicate-declaration": 5}),
    "FA/dataset/v241127_converted_ruled/pdl/000.yaml": (True, 76, {"duplicate-declaration": 8}),
    "FA/dataset/v241127_converted_ruled/pdl/001.yaml": (True, 19, {"duplicate-declaration": 1}),
    "FA/dataset/v241127_converted_ruled/pdl/002.yaml": (True, 18, {}),
    "FA/dataset/v241127_converted_ruled/pdl/004.yaml": (True, 23, {}),
    "FA/dataset/v241127_converted_ruled/pdl/006.yaml": (True, 39, {}),
    "FA/dataset/v241127_converted_ruled/pdl/007.yaml": (True, 53, {"duplicate-declaration": 5}),
    "FlowAgent/dataset/sample/pdl/000.yaml": (True, 4, {"comment-only": 3, "undeclared-slot": 2}),
}  # fmt: skip


def test_every_corpus_file_is_pinned() -> None:
    found = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("**/pdl/*.yaml"))
    assert found == sorted([*VALID, *REJECTED])


@pytest.mark.parametrize("rel", sorted(VALID))
def test_corpus_file_validates_and_renders(rel: str) -> None:
    has_tools, n_calls, warnings = VALID[rel]
    doc = parse_file(CORPUS / rel)
    diags = check(doc)
    assert [d.headline() for d in diags if d.is_error] == []
    assert dict(Counter(d.code for d in diags)) == warnings
    assert (doc.tools_path is not None) == has_tools
    assert doc.mode == "guided"
    calls = list(doc.calls())
    assert len(calls) == n_calls
    # every call's name span points at its name in the file
    lines = doc.source.split("\n")
    for call in calls:
        line = lines[call.name_span.line - 1]
        assert line[call.name_span.col - 1 :].startswith(call.name), (call, line)
    # nothing was left as unreadable text in these files
    assert not [s for s in walk(doc.procedure) if isinstance(s, Text)]
    chart = flowchart(doc)
    assert chart.number_of_nodes() >= n_calls + 2
    mermaid = to_mermaid(chart)
    assert mermaid.startswith("flowchart TD\n") and mermaid.count("-->") == chart.number_of_edges()
    assert to_dot(chart).count(" -> ") == chart.number_of_edges()
    deps = dependency_graph(doc)
    assert deps.number_of_nodes() >= len({a.name for a in doc.apis})


@pytest.mark.parametrize("rel", sorted(REJECTED))
def test_broken_corpus_file_is_rejected_precisely(rel: str) -> None:
    path = CORPUS / rel
    doc = parse_file(path)
    errors = [d.headline() for d in check(doc) if d.is_error]
    assert errors == [f"{path}:{e}" for e in REJECTED[rel]]


def test_tool_files_of_all_three_formats_map_to_json_schema() -> None:
    flowbench = parse_file(CORPUS / "FlowAgent/dataset/sample/pdl/000.yaml")
    reserve = flowbench.api("reserveFlight")
    assert reserve is not None and reserve.tool is not None
    assert reserve.tool.parameters["required"] == ["plan_code"]
    assert reserve.tool.returns["properties"]["boarding_number"]["type"] == "string"  # key was "type " in the file
    assert reserve.preconditions == ("checkAvailability",)

    jsonschema_fmt = parse_file(CORPUS / "FA/dataset/v241127/pdl/000.yaml")
    hospital = jsonschema_fmt.api("check_hospital_exist")
    assert hospital is not None and hospital.tool is not None
    assert "北京协和医院" in hospital.tool.parameters["properties"]["hos_name"]["enum"]
    assert hospital.tool.http == {"url": "http://tools.invalid/check-hospital-exist", "method": "GET"}

    canvas = parse_file(CORPUS / "FA/dataset/v241127_converted_llm/pdl/004.yaml")
    code1 = canvas.api("代码1")
    assert code1 is not None and code1.tool is not None
    assert code1.tool.parameters["properties"]["data1"] == {
        "type": "array",
        "items": {"type": "object"},
        "description": "订单信息",
    }
    orders = canvas.api("查询账户中是否有订单")
    assert orders is not None and orders.tool is not None
    assert orders.tool.parameters["properties"]["uid"]["type"] == "integer"


def test_dialects_resolve_to_declarations() -> None:
    sample = parse_file(CORPUS / "FlowAgent/dataset/sample/pdl/000.yaml")
    assert sample.procedure_key == "PDL"
    first = next(sample.calls())
    assert (first.kind, first.style, first.name) == ("ANSWER", "underscore", "Please_provide_necessary_information")
    assert sample.answer(first.name) is not None  # declared as "Please provide necessary information"
    news = parse_file(CORPUS / "FA/dataset/example/pdl/000.yaml")
    loop_call = next(news.calls())
    assert (loop_call.kind, loop_call.name) == ("ANSWER", "请用户提供必要信息")
    in_condition = next(c for c in news.calls() if c.kind == "API")
    assert in_condition.name == "check_location" and [a.text for a in in_condition.args] == ["news_location"]
    restaurant = parse_file(CORPUS / "FA/dataset/v241127_converted_llm/pdl/002.yaml")
    names = [c.name for c in restaurant.calls()]
    assert "请问您贵姓，怎么称呼" in names and "预定成功-附近门店" in names
