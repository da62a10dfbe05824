"""The run-store conformance suite: every RunStore backend (SQLite, PostgreSQL) must pass all of it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agentflow.errors import UserError
from agentflow.redact import Redactor
from agentflow.store import RunNotFound, RunStore, SqlRunStore, open_store


def test_store_satisfies_protocol(store: SqlRunStore) -> None:
    assert isinstance(store, RunStore)


def test_create_get_list_runs(store: SqlRunStore) -> None:
    rec = store.create_run("r1", {"workflow": "a.pdl", "user": "scripted", "n": 3})
    assert rec.status == "running" and rec.step == 0
    store.create_run("r2", {"workflow": "b.pdl"})
    got = store.get_run("r1")
    assert got is not None
    assert got.meta == {"workflow": "a.pdl", "user": "scripted", "n": 3}
    assert got.status == "running" and got.pause is None and got.error is None
    assert [r.run_id for r in store.list_runs()] == ["r1", "r2"]
    assert store.get_run("nope") is None


def test_duplicate_run_id_is_a_user_error_naming_resume(store: SqlRunStore) -> None:
    store.create_run("dup", {})
    with pytest.raises(UserError, match="already exists") as info:
        store.create_run("dup", {})
    assert "agentflow resume dup" in (info.value.hint or "")


def test_require_unknown_run_names_the_store(store: SqlRunStore) -> None:
    with pytest.raises(RunNotFound, match="no run 'ghost'"):
        store.require_run("ghost")


def test_status_pause_and_error_round_trip(store: SqlRunStore) -> None:
    store.create_run("r", {})
    store.set_status("r", "paused", pause={"reason": "approval", "key": "k1", "args": {"x": 1}})
    rec = store.require_run("r")
    assert rec.status == "paused" and rec.pause == {"reason": "approval", "key": "k1", "args": {"x": 1}}
    store.set_status("r", "failed", error="boom")
    rec = store.require_run("r")
    assert (rec.status, rec.pause, rec.error) == ("failed", None, "boom")


def test_checkpoints_keep_the_latest_state(store: SqlRunStore) -> None:
    store.create_run("r", {})
    assert store.load_checkpoint("r") is None
    store.commit_step("r", 1, {"turn": 1, "slots": {"a": "é"}})
    store.commit_step("r", 2, {"turn": 2, "slots": {"a": "é", "b": [1, 2]}})
    cp = store.load_checkpoint("r")
    assert cp is not None
    assert cp.step == 2 and cp.state == {"turn": 2, "slots": {"a": "é", "b": [1, 2]}}
    assert store.require_run("r").step == 2


def test_messages_and_events_append_in_order(store: SqlRunStore) -> None:
    store.create_run("r", {})
    store.commit_step("r", 1, {}, messages=[{"kind": "user_turn", "text": "hi"}],
                      events=[{"type": "user_message", "seq": 1}, {"type": "llm_call", "seq": 2}])
    store.commit_step("r", 2, {}, messages=[{"kind": "agent_turn", "text": "yo"}, {"kind": "user_turn", "text": "q"}],
                      events=[{"type": "agent_message", "seq": 3}])
    store.append_log("r", events=[{"type": "run_end", "seq": 4}])
    assert [m["text"] for m in store.messages("r")] == ["hi", "yo", "q"]
    assert [e["seq"] for e in store.events("r")] == [1, 2, 3, 4]
    assert store.events("r")[-1]["type"] == "run_end"
    cp = store.load_checkpoint("r")
    assert cp is not None and cp.event_seq == 3  # append_log does not move the checkpoint


def test_runs_are_isolated(store: SqlRunStore) -> None:
    store.create_run("a", {})
    store.create_run("b", {})
    store.commit_step("a", 1, {"who": "a"}, messages=[{"m": 1}], events=[{"type": "x", "seq": 1}])
    assert store.messages("b") == [] and store.events("b") == [] and store.load_checkpoint("b") is None
    store.journal_begin("a", "k", "t", {})
    assert store.journal("b") == [] and store.journal_entry("b", "k") is None


def test_failed_commit_leaves_nothing_behind(store: SqlRunStore) -> None:
    store.create_run("r", {})
    store.commit_step("r", 1, {"ok": True}, events=[{"type": "a", "seq": 1}])
    with pytest.raises(KeyError):  # the second event has no seq: the whole step must roll back
        store.commit_step("r", 2, {"ok": False}, messages=[{"m": 1}], events=[{"type": "b", "seq": 2}, {"type": "c"}])
    cp = store.load_checkpoint("r")
    assert cp is not None and cp.step == 1 and cp.state == {"ok": True}
    assert store.messages("r") == [] and [e["type"] for e in store.events("r")] == ["a"]


def test_journal_begin_is_idempotent(store: SqlRunStore) -> None:
    store.create_run("r", {})
    first = store.journal_begin("r", "k1", "book", {"seat": "1A"})
    again = store.journal_begin("r", "k1", "book", {"seat": "1A"})
    assert first.status == again.status == "started" and not again.has_outcome
    assert len(store.journal("r")) == 1
    store.journal_update("r", "k1", "done", result={"booking": "B7"})
    entry = store.journal_entry("r", "k1")
    assert entry is not None and entry.has_outcome and entry.result == {"booking": "B7"}
    assert entry.finished is not None and entry.finished >= entry.started
    assert store.journal_begin("r", "k1", "book", {"seat": "1A"}).status == "done"


def test_journal_keeps_call_order_and_errors(store: SqlRunStore) -> None:
    store.create_run("r", {})
    for key in ("z", "a", "m"):
        store.journal_begin("r", key, f"tool_{key}", {"k": key})
    store.journal_update("r", "a", "error", error="ValueError: nope")
    store.journal_update("r", "m", "awaiting_approval")
    entries = store.journal("r")
    assert [e.key for e in entries] == ["z", "a", "m"]
    assert [e.status for e in entries] == ["started", "error", "awaiting_approval"]
    assert entries[1].error == "ValueError: nope" and entries[1].has_outcome
    assert entries[2].finished is None


def test_data_survives_reopen(store_url: str) -> None:
    with open_store(store_url) as first:
        first.create_run("r", {"a": 1})
        first.commit_step("r", 1, {"s": 1}, messages=[{"m": 1}], events=[{"type": "x", "seq": 1}])
        first.journal_begin("r", "k", "t", {"x": 1})
    with open_store(store_url) as second:
        cp = second.load_checkpoint("r")
        assert cp is not None and cp.state == {"s": 1}
        assert second.messages("r") == [{"m": 1}] and second.journal("r")[0].args == {"x": 1}


def test_two_connections_interleave(store_url: str) -> None:
    with open_store(store_url) as a, open_store(store_url) as b:
        a.create_run("r", {})
        for i in range(1, 21):
            writer = a if i % 2 else b
            writer.commit_step("r", i, {"i": i}, messages=[{"i": i}], events=[{"type": "e", "seq": i}])
        assert [m["i"] for m in b.messages("r")] == list(range(1, 21))
        cp = a.load_checkpoint("r")
        assert cp is not None and cp.step == 20


def test_secrets_never_reach_the_store(store_url: str, raw_dump: Callable[[str], str]) -> None:
    planted = "s3cr3t-planted-value-42"
    shaped = "sk-" + "A1b2C3d4E5f6G7h8I9j0"
    with open_store(store_url, redactor=Redactor(values=[planted])) as s:
        s.create_run("r", {"env": f"key={planted}", "api_key": "anything-else"})
        s.commit_step("r", 1, {"note": f"token {planted}", "deep": [{"x": shaped}]},
                      messages=[{"text": f"my key is {planted}"}],
                      events=[{"type": "tool_result", "seq": 1, "result": {"password": "hunter22", "v": planted}}])
        s.journal_begin("r", "k", "login", {"user": "u", "secret": planted})
        s.journal_update("r", "k", "error", error=f"auth failed for {planted}")
        s.set_status("r", "paused", pause={"why": planted}, error=shaped)
        cp = s.load_checkpoint("r")
        assert cp is not None and cp.state["note"] == "token ***"
    dump = raw_dump(store_url)
    assert "agentflow_runs" in dump or "token ***" in dump  # we did read the data back
    for secret in (planted, shaped, "hunter22", "anything-else"):
        assert secret not in dump, f"{secret!r} leaked into the store"


def test_unicode_and_large_state(store: SqlRunStore) -> None:
    store.create_run("r", {})
    state = {"text": "航班 ✈ ñ " * 2000, "items": list(range(5000))}
    store.commit_step("r", 1, state)
    cp = store.load_checkpoint("r")
    assert cp is not None and cp.state == state


def test_inbox_keeps_posted_input_in_order(store: SqlRunStore) -> None:
    store.create_run("r", {})
    store.create_run("other", {})
    assert store.inputs("r") == []
    assert store.post_input("r", "I want to fly to Paris") == 1
    assert store.post_input("r", "tomorrow, please") == 2
    store.post_input("other", "not for r")
    assert store.inputs("r") == ["I want to fly to Paris", "tomorrow, please"]


def test_sealed_values_come_back_only_with_the_key(store_url: str, raw_dump: Callable[[str], str]) -> None:
    from agentflow.errors import RunError
    from agentflow.store import Sealer

    secret = "sealed-secret-value-77"
    redactor = Redactor(values=[secret])
    with open_store(store_url, redactor=redactor, sealer=Sealer("k" * 40)) as s:
        s.create_run("r", {"input": {"password_hint": secret}})
        s.commit_step("r", 1, {"history": [f"the code is {secret}"], "plain": 1})
        s.journal_begin("r", "k", "login", {})
        s.journal_update("r", "k", "done", result={"session": secret})
        s.create_run("clean", {"x": 1})
        s.commit_step("clean", 1, {"plain": 2})
        assert s.require_run("r").meta == {"input": {"password_hint": secret}}
        cp = s.load_checkpoint("r")
        assert cp is not None and cp.state["history"] == [f"the code is {secret}"]
        assert s.journal_entry("r", "k").result == {"session": secret}  # type: ignore[union-attr]
    assert secret not in raw_dump(store_url)
    with open_store(store_url) as plain:  # no key: redacted view
        cp = plain.load_checkpoint("r")
        assert cp is not None and cp.state["history"] == ["the code is ***"]
        assert plain.require_run("r").meta == {"input": {"password_hint": "***"}}
    with open_store(store_url, sealer=Sealer("another-key-" * 3)) as wrong:
        with pytest.raises(RunError, match="AGENTFLOW_STORE_KEY"):
            wrong.load_checkpoint("r")
        cp = wrong.load_checkpoint("clean")  # nothing was sealed there: readable with any key
        assert cp is not None and cp.state == {"plain": 2}


def test_owner_is_claimed_and_released(store: SqlRunStore) -> None:
    store.create_run("r", {})
    assert store.claim_run("r", "host-a:11") is None
    assert store.claim_run("r", "host-b:22") == "host-a:11"
    assert store.require_run("r").owner == "host-b:22"
    store.commit_step("r", 1, {})
    assert store.require_run("r").owner == "host-b:22"  # steps keep the owner
    store.set_status("r", "paused", pause={"reason": "input"})
    assert store.require_run("r").owner is None  # a paused run is nobody's
