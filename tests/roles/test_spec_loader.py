"""Role files: schema, loading, overriding, rendering, and the errors users see."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentflow.errors import UserError
from agentflow.messages import Verdict
from agentflow.roles import RoleLibrary, RoleSpec, load_role_file

BUILTINS = {"oow_classifier", "user_simulator", "answer_grader"}


def test_builtin_roles_load_and_are_typed() -> None:
    lib = RoleLibrary()
    assert set(lib) >= BUILTINS
    assert lib.get("answer_grader").output_type is Verdict
    oow = lib.get("oow_classifier").output_type
    label = oow.model_validate({"kind": "oow_label", "category": "process_jumping", "subtype": "step_skipping"})
    assert label.category == "process_jumping"  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        oow.model_validate({"kind": "oow_label", "category": "nonsense"})


def test_schema_forbids_unknown_keys() -> None:
    schema = RoleSpec.model_json_schema()
    assert schema["additionalProperties"] is False
    with pytest.raises(ValueError, match="extra"):
        RoleSpec.model_validate({"name": "x", "purpose": "p", "prompt": "hi", "produces": "answer", "promt": "typo"})


def test_error_points_at_line_of_bad_key(tmp_path: Path) -> None:
    f = tmp_path / "judge.yaml"
    f.write_text("name: judge\npurpose: p\nprompt: hi\nproduces: verdict\nmodel:\n  temprature: 0.1\n")
    with pytest.raises(UserError) as info:
        load_role_file(f)
    assert f"{f}:6:3" in str(info.value)
    assert "temprature" in str(info.value)


def test_name_must_match_file_and_kind_must_exist(tmp_path: Path) -> None:
    f = tmp_path / "judge.yaml"
    f.write_text("name: juge\npurpose: p\nprompt: hi\nproduces: verdict\n")
    with pytest.raises(UserError, match="does not match the file name"):
        load_role_file(f)
    f.write_text("name: judge\npurpose: p\nprompt: hi\nproduces: verdikt\n")
    with pytest.raises(UserError, match="unknown message kind 'verdikt'"):
        load_role_file(f)


def test_template_syntax_error_is_located(tmp_path: Path) -> None:
    f = tmp_path / "judge.yaml"
    f.write_text("name: judge\npurpose: p\nprompt: 'hi {{ x '\nproduces: verdict\n")
    with pytest.raises(UserError, match="prompt template"):
        load_role_file(f)


def test_user_folder_overrides_builtin(tmp_path: Path) -> None:
    (tmp_path / "answer_grader.yaml").write_text(
        "name: answer_grader\npurpose: lenient\nprompt: 'Grade {{ answer }}'\nproduces: verdict\n"
    )
    lib = RoleLibrary([tmp_path])
    role = lib.get("answer_grader")
    assert role.spec.purpose == "lenient"
    assert role.render({"answer": "42"}) == ("lenient", "Grade 42")
    assert "oow_classifier" in lib


def test_missing_variable_names_it_and_sandbox_blocks_mutation(tmp_path: Path) -> None:
    role = RoleLibrary().get("answer_grader")
    with pytest.raises(UserError, match="'question' is undefined"):
        role.render({"answer": "a"})
    (tmp_path / "evil.yaml").write_text(
        "name: evil\npurpose: p\nprompt: '{{ items.append(1) }}'\nproduces: answer\n"
    )
    evil = load_role_file(tmp_path / "evil.yaml")
    with pytest.raises(Exception, match="unsafe"):
        evil.render({"items": []})


def test_unknown_role_lists_known() -> None:
    with pytest.raises(UserError, match=r"known roles: .*answer_grader"):
        RoleLibrary().get("nope")


SAMPLE_INPUTS = {
    "task": "t", "step": "s", "ledger": ["a"], "failure": "f", "question": "q", "candidate": "c", "context": "x",
    "aspect": "arithmetic", "guidance": ["g"], "critiques": [], "candidates": [], "critique": None,
    "revision": None, "tree": ["arithmetic"], "feedback": "", "others": [], "seat": 1, "code": "", "report": "",
    "user_message": "u", "agent_message": "a", "workflow": "w", "history": [], "profile": {}, "oow": "",
    "answer": "a", "reference": "r", "rubric": "",
}


def test_every_builtin_role_renders() -> None:
    from agentflow.messages import Critique

    lib = RoleLibrary()
    assert {"planner", "actor", "critic", "judge", "refiner", "curator"} <= set(lib)
    for name in lib:
        inputs = dict(SAMPLE_INPUTS)
        if name == "curator":
            inputs["critique"] = Critique(text="wrong sum")
        system, user = lib.get(name).render(inputs)
        assert system and user, name
