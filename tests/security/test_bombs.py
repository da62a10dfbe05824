"""Class 4 of issue 13: resource bombs in files and expressions are refused, fast and located.

YAML aliases that double per level (a 1.5 KB PDL file took 12 s and 547 MB to validate), deep
nesting in YAML and JSON, and expressions that grow values without bound (``x = x * x`` in a loop,
``"%0999999999d" % 1``) each end in one located error — never minutes of CPU or gigabytes of memory.
The pytest timeout (300 s) is the backstop; the bombs below would take far longer unbounded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentflow.errors import UserError
from agentflow.pdl.bounds import MAX_INT_BITS
from agentflow.pdl.expr import ExprError, evaluate, parse_expr
from agentflow.safeload import MAX_ALIAS_NODES, MAX_DEPTH, load_json, load_yaml

from .conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
FLIGHT = ROOT / "pdl" / "examples" / "flight_booking.pdl"


def alias_bomb(levels: int = 30, indent: str = "") -> str:
    """Each anchor lists the previous one twice: 2**levels nodes from a few hundred bytes."""
    lines = [f"{indent}l0: &l0 [x, x]"]
    lines += [f"{indent}l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def deep_block_yaml(levels: int = MAX_DEPTH + 50) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)) + f"{'  ' * levels}leaf\n"


@pytest.mark.parametrize("levels", [18, 30, 60])
def test_alias_bomb_in_a_pdl_file_is_refused_at_the_alias(tmp_path: Path, levels: int) -> None:
    pdl = tmp_path / "bomb.pdl"
    pdl.write_text("Name: bomb\nDesc: x\nDetailed_desc:\n" + alias_bomb(levels, "  ") + "Procedure: |\n  reply done\n")
    res = run_cli(["validate", str(pdl), "--no-excerpt"])
    assert res.rc == 2
    assert f"aliases expand to more than {MAX_ALIAS_NODES} nodes" in res.err
    assert f"{pdl}:" in res.err and "Traceback" not in res.err + res.out


def test_alias_bomb_in_slots_and_tool_files(tmp_path: Path) -> None:
    tools = tmp_path / "tools.yaml"
    tools.write_text("- name: t\n  description: x\n  extra:\n" + alias_bomb(25, "    "))
    res = run_cli(["validate", str(FLIGHT), "--tools-spec", str(tools), "--no-excerpt"])
    assert res.rc == 2 and "aliases expand" in res.err and str(tools) in res.err


def test_alias_bomb_in_a_role_file_does_not_hang_run(tmp_path: Path) -> None:
    roles = tmp_path / "roles"
    roles.mkdir()
    role = "name: judge\npurpose: x\nprompt: y\nproduces: verdict\nz:\n"
    (roles / "judge.yaml").write_text(role + alias_bomb(40, "  "))
    for argv in (["validate", str(ROOT / "workflows" / "table_critic.pdl")],
                 ["run", str(ROOT / "workflows" / "table_critic.pdl"), "--example", "--backend", "test"]):
        res = run_cli([*argv, "--roles-dir", str(roles)])
        assert res.rc == 2, res.err
        assert f"{roles / 'judge.yaml'}:" in res.err and "aliases expand" in res.err


@pytest.mark.parametrize("flag", ["backend", "user", "prices"])
def test_alias_bomb_in_scripts_and_price_tables(tmp_path: Path, flag: str) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("- say: hi\n- say:\n" + alias_bomb(40, "    "))
    if flag == "prices":
        bomb.write_text(alias_bomb(40))
    user = ROOT / "pdl/examples/flight/user.yaml"
    argv = ["run", str(FLIGHT), "--backend", "test", "--user", f"scripted:{user}", "--quiet"]
    if flag == "backend":
        argv[3] = f"scripted:{bomb}"
    elif flag == "user":
        argv[5] = f"scripted:{bomb}"
    else:
        argv += ["--prices", str(bomb)]
    res = run_cli(argv)
    assert res.rc == 2 and "aliases expand" in res.err and f"{bomb}:" in res.err


def test_nesting_bombs_in_yaml_and_json() -> None:
    for text in (deep_block_yaml(), "[" * 10_000 + "]" * 10_000, "a: " + "{b: " * 5_000 + "1" + "}" * 5_000):
        with pytest.raises(UserError, match=r"nested|nesting"):
            load_yaml(text, "deep.yaml")
    for text in ("[" * 200 + "]" * 200, "[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        with pytest.raises(UserError, match="JSON nested more than") as info:
            load_json(text, "deep.json")
        assert (info.value.location is not None and info.value.location.col == MAX_DEPTH + 1) or "{" in text


def test_honest_aliases_merge_keys_and_nesting_still_load() -> None:
    text = "base: &b {retries: 2, timeout: 5}\nprod:\n  <<: *b\n  timeout: 9\nlist: [*b, *b]\n"
    assert load_yaml(text) == yaml.safe_load(text)
    nested = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert load_json(nested) == yaml.safe_load(nested)


@pytest.mark.parametrize(("expr", "env", "limit"), [
    ('"%0999999999d" % 1', {}, "width or precision"),
    ('"%.999999999f" % x', {"x": 1.5}, "width or precision"),
    ('"%*d" % [5, 1]', {}, "'*' widths"),
    ('"%s%s%s" % s', {"s": "x" * 900_000}, "text longer"),
    ("x * x", {"x": 2 ** (MAX_INT_BITS - 100)}, "bits"),
    ("x + x", {"x": 2**MAX_INT_BITS - 1}, "bits"),
    ('"ab" * 1000000000', {}, "text longer"),
    ("n * s", {"n": 10**9, "s": "x"}, "text longer"),
    ("xs * 1000000000", {"xs": [1]}, "list longer"),
    ("s + s", {"s": "y" * 600_000}, "text longer"),
    ("sum([x, x, x])", {"x": 2**MAX_INT_BITS - 1}, "bits"),
])  # fmt: skip
def test_expression_values_are_bounded_before_they_are_built(expr: str, env: dict[str, object], limit: str) -> None:
    with pytest.raises(ExprError, match=limit):
        evaluate(parse_expr(expr), env)


def test_honest_expressions_are_unchanged() -> None:
    assert evaluate(parse_expr('"%06.2f" % x'), {"x": 2.5}) == "002.50"
    assert evaluate(parse_expr('"%-4s|" % s'), {"s": "ab"}) == "ab  |"
    assert evaluate(parse_expr("x * x"), {"x": 2**1000}) == 2**2000
    assert evaluate(parse_expr('"-" * 40'), {}) == "-" * 40


def test_squaring_loop_in_an_executed_run_stops_at_the_bound(tmp_path: Path) -> None:
    pdl = tmp_path / "squares.pdl"
    pdl.write_text("Name: squares\nInputs: {n: int}\nOutputs: {x: int}\nProcedure: |\n  x = n\n"
                   "  while x > 0 max 40:\n    x = x * x\n  return x\n")  # fmt: skip
    res = run_cli(["run", str(pdl), "--backend", "test", "--input", "n=3"])
    assert res.rc == 1
    assert f"{pdl}:7:5:" in res.out + res.err and f"integer larger than {MAX_INT_BITS} bits" in res.out + res.err
