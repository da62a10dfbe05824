"""Every build-time error is a GraphBuildError (a UserError, exit 2) that names nodes and types."""

from __future__ import annotations

import pytest

from agentflow.errors import GraphBuildError, UserError
from agentflow.graph import END, START, Graph, Joined, field, is_a, quorum
from agentflow.messages import Task

from .msgs import Draft, Note, Review, Score


async def to_note(t: Task) -> Note:
    return Note(text=t.text)


async def note_to_note(n: Note) -> Note:
    return n


async def note_to_score(n: Note) -> Score:
    return Score(value=1.0)


async def score_only(s: Score) -> Note:
    return Note(text="")


async def either(n: Note) -> Draft | Review:
    return Draft(text="")


async def on_draft(d: Draft) -> Note:
    return Note(text=d.text)


async def on_review(r: Review) -> Note:
    return Note(text=str(r.round))


async def join_notes(j: Joined) -> Note:
    return Note(text=str(len(j.messages)))


def _base(*extra: object) -> Graph:
    g = Graph("t")
    g.add_node(to_note, name="a")
    for fn in extra:
        g.add_node(fn)  # type: ignore[arg-type]
    g.add_edge(START, "a")
    return g


def _error(g: Graph) -> str:
    with pytest.raises(GraphBuildError) as err:
        g.build()
    assert isinstance(err.value, UserError) and err.value.exit_code == 2
    return str(err.value)


def test_type_mismatch_names_both_nodes_and_types() -> None:
    g = _base(score_only)
    g.add_edge("a", "score_only")
    msg = _error(g)
    assert "'a' -> 'score_only'" in msg and "produces Note" in msg and "accepts Score" in msg
    assert "hint:" in msg


def test_union_output_needs_every_member_to_fit_unless_narrowed() -> None:
    g = _base(either, on_draft)
    g.add_edge("a", "either")
    g.add_edge("either", "on_draft")
    msg = _error(g)
    assert "produces Review but 'on_draft' accepts Draft" in msg

    ok = _base(either, on_draft, on_review)
    ok.add_edge("a", "either")
    ok.add_edge("either", "on_draft", when=is_a(Draft))
    ok.add_branch("either", [(is_a(Review), "on_review")])
    ok.build()  # narrowed by type: no error


def test_condition_that_can_never_hold_is_an_error() -> None:
    g = _base(on_draft)
    g.add_edge("a", "on_draft", when=is_a(Draft))
    assert "never holds" in _error(g)


def test_condition_on_a_missing_field_names_the_type() -> None:
    g = _base(note_to_note)
    g.add_edge("a", "note_to_note", when=field("scroe") > 1)
    msg = _error(g)
    assert "'scroe'" in msg and "Note does not have" in msg and "text" in msg


def test_unreachable_nodes_are_listed() -> None:
    g = _base(note_to_note, note_to_score)
    g.add_edge("a", END)
    msg = _error(g)
    assert "unreachable" in msg and "'note_to_note'" in msg and "'note_to_score'" in msg


def test_cycle_without_exit_or_budget() -> None:
    g = _base(note_to_note)
    g.add_edge("a", "note_to_note")
    g.add_edge("note_to_note", "note_to_note")
    msg = _error(g)
    assert "cycle 'note_to_note' -> 'note_to_note'" in msg and "add_loop_budget" in msg

    g2 = Graph("two")
    g2.add_node(to_note, name="a")
    g2.add_node(note_to_note, name="b")
    g2.add_node(note_to_note, name="c")
    g2.add_chain(START, "a", "b", "c", "b")
    msg2 = _error(g2)
    assert "neither an exit edge nor a loop budget" in msg2 and "'b'" in msg2 and "'c'" in msg2


def test_cycle_with_exit_or_budget_builds() -> None:
    g = _base(note_to_note)
    g.add_edge("a", "note_to_note")
    g.add_edge("note_to_note", "note_to_note", when=field("n") < 3)
    g.add_edge("note_to_note", END, when=field("n") >= 3)
    g.build()
    h = _base(note_to_note)
    h.add_edge("a", "note_to_note")
    h.add_edge("note_to_note", "note_to_note")
    h.add_loop_budget("note_to_note", max_iterations=2)
    h.build()


def test_unknown_nodes_and_missing_entry() -> None:
    g = _base()
    g.add_edge("a", "nope")
    assert "unknown node 'nope'" in _error(g)
    g2 = _base()
    g2.add_edge("ghost", "a")
    assert "unknown node 'ghost'" in _error(g2)
    g3 = Graph("noentry")
    g3.add_node(to_note)
    assert "no entry" in _error(g3)


def test_join_errors() -> None:
    g = _base(note_to_note)
    g.add_edge("a", "note_to_note")
    g.add_node(note_to_score, name="j")
    g.add_join("j", ["note_to_note"])
    msg = _error(g)
    assert "join 'j'" in msg and "delivers Joined" in msg and "accepts Note" in msg
    with pytest.raises(GraphBuildError, match="quorum"):
        _base().add_join("x", ["a", "b"], mode=quorum(3))
    with pytest.raises(GraphBuildError, match="no sources"):
        _base().add_join("x", [])
    g2 = _base(join_notes)
    g2.add_join("join_notes", ["a", "ghost"])
    assert "source 'ghost'" in _error(g2)
    g3 = _base(join_notes)
    g3.add_join("join_notes", ["a"])
    with pytest.raises(GraphBuildError, match="already a join"):
        g3.add_join("join_notes", ["a"])


def test_loop_budget_errors() -> None:
    g = _base(note_to_note, score_only)
    g.add_edge("a", "note_to_note")
    g.add_edge("note_to_note", "note_to_note")
    g.add_loop_budget("note_to_note", 3, exit_to="score_only")
    msg = _error(g)
    assert "cannot go to exit_to 'score_only'" in msg and "accepts Score" in msg
    with pytest.raises(GraphBuildError, match="exit_to must be another node"):
        _base().add_loop_budget("a", 2, exit_to="a")
    with pytest.raises(GraphBuildError, match=">= 1"):
        _base().add_loop_budget("a", 0)
    g2 = _base()
    g2.add_loop_budget("zzz", 2)
    g2.add_edge("a", END)
    assert "no node 'zzz'" in _error(g2)


def test_names_and_branches() -> None:
    g = _base()
    with pytest.raises(GraphBuildError, match="duplicate node name 'a'"):
        g.add_node(to_note, name="a")
    with pytest.raises(GraphBuildError, match="reserved"):
        g.add_node(to_note, name=END)
    with pytest.raises(GraphBuildError, match="timeout must be positive"):
        g.add_node(note_to_note, timeout=0)
    g.add_branch("a", [(field("n") > 1, END)])
    with pytest.raises(GraphBuildError, match="already has a branch"):
        g.add_branch("a", [(field("n") > 2, END)])
    with pytest.raises(GraphBuildError, match="use default= for else"):
        _base().add_branch("a", [(None, END)])
