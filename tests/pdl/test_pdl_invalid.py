"""Invalid files produce exactly the expected compiler-style error, at the right line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentflow.errors import UserError
from agentflow.pdl import check, load_pdl
from agentflow.pdl.ast import Text, walk
from agentflow.pdl.loader import parse_file
from agentflow.pdl.roleref import known_role_names

INVALID = Path(__file__).resolve().parents[1] / "data" / "pdl" / "invalid"

EXPECTED = {
    "bad_value_precondition.pdl": "7:39: error: value precondition 'is_ai == \"true\"' reads no declared API (is_ai)"
    " (hint: write it as API_NAME.field == value)",
    "break_outside_loop.pdl": "8:7: error: 'break' outside a loop (hint: use it inside while/for)",
    "conflicting_duplicate.pdl": "6:11: error: slot 'people' is declared twice with conflicting types"
    " (first declared at line 4) (hint: keep one declaration)",
    "duplicate_key.pdl": "3:1: error: duplicate key 'Desc' in the file (first at line 2) (hint: remove one of them)",
    "empty.pdl": "1:1: error: empty file (hint: a PDL file is a mapping with Name, Desc, APIs, ANSWERs, Procedure)",
    "no_procedure.pdl": "1:1: error: no procedure: add a 'Procedure:' (or 'PDL:') block",
    "orphan_else.pdl": "5:3: error: 'else' without a matching 'if' (hint: indent it like its 'if' line)",
    "precondition_cycle.pdl": "4:11: error: precondition cycle: a -> b -> a"
    " (hint: no API can ever run; remove one edge)",
    "prose_condition.pdl": "8:6: error: 'the draft looks good enough' is not a machine-checkable expression"
    " (hint: executed workflows need code here, e.g. verdict.ok or score >= 8)",
    "reply_called_as_api.pdl": "9:20: error: API 'ask_order_id' is declared nowhere (not under APIs:)"
    " (hint: 'ask_order_id' is an ANSWER: write ANSWER.ask_order_id())",
    "type_mismatch.pdl": "7:6: error: 'rounds' is integer but is compared with the string '3'"
    " (hint: compare with the number 3)",
    "unclosed_call.pdl": "11:18: error: call to API.find_parcel is never closed: missing ')'"
    " (hint: close the argument list with ')')",
    "undeclared_api.pdl": "8:18: error: API 'find_parcl' is declared nowhere (not under APIs:)"
    " (hint: did you mean find_parcel?)",
    "undeclared_bare_call.pdl": "6:9: error: 'get_hospitl(...)' calls nothing declared (not an API, ANSWER or def)"
    " (hint: did you mean get_hospital?)",
    "undeclared_role.pdl": "9:18: error: ROLE 'jduge' is declared nowhere (hint: did you mean judge?)",
    "unknown_precondition.pdl": "6:20: error: precondition 'checkAvailabilty' of API 'reserveFlight' is not a"
    " declared API (hint: did you mean checkAvailability?)",
    "unreachable.pdl": "9:3: error: unreachable code after 'return' (hint: remove it or move it before that line)",
    "yaml_error.pdl": "5:4: error: YAML: did not find expected '-' indicator",
    "zero_budget.pdl": "7:8: error: a loop budget must be at least 1",
    "undefined_name.pdl": "8:6: error: 'verdcit' is not defined"
    " (hint: declare it under Inputs: or assign it before use)",
    "role_output_mismatch.pdl": "8:3: error: 'v' is declared Critique but ROLE.judge returns Verdict"
    " (hint: write `v: Verdict = ...`)",
    "available_types_mismatch.pdl": "8:6: error: 'Luxury' is not one of the available_types of 'cabin'"
    " (Economy, Business)",
    "api_bad_keyword.pdl": "10:19: error: API 'find_parcel' has no parameter 'parcel' (hint: parameters: parcel_id)",
    "while_true_no_exit.pdl": "6:3: error: unreachable code after a 'while True' loop with no break"
    " (hint: remove it or move it before that line)",
    "quoted_procedure.pdl": "5:58: error: API 'lookp' is declared nowhere (not under APIs:)"
    " (hint: did you mean lookup?)",  # a double-quoted procedure: the second line is on the file's line 5
    "folded_procedure.pdl": "8:15: error: API 'lookp' is declared nowhere (not under APIs:)"
    " (hint: did you mean lookup?)",  # a folded procedure: its second paragraph starts on line 8
    "comment_only_executed.pdl": "5:3: error: 'if' branch has only comments: an executed workflow has nothing"
    " to run (hint: write the statements the comment describes)",
}


def test_every_invalid_file_is_pinned() -> None:
    assert sorted(p.name for p in INVALID.glob("*.pdl")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_file_error(name: str) -> None:
    path = INVALID / name
    doc = parse_file(path)
    errors = [d for d in check(doc, known_roles=known_role_names(path)) if d.is_error]
    assert [d.headline() for d in errors] == [f"{path}:{EXPECTED[name]}"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_pdl_raises_one_located_user_error(name: str) -> None:
    path = INVALID / name
    with pytest.raises(UserError) as info:
        load_pdl(path, known_roles=known_role_names(path))
    assert info.value.location is not None
    assert info.value.render() == f"{path}:{EXPECTED[name]}"


def test_caret_excerpt_points_at_the_name() -> None:
    path = INVALID / "undeclared_api.pdl"
    doc = parse_file(path)
    (err,) = [d for d in check(doc) if d.is_error]
    lines = err.render(doc.source).splitlines()
    assert lines[1] == "    8 |   [status] = API.find_parcl([parcel_id])"
    assert lines[2] == " " * len("    8 | ") + " " * 17 + "^" + "~" * (len("find_parcl") - 1)


def test_non_utf8_file_is_located(tmp_path: Path) -> None:
    p = tmp_path / "bin.pdl"
    p.write_bytes(b"Name: x\nDesc: \xff\xfe\n")
    with pytest.raises(UserError) as info:
        load_pdl(p)
    assert info.value.render() == f"{p}:2:7: error: file is not UTF-8 text (hint: save it as UTF-8)"


def test_missing_file() -> None:
    with pytest.raises(UserError, match="file not found"):
        load_pdl(INVALID / "does-not-exist.pdl")


WARNINGS = [
    "3:1: warning: unknown key 'Colour' (ignored) (hint: known keys: Name, Desc, Detailed_desc, SLOTs, APIs,"
    " ANSWERs, Procedure, PDL, Inputs, Outputs, ROLEs)",
    "7:11: warning: slot 'hospital' is declared twice with different descriptions (first declared at line 5)"
    " (hint: keep one declaration)",
    "17:11: warning: ANSWER 'ask' is declared twice (first declared at line 16) (hint: remove the repeat)",
    "19:14: warning: slot 'doctor' is used but not declared under SLOTs"
    " (hint: declare it so the model knows what to ask for)",
    "20:12: warning: call to API 'check_hospital' without the 'API.' prefix (hint: write API.check_hospital(...))",
    "21:6: warning: 'code' is integer but is compared with the string '0' (hint: compare with the number 0)",
    "21:16: warning: missing ':' at the end of the 'if' line (hint: write `if code == \"0\":`)",
    "22:14: warning: ANSWER 'no_such_hospital' is not declared under ANSWERs"
    " (hint: the model treats it as a reply intent; declare it to describe it)",
]


def test_tolerated_problems_are_pinned_warnings() -> None:
    path = INVALID.parent / "warnings.pdl"
    doc = load_pdl(path)  # valid: no exception
    assert [d.headline() for d in doc.diagnostics] == [f"{path}:{w}" for w in WARNINGS]
    stray = [s for s in walk(doc.procedure) if isinstance(s, Text)]
    assert [(s.text, s.span.line, s.span.col) for s in stray] == [("stray sentence left by a converter", 25, 7)]


@pytest.mark.parametrize(("style", "where"), [(">", "5:12"), ("", "6:3")])
def test_a_procedure_whose_lines_yaml_joined_gets_a_located_warning(tmp_path: Path, style: str, where: str) -> None:
    path = tmp_path / "joined.pdl"
    path.write_text(f"Name: j\nAPIs:\n  - name: f\n    request: [a]\nProcedure: {style}\n"
                    "  x = API.f(a=1)\n  y = API.f(a=2)\n", encoding="utf-8")
    warnings = [d.headline() for d in check(parse_file(path)) if not d.is_error]
    how = "folded ('>')" if style else "plain"
    assert warnings == [f"{path}:{where}: warning: the procedure is a {how} YAML scalar: YAML joined its lines"
                        " (hint: write 'Procedure: |' so that each line stays a line)"]
    kept = tmp_path / "kept.pdl"
    kept.write_text(path.read_text().replace(f"Procedure: {style}", "Procedure: |"), encoding="utf-8")
    assert [d for d in check(parse_file(kept)) if not d.is_error] == []
