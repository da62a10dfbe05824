"""The run recorder (events + checkpoints + cursors), the inbox user channel, and trace rewriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentflow.events import EventBus, JsonlTraceWriter, read_trace
from agentflow.redact import Redactor
from agentflow.store import InboxUser, PauseRun, RunRecorder, open_store, rewrite_trace


class Cursor:
    def __init__(self) -> None:
        self.position = 0


def test_events_are_committed_with_the_checkpoint(tmp_path: Path) -> None:
    store = open_store(tmp_path / "r.db")
    store.create_run("r", {})
    rec = RunRecorder(store, "r")
    bus = EventBus("r", [rec])
    bus.emit("user_message", text="hi", turn=1)
    assert store.events("r") == []  # buffered until the step commits
    rec.message({"role": "note", "text": "explicit"})
    assert rec.checkpoint({"turn": 1}) == 1
    bus.emit("agent_message", text="hello", turn=1)  # a crash now would lose only this uncommitted step
    assert [e["type"] for e in store.events("r")] == ["user_message"]
    rec.finish("completed")
    assert [e["type"] for e in store.events("r")] == ["user_message", "agent_message"]
    assert [(m["role"], m["text"]) for m in store.messages("r")] == [
        ("user", "hi"), ("note", "explicit"), ("agent", "hello")]
    assert store.require_run("r").status == "completed" and rec.last_event_seq == 2


def test_resume_restores_state_and_cursors(tmp_path: Path) -> None:
    store = open_store(tmp_path / "r.db")
    store.create_run("r", {"user": "scripted"})
    rec = RunRecorder(store, "r")
    script, journal = Cursor(), Cursor()
    rec.track("script", script)
    rec.track("journal", journal)
    script.position, journal.position = 3, 1
    rec.checkpoint({"turn": 2})
    script.position, journal.position = 5, 2  # progress after the checkpoint is lost in a crash
    store.close()

    store = open_store(tmp_path / "r.db")
    again, state = RunRecorder.resume(store, "r")
    assert state == {"turn": 2} and again.step == 1
    fresh_script, fresh_journal = Cursor(), Cursor()
    again.track("script", fresh_script)
    again.track("journal", fresh_journal)
    assert (fresh_script.position, fresh_journal.position) == (3, 1)
    assert again.checkpoint({"turn": 3}) == 2


def test_resume_before_any_checkpoint(tmp_path: Path) -> None:
    store = open_store(tmp_path / "r.db")
    store.create_run("r", {})
    rec, state = RunRecorder.resume(store, "r")
    cursor = Cursor()
    cursor.position = 7
    rec.track("c", cursor)
    assert state is None and rec.step == 0 and cursor.position == 7


async def test_inbox_pauses_until_input_is_posted(tmp_path: Path) -> None:
    store = open_store(tmp_path / "r.db")
    store.create_run("r", {})
    user = InboxUser(store, "r")
    with pytest.raises(PauseRun) as info:
        await user.next_message(None)
    assert info.value.pause["reason"] == "input"
    store.post_input("r", "book CA1234")  # e.g. from another process
    assert await user.next_message(None) == "book CA1234"
    with pytest.raises(PauseRun) as info:
        await user.next_message("Booked.")
    assert info.value.pause["last_reply"] == "Booked."
    store.post_input("r", "/end")
    assert await user.next_message("Anything else?") is None
    assert InboxUser(store, "r", start=1).position == 1


def test_rewrite_trace_drops_the_lost_step(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    store = open_store(tmp_path / "r.db")
    store.create_run("r", {})
    rec = RunRecorder(store, "r")
    writer = JsonlTraceWriter(trace, Redactor())
    bus = EventBus("r", [writer, rec])
    bus.emit("a")
    rec.checkpoint({})
    bus.emit("b")  # written to the file, but its step never committed: the crash
    writer.close()
    assert [e["type"] for e in read_trace(trace)] == ["a", "b"]
    rewrite_trace(trace, store.events("r"))
    assert [e["type"] for e in read_trace(trace)] == ["a"]
