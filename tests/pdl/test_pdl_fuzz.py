"""Bad input never escapes as anything but located UserErrors: mutated corpus files, and hostile files.

The property: for any bytes, ``load_pdl`` returns a document or raises :class:`UserError` with a
location; the parser, checker and flowchart never raise anything else and never hang.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentflow.errors import UserError
from agentflow.pdl import check, load_pdl, parse_pdl_text
from agentflow.pdl.flowchart import flowchart, to_dot, to_mermaid

CORPUS = Path(__file__).resolve().parents[1] / "data" / "pdl" / "corpus"
SEEDS = [
    (CORPUS / "FlowAgent/dataset/sample/pdl/000.yaml").read_text(encoding="utf-8"),
    (CORPUS / "FA/dataset/v241127/pdl/000.yaml").read_text(encoding="utf-8"),
    (CORPUS / "FA/dataset/example/pdl/000.yaml").read_text(encoding="utf-8"),
    (Path(__file__).resolve().parents[2] / "workflows" / "generate_verify_refine.pdl").read_text(encoding="utf-8")
    if (Path(__file__).resolve().parents[2] / "workflows" / "generate_verify_refine.pdl").is_file()
    else "Name: x\nInputs: {q: str}\nProcedure: |\n  a = ROLE.actor(q=q)\n  return a\n",
]
TOKENS = [":", "(", ")", "[", "]", "{", "}", "'", '"', "#", "\t", "    ", "\n", "- ", "|", "|4", ">", "&a", "*a",
          "if ", "elif ", "else:", "while ", "for x in ", "max 0", "break", "return", "parallel:", "def f(", "API.",
          "API_", "ANSWER.", "ROLE.", "==", "=", "，", "（", "\x00", "\ufeff", "---", "!!python/object:os.system",
          "precondition: [", "Procedure: |", "APIs: 5", "SLOTs:", "名字", "𝔘", "\r"]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "dup", "indent", "truncate"]))
        pos = draw(st.integers(0, len(text)))
        if op == "insert":
            text = text[:pos] + draw(st.sampled_from(TOKENS) | st.text(max_size=8)) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 40)) :]
        elif op == "dup":
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif op == "indent":
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = " " * draw(st.integers(1, 9)) + lines[i]
            text = "\n".join(lines)
        else:
            text = text[:pos]
    return text


def _exercise(text: str, path: str = "fuzz.pdl") -> None:
    doc = parse_pdl_text(text, path)
    diags = check(doc, known_roles={"actor", "critic"})
    lines = text.splitlines()
    for d in diags:
        assert d.location.path == path and d.location.line >= 1 and d.location.col >= 1, d
        assert d.render(lines).startswith(f"{path}:{d.location.line}:{d.location.col}: {d.severity}: ")
    graph = flowchart(doc)
    to_mermaid(graph)
    to_dot(graph)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutated())
def test_mutated_files_yield_only_located_diagnostics(text: str) -> None:
    _exercise(text)


@settings(max_examples=60, deadline=2000, derandomize=True)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_located_user_errors(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "x.pdl"
    path.write_bytes(data)
    try:
        load_pdl(path)
    except UserError as exc:
        assert exc.location is not None and exc.location.path == str(path)


HOSTILE = {
    "deep_flow": "Name: x\nProcedure: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep_mapping": "Name: x\nAPIs:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 400)),
    "deep_indent": "Name: x\nProcedure: |\n" + "".join("  " * (i + 1) + "if a:\n" for i in range(300)),
    "wrong_types": "Name: [1]\nDesc: {a: 1}\nSLOTs: {a: 1}\nAPIs: 5\nANSWERs: [1, [2]]\nProcedure: [1, {a: b}]\n",
    "anchors": "a: &a [*a, *a]\nName: *a\nProcedure: |\n  x\n",
    "python_tag": "Name: !!python/object/apply:os.system ['true']\nProcedure: |\n  x\n",
    "long_line": "Name: x\nProcedure: |\n  " + "API.f(" * 20000 + "\n",
    "many_quotes": "Name: x\nProcedure: |\n  " + "'a" * 20000 + "\n",
    "two_docs": "Name: x\n---\nName: y\n",
    "unclosed_everywhere": "Name: x\nProcedure: |\n" + "  x = API.f(\n" * 3000,
}


@pytest.mark.timeout(120)  # a hang guard; speed itself is measured in benchmarks/, not asserted here
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_handled_and_located(name: str) -> None:
    _exercise(HOSTILE[name])


@pytest.mark.timeout(120)  # a hang guard (a quadratic parser would take hours on this file)
def test_huge_file_parses_and_checks(tmp_path: Path) -> None:
    body = "".join(f"  [v{i}] = ANSWER.ask_{i % 7}()\n  if v{i} == 'x':\n      API.f([v{i}])\n" for i in range(6000))
    text = "Name: big\nAPIs:\n  - name: f\nProcedure: |\n" + body
    doc = parse_pdl_text(text, "big.pdl")
    check(doc)
    assert len(list(doc.calls())) == 12000
