"""The SQLite response cache and whole-run record/replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentflow.backends.base import ChatMessage, ChatRequest
from agentflow.backends.openai import OpenAIBackend
from agentflow.backends.wrappers import (
    CachedBackend,
    RecordingBackend,
    ReplayBackend,
    ReplayMissing,
    ReplayStore,
    SqliteCache,
)
from agentflow.errors import UserError
from agentflow.models import build_stack
from agentflow.testing import FunctionBackend

from .conftest import ask
from .loopback import LoopbackServer, Reply


async def test_cache_answers_repeats_without_calling_the_provider(tmp_path: Path, server: LoopbackServer,
                                                                  openai_backend: OpenAIBackend) -> None:
    cache = SqliteCache(tmp_path / "c.sqlite")
    backend = CachedBackend(openai_backend, cache)
    first = await backend.complete(ask("same", metadata={"role": "critic", "run_id": "r1"}))
    again = await backend.complete(ask("same", metadata={"role": "critic", "run_id": "r2"}))
    other = await backend.complete(ask("different"))
    assert first.text == again.text == "echo: same" and other.text == "echo: different"
    assert len(server.requests) == 2 and (backend.hits, backend.misses) == (1, 2)
    assert first.usage.calls == 1 and again.usage.calls == 0, "a hit made no provider call"
    assert again.usage.input_tokens == first.usage.input_tokens
    # sampling settings are part of the key
    await backend.complete(ask("same", temperature=0.9))
    assert len(server.requests) == 3
    cache.close()
    # the cache survives the process: a new cache on the same file still hits
    reopened = CachedBackend(openai_backend, SqliteCache(tmp_path / "c.sqlite"))
    assert (await reopened.complete(ask("same"))).text == "echo: same" and len(server.requests) == 3
    reopened.cache.close()


async def test_cache_is_per_backend_and_stores_streams(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    cache = SqliteCache()
    backend = CachedBackend(openai_backend, cache)
    streamed = "".join([c.text async for c in backend.stream(ask("s t"))])
    replayed = [c async for c in backend.stream(ask("s t"))]
    assert streamed == "echo: s t" and len(replayed) == 1 and replayed[0].text == "echo: s t"
    assert len(server.requests) == 1
    elsewhere = CachedBackend(FunctionBackend(lambda r: "other model"), cache)
    assert (await elsewhere.complete(ask("s t"))).text == "other model"
    server.fail("stream_cut")  # an unfinished stream is not cached
    with pytest.raises(Exception, match="stream ended"):
        _ = [c async for c in backend.stream(ask("cut me off please now"))]
    assert len(cache) == 2


async def test_record_then_replay_a_whole_run(tmp_path: Path, server: LoopbackServer,
                                              openai_backend: OpenAIBackend) -> None:
    path = tmp_path / "run.jsonl"
    recorder = RecordingBackend(openai_backend, path)
    server.queue(Reply(text="first"), Reply(text="second"))
    conversation = [ask("q1", metadata={"role": "planner"}), ask("q2"), ask("q1", metadata={"role": "planner"})]
    recorded = [(await recorder.complete(r)).text for r in conversation]
    assert recorded == ["first", "second", "echo: q1"]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["role"] for line in lines] == ["planner", "", "planner"]

    store = ReplayStore(path)
    replay = ReplayBackend(store)
    replayed = [(await replay.complete(r.model_copy(update={"metadata": {"run_id": "new"}}))).text
                for r in conversation]
    assert replayed == recorded, "same questions, same answers, in recorded order"
    store.check_consumed()
    assert len(server.requests) == 3, "replay never reaches the provider"


async def test_recorded_requests_hide_secrets_but_replay_still_matches(tmp_path: Path) -> None:
    from agentflow.redact import Redactor

    path = tmp_path / "run.jsonl"
    secret = "sk-live-0123456789abcdefXYZ"
    recorder = RecordingBackend(FunctionBackend(lambda r: "noted"), path, redactor=Redactor(values=[secret]))
    request = ask(f"my key is {secret}")
    await recorder.complete(request)
    assert secret not in path.read_text()
    assert (await ReplayBackend(ReplayStore(path)).complete(request)).text == "noted"


async def test_replay_fails_loudly_on_an_unseen_or_extra_request(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    recorder = RecordingBackend(FunctionBackend(lambda r: "ok"), path)
    await recorder.complete(ask("known"))
    store = ReplayStore(path)
    replay = ReplayBackend(store)
    with pytest.raises(ReplayMissing, match=r"role 'judge' is not in the recording .*'unknown'"):
        await replay.complete(ask("unknown", metadata={"role": "judge"}))
    assert (await replay.complete(ask("known"))).text == "ok"
    with pytest.raises(ReplayMissing, match="answered only 1 time"):
        await replay.complete(ask("known"))

    unused = ReplayStore(path)
    with pytest.raises(ReplayMissing, match="1 recorded answer"):
        unused.check_consumed()


def test_broken_or_missing_recordings_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read recording"):
        ReplayStore(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"key": "k", "response": {}}\nnot json\n')
    with pytest.raises(UserError, match=r"bad.jsonl:2:1: error: invalid JSON"):
        ReplayStore(bad)


async def test_replayed_stack_needs_no_api_key(tmp_path: Path, server: LoopbackServer) -> None:
    path = tmp_path / "run.jsonl"
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": server.openai_base_url}
    live = build_stack("openai:gpt-r", environ=env, record=path)
    request = ChatRequest(messages=(ChatMessage(role="system", content="s"), ChatMessage(role="user", content="u")))
    try:
        answer = await live.complete(request)
    finally:
        await live.aclose()  # type: ignore[attr-defined]
    replayed = build_stack("openai:gpt-r", environ={}, replay=path)
    assert (await replayed.complete(request)).text == answer.text == "echo: u"
    assert len(server.requests) == 1
