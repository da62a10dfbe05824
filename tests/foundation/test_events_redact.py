from __future__ import annotations

import json
from pathlib import Path

from agentflow.events import Event, EventBus, JsonlTraceWriter, read_trace
from agentflow.redact import REDACTED, Redactor, secret_env_values


def test_bus_numbers_events_and_reaches_every_sink() -> None:
    seen_a: list[Event] = []
    seen_b: list[Event] = []
    bus = EventBus("run1", [seen_a.append])
    bus.subscribe(seen_b.append)
    bus.emit("user_message", text="hello")
    bus.emit("agent_message", text="hi")
    assert [e.seq for e in seen_a] == [1, 2] and seen_a == seen_b
    assert seen_a[0].to_dict()["type"] == "user_message" and seen_a[0].to_dict()["run_id"] == "run1"


def test_unobserved_bus_still_counts() -> None:
    bus = EventBus("r")
    assert bus.emit("x") is None and bus.seq == 1 and not bus.active


def test_trace_writer_redacts_and_survives_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    writer = JsonlTraceWriter(path, Redactor(values=["hunter2-secret-value"]))
    bus = EventBus("r", [writer])
    bus.emit("tool_result", result={"token": "abc123456789", "note": "pw is hunter2-secret-value"})
    writer.close()
    with path.open("a") as fh:
        fh.write('{"type": "torn"')  # a crash mid-write
    records = list(read_trace(path))
    assert len(records) == 1
    text = json.dumps(records)
    assert "hunter2" not in text and "abc123456789" not in text and REDACTED in text
    assert {"type", "run_id", "seq", "ts"} <= records[0].keys()


def test_redactor_hides_key_shapes_and_secret_env() -> None:
    env = {"OPENAI_API_KEY": "sk-live-aaaaaaaaaaaaaaaaaaaa", "HOME": "/root", "MY_TOKEN": "short"}
    values = secret_env_values(env)
    assert values == {"sk-live-aaaaaaaaaaaaaaaaaaaa"}
    red = Redactor(values)
    assert red("key=sk-live-aaaaaaaaaaaaaaaaaaaa") == f"key={REDACTED}"
    assert red("Authorization: Bearer abcdefghijklmnopqrstuvwxyz") == f"Authorization: {REDACTED}"
    assert red({"api_key": "x", "n": [1, "ok"]}) == {"api_key": REDACTED, "n": [1, "ok"]}
