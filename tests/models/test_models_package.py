"""agentflow.models: a spec parsed once, one choice type, one resolve path, one repair loop, prices from
litellm's cost map (read as data), and a misspelled ROLE=SPEC refused at the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from agentflow.backends.base import ChatRequest, ChatResponse
from agentflow.backends.pricing import Price, PriceTable
from agentflow.backends.structured import complete_typed, extract_json
from agentflow.cli.app import main
from agentflow.errors import UserError
from agentflow.messages import Usage
from agentflow.models import BackendChoice, ModelStack, Providers, RunModels, parse_spec
from agentflow.roles import RoleLibrary
from agentflow.roles.call import parse_output
from agentflow.testing import FunctionBackend, SchemaBackend

ROOT = Path(__file__).resolve().parents[2]
FLIGHT = ROOT / "tests" / "data" / "guided" / "flight" / "pdl" / "000.yaml"


def test_one_resolve_serves_guided_and_executed_with_one_default_key() -> None:
    models = RunModels()
    guided = models.resolve({"*": "test"}, ["agent", "oow_classifier", "user_simulator"], speaker="agent")
    executed = models.resolve(BackendChoice.parse(["test"]))
    assert guided["agent"] is executed("judge"), "one spec, one stack, whichever engine asks"
    assert isinstance(guided["agent"], ModelStack) and list(guided) == ["agent", "oow_classifier", "user_simulator"]
    assert models.resolve(guided) is guided, "a resolved choice passed back in is not resolved again"
    fn = FunctionBackend(lambda r: ChatResponse(text="{}"))
    mixed = models.resolve({"critic": fn})
    assert mixed("critic") is fn and mixed("judge").name == "test", "an app's objects keep the run offline"
    with pytest.raises(UserError, match="no role 'agnet'"):
        models.resolve(["agnet=test"], ["agent", "oow_classifier", "user_simulator"], strict=True)


def test_providers_table_registers_test_backends_outside_backends() -> None:
    import agentflow.backends.registry as registry

    assert "test" not in registry.PROVIDERS and "scripted" not in registry.PROVIDERS
    source = Path(registry.__file__).read_text(encoding="utf-8")
    assert "from agentflow.testing" not in source and "import agentflow.testing" not in source
    built = Providers().with_factory("echo", lambda spec, ctx: SchemaBackend(name=f"echo-{spec.target}"))
    assert RunModels(providers=built).build("echo:x").name == "echo-x"
    with pytest.raises(UserError, match=r"--fallback: unknown backend 'nosuch:m'.*") as info:
        RunModels().build(parse_spec("nosuch:m", where="--fallback"))
    assert "echo" not in (info.value.hint or "") and "scripted:FILE" in (info.value.hint or "")


def test_misspelled_role_override_is_exit_2_for_both_engines(capsys: pytest.CaptureFixture[str]) -> None:
    wf = ROOT / "workflows" / "plan_act.pdl"
    assert main(["run", str(wf), "--backend", "test", "--backend", "palnner=test", "--input", "task=t"]) == 2
    err = capsys.readouterr().err
    assert "no role 'palnner'" in err and "Traceback" not in err
    assert main(["run", str(FLIGHT), "--backend", "test", "--backend", "agnet=test", "--user", "scripted:x"]) == 2
    assert "no role 'agnet'" in capsys.readouterr().err


class Grade(BaseModel):
    score: int


async def test_one_json_extraction_for_typed_calls_and_roles() -> None:
    answer = 'Sure, here it is:\n```json\n{"score": 3}\n```'
    assert json.loads(extract_json(answer)) == {"score": 3}
    backend = FunctionBackend(lambda r: ChatResponse(text=answer, usage=Usage(calls=1)))
    assert (await complete_typed(backend, ChatRequest(messages=()), Grade)).score == 3
    role = RoleLibrary().get("judge")
    fenced = "```\n" + json.dumps({"ok": True, "score": 0.9, "reason": "fine"}) + "\n```"
    assert parse_output(role, fenced).kind == role.spec.output_kind


def test_prices_come_from_litellm_cost_map_without_importing_litellm(tmp_path: Path) -> None:
    code = ("import sys; from agentflow.backends.pricing import PriceTable; "
            "p = PriceTable().lookup('openai:gpt-4o-mini', 'gpt-4o-mini-2024-07-18'); "
            "print(p.input_per_mtok, p.output_per_mtok, 'litellm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0.15", "0.6", "False"]
    table = PriceTable(cost_map={"gpt-x": (1.0, 2.0, None)})
    assert table.lookup("openai:gpt-x") == Price(1.0, 2.0) and table.lookup("openai:gpt-y") is None
    override = tmp_path / "prices.json"
    override.write_text('{"openai:gpt-4o-mini*": {"input": 9.0, "output": 9.0}}')
    assert PriceTable.from_file(override).lookup("openai:gpt-4o-mini") == Price(9.0, 9.0), "the user's table wins"
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "openai:x": {"input": 1.0,,}\n}')
    with pytest.raises(UserError) as info:
        PriceTable.from_file(broken)
    assert str(info.value.location) == f"{broken}:2:29"
