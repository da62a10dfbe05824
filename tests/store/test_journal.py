"""The tool-call journal and the journaled executor: exactly-once calls, replay, crash policy, approvals."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from agentflow.redact import Redactor
from agentflow.store import ApprovalRequired, SqlRunStore, ToolCallInterrupted, ToolJournal, call_key, open_store
from agentflow.store.executor import JournaledExecutor
from agentflow.tools import ToolBox
from agentflow.tools.binding import ToolInvocation
from agentflow.tools.spec import ToolSpec


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqlRunStore]:
    s = open_store(tmp_path / "runs.db")
    s.create_run("r", {})
    yield s
    s.close()


class Counter:
    """A tool with a visible side effect: counts and logs every real execution."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, args: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append(dict(args))
        return {"booking": f"B{len(self.calls)}", "seat": args.get("seat")}


BOOK = ToolSpec(name="book")
LOOKUP = ToolSpec(name="lookup", idempotent=True)


async def test_a_call_runs_once_and_replays(db: SqlRunStore) -> None:
    tool = Counter()
    first = await ToolJournal(db, "r").call(BOOK, {"seat": "1A"}, tool, site="#1")
    again = await ToolJournal(db, "r").call(BOOK, {"seat": "1A"}, tool, site="#1")  # e.g. after a resume
    assert first.result == {"booking": "B1", "seat": "1A"} and not first.replayed
    assert again.replayed and again.result == first.result
    assert len(tool.calls) == 1


async def test_different_sites_or_args_are_different_calls(db: SqlRunStore) -> None:
    tool = Counter()
    journal = ToolJournal(db, "r")
    await journal.call(BOOK, {"seat": "1A"}, tool, site=journal.next_site())
    await journal.call(BOOK, {"seat": "1A"}, tool, site=journal.next_site())
    await journal.call(BOOK, {"seat": "2B"}, tool, site="#2")
    assert len(tool.calls) == 3 and len(db.journal("r")) == 3
    assert call_key("r", "#1", "book", {"seat": "1A"}) != call_key("r", "#2", "book", {"seat": "1A"})
    assert call_key("r", "#1", "book", {"a": 1, "b": 2}) == call_key("r", "#1", "book", {"b": 2, "a": 1})


async def test_tool_exceptions_are_journaled_and_replayed_as_errors(db: SqlRunStore) -> None:
    def broken(args: Mapping[str, Any]) -> dict[str, Any]:
        raise ValueError("no seats left")

    out = await ToolJournal(db, "r").call(BOOK, {}, broken, site="#1")
    assert out.error == "ValueError: no seats left" and not out.ok
    replay = await ToolJournal(db, "r").call(BOOK, {}, Counter(), site="#1")
    assert replay.replayed and replay.error == "ValueError: no seats left"


async def test_async_tools_are_awaited(db: SqlRunStore) -> None:
    async def lookup(args: Mapping[str, Any]) -> dict[str, Any]:
        return {"found": args["q"]}

    out = await ToolJournal(db, "r").call(LOOKUP, {"q": "x"}, lookup, site="#1")
    assert out.result == {"found": "x"}


def _crash_mid_call(db: SqlRunStore, spec: ToolSpec, args: dict[str, Any], site: str) -> str:
    """What a process killed while the tool ran leaves behind: a journaled call without an outcome."""
    key = call_key("r", site, spec.name, args)
    db.journal_begin("r", key, spec.name, args)
    return key


async def test_interrupted_idempotent_call_is_retried(db: SqlRunStore) -> None:
    _crash_mid_call(db, LOOKUP, {"q": "x"}, "#1")
    tool = Counter()
    out = await ToolJournal(db, "r").call(LOOKUP, {"q": "x"}, tool, site="#1")
    assert len(tool.calls) == 1 and out.ok and not out.replayed


async def test_interrupted_non_idempotent_call_stops_and_asks(db: SqlRunStore) -> None:
    key = _crash_mid_call(db, BOOK, {"seat": "1A"}, "#1")
    tool = Counter()
    journal = ToolJournal(db, "r")
    with pytest.raises(ToolCallInterrupted) as info:
        await journal.call(BOOK, {"seat": "1A"}, tool, site="#1")
    assert tool.calls == []
    assert info.value.pause == {"reason": "interrupted_tool", "key": key, "tool": "book", "args": {"seat": "1A"}}
    journal.decide(key, approve=True)  # a human checked: the booking did not happen, run it again
    out = await journal.call(BOOK, {"seat": "1A"}, tool, site="#1")
    assert out.ok and len(tool.calls) == 1


async def test_denied_interrupted_call_becomes_an_error_without_running(db: SqlRunStore) -> None:
    key = _crash_mid_call(db, BOOK, {"seat": "1A"}, "#1")
    journal = ToolJournal(db, "r")
    journal.decide(key, approve=False)
    tool = Counter()
    out = await journal.call(BOOK, {"seat": "1A"}, tool, site="#1")
    assert tool.calls == [] and out.error == "denied by a human reviewer"
    assert db.journal("r")[0].status == "error"


async def test_approval_pauses_until_a_human_approves(db: SqlRunStore) -> None:
    tool = Counter()
    journal = ToolJournal(db, "r", needs_approval={"book"})
    with pytest.raises(ApprovalRequired) as info:
        await journal.call(BOOK, {"seat": "9C"}, tool, site="#1")
    key = info.value.pause["key"]
    assert info.value.pause["reason"] == "approval" and tool.calls == []
    assert db.journal("r")[0].status == "awaiting_approval"
    # Another process (the resume) asks again before anybody decided: still paused, still not run.
    with pytest.raises(ApprovalRequired):
        await ToolJournal(db, "r", needs_approval={"book"}).call(BOOK, {"seat": "9C"}, tool, site="#1")
    ToolJournal(db, "r").decide(key, approve=True)
    later = ToolJournal(db, "r", needs_approval={"book"})
    out = await later.call(BOOK, {"seat": "9C"}, tool, site="#1")
    assert out.ok and len(tool.calls) == 1 and later.executed == [key]
    # Tools that need no approval run straight away.
    assert (await later.call(LOOKUP, {"q": 1}, tool, site="#2")).ok


async def test_declared_secret_fields_are_learned_and_hidden(tmp_path: Path) -> None:
    redactor = Redactor()
    db = open_store(tmp_path / "s.db", redactor=redactor)
    db.create_run("r", {})
    login = ToolSpec(name="login", secret_fields=("session_token",))

    def fn(args: Mapping[str, Any]) -> dict[str, Any]:
        return {"session_token": "tok-98765-abcdef", "user": "ann"}

    out = await ToolJournal(db, "r", redactor=redactor).call(login, {"user": "ann"}, fn, site="#1")
    assert out.result["session_token"] == "tok-98765-abcdef"  # the live run sees the real value
    assert redactor.text("echo tok-98765-abcdef") == "echo ***"  # ...and every later write hides it
    db.commit_step("r", 1, {"said": "your token is tok-98765-abcdef"})
    db.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert b"ann" in raw  # we are looking at the data
    assert b"tok-98765-abcdef" not in raw


async def test_journaled_executor_wraps_a_toolbox(db: SqlRunStore) -> None:
    tool_calls: list[str] = []

    def book(seat: str) -> dict[str, Any]:
        tool_calls.append(seat)
        return {"booking": f"B-{seat}"}

    spec = ToolSpec(name="book", parameters={"type": "object", "properties": {"seat": {"type": "string"}}})
    box = ToolBox.build([spec], functions={"book": book})
    first = JournaledExecutor(box, ToolJournal(db, "r"))
    out1 = await first.execute(ToolInvocation(name="book", args={"seat": "1A"}, call_id="random-1"))
    out2 = await first.execute(ToolInvocation(name="book", args={"seat": "2B"}, call_id="random-2"))
    unknown = await first.execute(ToolInvocation(name="drop_tables", args={}))
    assert out1.ok and out1.result == {"booking": "B-1A"} and out2.result == {"booking": "B-2B"}
    assert not unknown.ok and "unknown tool" in unknown.error and len(db.journal("r")) == 2
    # A resumed process replays both calls (call ids differ: only the call site matters).
    second = JournaledExecutor(box, ToolJournal(db, "r"))
    again = [await second.execute(ToolInvocation(name="book", args={"seat": s}, call_id="other")) for s in ("1A", "2B")]
    assert [o.result for o in again] == [out1.result, out2.result]
    assert tool_calls == ["1A", "2B"] and second.replayed == 2 and second.position == 2
