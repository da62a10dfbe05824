"""The real ``openai`` SDK against a loopback ``agentflow`` server: multi-turn, streamed and not, bearer auth."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import uvicorn

from agentflow.runner.app_session import AppSessions
from agentflow.runner.conversation import Conversation
from agentflow.serve import ServeConfig, create_app
from agentflow.store import open_store

D = Path(__file__).resolve().parent.parent / "durable" / "data"


@pytest.fixture
def base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AF_SIDE_EFFECTS", str(tmp_path / "fx.log"))
    with open_store(tmp_path / "r.db") as store:
        sessions = AppSessions(Conversation.load(D / "flight.yaml"), store, backend=f"scripted:{D / 'agent.yaml'}",
                               tools=str(D / "tools.py"), classifier="rules")
        config = uvicorn.Config(create_app(ServeConfig("flight", sessions, token="t0k")), port=0, log_level="error")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}/v1"
        server.should_exit = True
        thread.join(10)


def test_multi_turn_streamed_and_not(base_url: str, tmp_path: Path) -> None:
    client = openai.OpenAI(base_url=base_url, api_key="t0k")
    first = client.responses.create(model="flight", input="Book CA1234 for 12 o'clock on January 7, 2199")
    assert first.output_text.startswith("Flight CA1234 is available")
    events = list(client.responses.create(model="flight", input="Economy, Ann Lee, ID 123",
                                          previous_response_id=first.id, stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text.startswith("Your flight CA1234 is booked")
    assert (tmp_path / "fx.log").read_text().count("reserveFlight") == 1


def test_wrong_bearer_is_401(base_url: str) -> None:
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=base_url, api_key="bad").responses.create(model="flight", input="hi")
