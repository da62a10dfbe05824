from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentflow.cli import main
from agentflow.errors import UserError
from agentflow.models import BackendChoice, build_backend, default_spec, parse_spec
from agentflow.testing import SchemaBackend, ScriptedBackend


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and "agentflow 0.1.0" in capsys.readouterr().out
    assert main([]) == 0


def test_usage_error_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-such-flag"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unrecognized arguments" in err and "Traceback" not in err


def test_console_script_runs_as_module() -> None:
    out = subprocess.run([sys.executable, "-m", "agentflow", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("agentflow ")


def test_backend_specs(tmp_path: Path) -> None:
    assert isinstance(build_backend("test"), SchemaBackend)
    script = tmp_path / "s.yaml"
    script.write_text("- say: hi\n")
    backend = build_backend("scripted:s.yaml", base_dir=tmp_path, roles={"agent"})
    assert isinstance(backend, ScriptedBackend) and backend.serves("agent") and not backend.serves("judge")
    with pytest.raises(UserError, match="unknown backend"):
        build_backend("nosuch:model")
    with pytest.raises(UserError, match="needs a model"):
        build_backend("openai:")
    with pytest.raises(UserError, match="cannot read script"):
        build_backend("scripted:missing.yaml", base_dir=tmp_path)


def test_backend_choice_per_role_and_default() -> None:
    choice = BackendChoice.parse(["test", "judge=openai:gpt-4o"])
    assert str(choice.entry_for("judge")) == "openai:gpt-4o" and str(choice.entry_for("critic")) == "test"
    assert BackendChoice.parse([]).entry_for("x") is None
    assert default_spec({"ANTHROPIC_API_KEY": "k"}).provider == "anthropic"
    assert default_spec({}).provider == "local"
    with pytest.raises(UserError, match="two default backends"):
        BackendChoice.parse(["test", "local"])
    with pytest.raises(UserError, match="no role 'jduge'"):
        BackendChoice.parse(["jduge=test"]).check_roles(["judge", "critic"])


def test_backend_spec_parsed_once_into_fields() -> None:
    spec = parse_spec("OpenAI:gpt-4o?timeout=5&base_url=http://h:1/v1", where="--fallback")
    assert (spec.provider, spec.target, spec.rest) == ("openai", "gpt-4o", "gpt-4o?timeout=5&base_url=http://h:1/v1")
    assert spec.option_map({"timeout", "base_url"}) == {"timeout": "5", "base_url": "http://h:1/v1"}
    with pytest.raises(UserError, match="--fallback: unknown option 'timeout'"):
        spec.option_map({"base_url"})
    assert parse_spec("scripted:a.yaml").offline and not parse_spec("vllm+http://h:8000:m").offline
    assert parse_spec("vllm+http://h:8000:m").provider == "vllm+http"
    with pytest.raises(UserError, match="empty backend spec"):
        parse_spec("  ")
