"""Roles that call tools before their typed answer (the role file's `tools:`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentflow.backends.base import ChatRequest, ChatResponse, ToolCall
from agentflow.errors import UserError
from agentflow.events import Event, EventBus
from agentflow.roles import RoleTool, invoke_role, load_role_file
from agentflow.testing import FunctionBackend
from agentflow.tools.spec import ToolSpec

ROLE = """name: pricer
purpose: Answer price questions using the price tool.
prompt: 'What does {{ item }} cost?'
consumes: {item: str}
produces: answer
tools: [price]
tool_rounds: 2
"""


def _role(tmp_path: Path) -> Any:
    (tmp_path / "pricer.yaml").write_text(ROLE)
    return load_role_file(tmp_path / "pricer.yaml")


async def price(args: dict[str, Any]) -> dict[str, Any]:
    if args["item"] == "boom":
        raise ValueError("price service down")
    return {"usd": 12.5}


TOOLS = {"price": RoleTool(ToolSpec(name="price", parameters={"type": "object",
                                                              "properties": {"item": {"type": "string"}}}), price)}


def _model(calls: list[tuple[str, dict[str, Any]]]) -> FunctionBackend:
    def answer(req: ChatRequest) -> ChatResponse | dict[str, Any]:
        done = sum(1 for m in req.messages if m.role == "tool")
        if done < len(calls) and req.tool_choice != "none":
            name, args = calls[done]
            return ChatResponse(tool_calls=(ToolCall(id=f"c{done}", name=name, arguments=args),),
                                finish_reason="tool_calls")
        results = [m.content for m in req.messages if m.role == "tool"]
        return {"text": " / ".join(results)}

    return FunctionBackend(answer)


async def test_role_calls_its_tool_then_answers_typed(tmp_path: Path) -> None:
    backend = _model([("price", {"item": "book"})])
    events: list[Event] = []
    result = await invoke_role(_role(tmp_path), backend, {"item": "book"}, tools=TOOLS,
                               bus=EventBus("r", [events.append]))
    assert result.output.text == '{"usd": 12.5}'  # type: ignore[attr-defined]
    assert [t.name for t in backend.requests[0].tools] == ["price"]
    assert backend.requests[1].messages[-1].role == "tool" and backend.requests[1].messages[-1].tool_call_id == "c0"
    assert [(e.type, e.data.get("name")) for e in events if e.type.startswith("tool")] == [
        ("tool_call", "price"), ("tool_result", "price")]
    assert result.attempts == 1 and result.usage.calls == 2


async def test_tool_errors_and_unknown_tools_reach_the_model(tmp_path: Path) -> None:
    backend = _model([("price", {"item": "boom"}), ("nope", {})])
    result = await invoke_role(_role(tmp_path), backend, {"item": "x"}, tools=TOOLS)
    text = result.output.text  # type: ignore[attr-defined]
    assert "ValueError: price service down" in text and "unknown tool 'nope'" in text


async def test_tool_rounds_are_bounded(tmp_path: Path) -> None:
    backend = _model([("price", {"item": "a"})] * 5)
    result = await invoke_role(_role(tmp_path), backend, {"item": "a"}, tools=TOOLS)
    assert len(backend.requests) == 3  # two tool rounds (tool_rounds: 2), then the answer
    assert backend.requests[2].tool_choice == "none"
    assert result.output.text.count("12.5") == 2  # type: ignore[attr-defined]


async def test_declared_tool_without_implementation_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="declares tool 'price'"):
        await invoke_role(_role(tmp_path), _model([]), {"item": "a"})
