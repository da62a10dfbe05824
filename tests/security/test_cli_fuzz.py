"""Fuzz the CLI's file and flag inputs in-process: whatever the bytes or flags, no traceback.

Each example writes one generated file (mutated JSON/YAML/PDL seeds, raw bytes, encodings,
alias and nesting bombs) and passes it to one of the CLI's file flags (or a generated flag value),
then calls ``agentflow.cli.app.main`` directly. The property: ``main`` returns an exit code (it
never lets an exception escape, which is what prints a traceback), a bad-input exit (2) says
``error:`` in one line, and nothing prints ``Traceback``.

The suite runs the ``ci`` profile (150 cases per test). The full 10,000-case run, recorded in
benchmarks/RESULTS.md, is::

    AGENTFLOW_FUZZ_PROFILE=10k python -m pytest -q tests/security/test_cli_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
FLIGHT = ROOT / "pdl" / "examples" / "flight_booking.pdl"
AGENT = ROOT / "pdl" / "examples" / "flight" / "agent.yaml"
USER = ROOT / "pdl" / "examples" / "flight" / "user.yaml"
TOOLS = ROOT / "pdl" / "examples" / "flight" / "tools.py"
TABLE = ROOT / "workflows" / "table_critic.pdl"

_COMMON = {"deadline": None, "database": None, "derandomize": True,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}  # fmt: skip
# per test: the two tests below together run 2 x max_examples cases
settings.register_profile("agentflow-fuzz-ci", max_examples=int(os.environ.get("AGENTFLOW_FUZZ_EXAMPLES", "150")),
                          **_COMMON)  # type: ignore[arg-type]  # fmt: skip
settings.register_profile("agentflow-fuzz-10k", max_examples=5_000, **_COMMON)  # type: ignore[arg-type]
PROFILE = settings.get_profile("agentflow-fuzz-" + os.environ.get("AGENTFLOW_FUZZ_PROFILE", "ci"))

SEEDS: list[bytes] = [
    b'{"question": "What is 2+2?", "table": "a|b\\n1|2", "expected": "4"}\n',
    b'{"key": "k", "response": {"text": "hi"}}\n{"key": "k2", "response": {}}\n',
    b'{"openai:my-model*": {"input": 1.0, "output": 2.0}}\n',
    b"- say: hi\n- call: checkAvailability\n  args: {plan_code: CA1, estimated_time: '9'}\n- json: {a: 1}\n",
    b"- Please book CA1234.\n- {say: Economy}\n- 3\n",
    b'{"persona": "p", "user_needs": "n"}\n',
    b'{"id": "c1", "workflow": "pdl/examples/flight_booking.pdl", "user": {"kind": "scripted", "script": ["hi"]}}\n',
    b'{"schema": "agentflow.eval.report/1", "summary": {}}\n',
    b"name: judge\npurpose: judge it\nprompt: 'Judge {{ candidate }}'\nproduces: verdict\n",
    FLIGHT.read_bytes(),
    b"Name: t\nAPIs:\n  - name: getX\n    url: http://localhost:8080/x\nProcedure: |\n  call getX\n  reply done\n",
]
TOKENS: list[bytes] = [b"&a ", b"*a", b"<<: *a\n", b"[", b"]", b"{", b"}", b'"', b"'", b":", b"- ", b"\n", b"\t",
                       b"\x00", b"\xff", b"\xe9", b"\xef\xbb\xbf", b"\\u0000", b"\\ud800", b"1e999999", b"9" * 5000,
                       b"NaN", b"!!python/object/apply:os.system ['id']", b"%0999999999d", b"---\n",
                       b"..."]  # fmt: skip


def _bomb(levels: int) -> bytes:
    lines = [b"l0: &l0 [x, x]"] + [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]".encode() for i in range(1, levels)]
    return b"\n".join(lines) + b"\n"


@st.composite
def contents(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "bytes", "text", "bomb", "deep"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "text":
        encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-8-sig"]))
        return draw(st.text(max_size=200)).encode(encoding, errors="replace")
    if kind == "bomb":
        return _bomb(draw(st.integers(5, 60)))
    if kind == "deep":
        n = draw(st.integers(50, 20_000))
        opener = draw(st.sampled_from([b"[", b"{", b'{"a":', b"- ", b"a:\n "]))
        return opener * n + (b"]" * n if opener == b"[" else b"")
    data = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "truncate", "flip"]))
        if op == "insert":
            data = data[:pos] + draw(st.sampled_from(TOKENS) | st.binary(max_size=6)) + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 30)) :]
        elif op == "truncate":
            data = data[:pos]
        elif data:
            i = min(pos, len(data) - 1)
            data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]
    return data


GUIDED = ["run", str(FLIGHT), "--backend", f"scripted:{AGENT}", "--user", f"scripted:{USER}", "--tools", str(TOOLS),
          "--quiet"]  # fmt: skip
TABLE_RUN = ["run", str(TABLE), "--backend", "test", "--quiet", "--example"]

FLAGS: dict[str, Callable[[Path, Path], list[str]]] = {
    "--input @": lambda f, d: [*TABLE_RUN, "--input", f"question=@{f}"],
    "--inputs": lambda f, d: [*TABLE_RUN, "--inputs", str(f)],
    "--prices": lambda f, d: [*GUIDED, "--prices", str(f)],
    "--prices yaml": lambda f, d: [*GUIDED, "--prices", str(f.rename(f.with_suffix(".yaml")))],
    "--replay": lambda f, d: [*GUIDED, "--replay", str(f)],
    "--cache": lambda f, d: [*GUIDED, "--cache", str(f)],
    "--store resume": lambda f, d: ["resume", "r1", "--store", str(f), "--approve"],
    "eval": lambda f, d: ["eval", str(f), "--no-progress", "--report", str(d / "rep"), "--limit", "1"],
    "eval --compare": lambda f, d: ["eval", "--compare", str(f), str(f)],
    "scripted backend": lambda f, d: ["run", str(FLIGHT), "--backend", f"scripted:{f}", "--user", f"scripted:{USER}",
                                      "--quiet"],
    "scripted user": lambda f, d: ["run", str(FLIGHT), "--backend", f"scripted:{AGENT}", "--user", f"scripted:{f}",
                                   "--quiet"],
    "sim profile": lambda f, d: ["run", str(FLIGHT), "--backend", "test", "--user", f"sim:{f}", "--max-turns", "1",
                                 "--quiet"],
    "validate": lambda f, d: ["validate", str(f), "--no-excerpt"],
    "graph": lambda f, d: ["graph", str(f)],
    "graph deps": lambda f, d: ["graph", str(f), "--deps"],
    "tools-spec": lambda f, d: ["validate", str(FLIGHT), "--tools-spec", str(f), "--no-excerpt"],
    "role file": lambda f, d: ["validate", str(TABLE), "--roles-dir", str(f.parent)],
}
VALUE_FLAGS = ["--max-turns", "--timeout", "--max-cost", "--max-calls", "--retries", "--oow", "--input", "--backend",
               "--user", "--require-approval", "--allow-host", "--run-id"]  # fmt: skip


@settings(parent=PROFILE)
@given(flag=st.sampled_from(sorted(FLAGS)), data=contents())
def test_file_flags_never_print_a_traceback(flag: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        name = "judge.yaml" if flag == "role file" else "input.json"
        path = folder / name
        path.write_bytes(data)
        res = run_cli(FLAGS[flag](path, folder))
    assert res.rc in (0, 1, 2, 3), (res.rc, res.err[-500:])
    assert "Traceback" not in res.err + res.out, res.err[-2000:]
    if res.rc == 2:
        assert "error:" in res.err, res.err[-500:]


@settings(parent=PROFILE)
@given(flag=st.sampled_from(VALUE_FLAGS), value=st.text(max_size=40))
def test_flag_values_never_print_a_traceback(flag: str, value: str) -> None:
    res = run_cli(["run", str(TABLE), "--backend", "test", "--example", "--quiet", flag, value])
    assert res.rc in (0, 1, 2, 3), (res.rc, res.err[-500:])
    assert "Traceback" not in res.err + res.out, res.err[-2000:]
