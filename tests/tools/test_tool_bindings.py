"""Tool bindings: Python files, allow-listed HTTP (loopback server), deterministic mocks, and the ToolBox."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from agentflow.errors import UserError
from agentflow.tools import (
    MockTool,
    ToolBox,
    ToolExecutor,
    ToolInvocation,
    ToolSpec,
    host_allowed,
    load_python_tools,
    mock_value,
)

CHECK = ToolSpec(
    name="check",
    parameters={"type": "object", "properties": {"plan_code": {"type": "string"}}, "required": ["plan_code"]},
    returns={"type": "object", "properties": {
        "is_air": {"type": "string", "description": "Whether it can be ticketed. Enumerated type, [true, false]"},
        "gate": {"type": "string"}, "price": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
    }},
)


def test_python_file_binds_public_functions_only(tmp_path: Path) -> None:
    f = tmp_path / "tools.py"
    f.write_text("from json import dumps\n\ndef check(plan_code):\n    return {'is_air': 'true'}\n\n"
                 "async def later(x: int):\n    return x * 2\n\ndef _private():\n    pass\n", encoding="utf-8")
    assert sorted(load_python_tools(f)) == ["check", "later"]


def test_python_file_errors_are_located_user_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def ok():\n    return 1\n\ndef broken(:\n", encoding="utf-8")
    with pytest.raises(UserError) as exc:
        load_python_tools(bad)
    assert f"{bad}:4" in exc.value.render()
    boom = tmp_path / "boom.py"
    boom.write_text("raise ValueError('no config')\n", encoding="utf-8")
    with pytest.raises(UserError, match="ValueError: no config"):
        load_python_tools(boom)
    with pytest.raises(UserError, match="not found"):
        load_python_tools(tmp_path / "missing.py")


async def test_toolbox_runs_only_declared_tools_and_turns_failures_into_outcomes() -> None:
    calls: list[dict[str, Any]] = []

    def check(plan_code: str) -> dict[str, Any]:
        calls.append({"plan_code": plan_code})
        if plan_code == "XX0000":
            raise RuntimeError("backend down")
        return {"is_air": "true"}

    def undeclared() -> dict[str, Any]:
        raise AssertionError("must never run")

    box = ToolBox.build([CHECK], functions={"check": check, "undeclared": undeclared})
    assert isinstance(box, ToolExecutor) and box.binding_kinds() == {"check": "python"}
    ok = await box.execute(ToolInvocation(name="check", args={"plan_code": "CA1"}))
    assert ok.ok and ok.result == {"is_air": "true"} and ok.binding == "python"
    failed = await box.execute(ToolInvocation(name="check", args={"plan_code": "XX0000"}))
    assert not failed.ok and failed.error == "RuntimeError: backend down"
    invalid = await box.execute(ToolInvocation(name="check", args={"plan_code": 5}))
    assert not invalid.ok and "invalid arguments" in invalid.error
    unknown = await box.execute(ToolInvocation(name="undeclared", args={}))
    assert not unknown.ok and "unknown tool" in unknown.error
    assert calls == [{"plan_code": "CA1"}, {"plan_code": "XX0000"}]


async def test_toolbox_times_out_slow_tools() -> None:
    async def check(plan_code: str) -> dict[str, Any]:
        await asyncio.sleep(5)
        return {}

    box = ToolBox.build([CHECK], functions={"check": check}, timeout_s=0.05)
    out = await box.execute(ToolInvocation(name="check", args={"plan_code": "CA1"}))
    assert not out.ok and "timed out" in out.error


async def test_mocks_are_deterministic_and_schema_shaped() -> None:
    mock = MockTool(CHECK)
    a = await mock({"plan_code": "CA1"})
    assert a == await mock({"plan_code": "CA1"})
    assert a["is_air"] == "true"  # the first value of the enum written in the description
    assert isinstance(a["price"], int) and 1 <= a["price"] <= 100 and isinstance(a["tags"], list)
    b = await mock({"plan_code": "CA2"})
    assert a["gate"] != b["gate"] and a["gate"].startswith("gate-")
    assert mock_value("x", {"enum": ["b", "a"]}, "s") == "b"
    assert mock_value("cabin", {"description": "枚举类型 [经济舱, 商务舱]"}, "s") == "经济舱"
    box = ToolBox.build([CHECK])
    assert box.binding_kinds() == {"check": "mock"}
    assert ToolBox.build([CHECK], mocks=False).binding_kinds() == {"check": "unbound"}
    unbound = await ToolBox.build([CHECK], mocks=False).execute(ToolInvocation(name="check", args={"plan_code": "A"}))
    assert not unbound.ok and "no implementation" in unbound.error


class _Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, Any]]] = []

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        self.seen.append(("GET", self.path, query))
        self._answer(200, {"is_air": "true", "echo": query.get("plan_code", [""])[0]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(("POST", self.path, body))
        if body.get("plan_code") == "FAIL":
            self._answer(503, {"error": "unavailable"})
        else:
            self._answer(200, {"is_air": "false"})

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


async def test_http_binding_only_to_allow_listed_hosts(server: str) -> None:
    get_spec = CHECK.model_copy(update={"http": {"url": f"http://{server}/check", "method": "GET"}})
    post_spec = CHECK.model_copy(update={"name": "check_post", "http": {"url": f"http://{server}/c", "method": "POST"}})
    box = ToolBox.build([get_spec, post_spec], allow_hosts=[server])
    assert box.binding_kinds() == {"check": "http", "check_post": "http"}
    got = await box.execute(ToolInvocation(name="check", args={"plan_code": "CA1"}))
    assert got.ok and got.result == {"is_air": "true", "echo": "CA1"} and got.binding == "http"
    posted = await box.execute(ToolInvocation(name="check_post", args={"plan_code": "CA2"}))
    assert posted.ok and posted.result == {"is_air": "false"}
    failed = await box.execute(ToolInvocation(name="check_post", args={"plan_code": "FAIL"}))
    assert not failed.ok and "HTTP 503" in failed.error
    assert [s[0] for s in _Handler.seen] == ["GET", "POST", "POST"]
    closed = ToolBox.build([get_spec], allow_hosts=["example.com"])
    assert closed.binding_kinds() == {"check": "mock"}
    await closed.execute(ToolInvocation(name="check", args={"plan_code": "CA1"}))
    assert len(_Handler.seen) == 3  # a host that is not allow-listed is never contacted


def test_host_allow_list_matching() -> None:
    assert host_allowed("http://127.0.0.1:8080/x", ["127.0.0.1"])
    assert host_allowed("http://127.0.0.1:8080/x", ["127.0.0.1:8080"])
    assert not host_allowed("http://127.0.0.1:8080/x", ["127.0.0.1:9090"])
    assert not host_allowed("http://tools.invalid/x", ["127.0.0.1"])
    assert not host_allowed("file:///etc/passwd", ["127.0.0.1"])
