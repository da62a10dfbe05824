"""The curator's template tree: persistence across instances, ranking, credit, episode rates."""

from __future__ import annotations

from pathlib import Path

from agentflow.roles.template_tree import TemplateTree


def test_lessons_persist_dedupe_and_rank_by_relevance(tmp_path: Path) -> None:
    db = tmp_path / "tree.db"
    tree = TemplateTree(db)
    assert tree.add("Recompute percentages from the raw cells.", ["Arithmetic", "percentage"])
    assert not tree.add("Recompute percentages from the raw cells.", ["arithmetic", "percentage"])
    assert tree.add("Check the row matches the year asked.", ["extraction", "row"])
    again = TemplateTree(db)  # a later run opens the same file
    assert len(again) == 2
    assert again.paths() == ["arithmetic/percentage", "extraction/row"]
    top = again.guidance("Which year had the largest row value?", k=1)
    assert top == ["[extraction/row] Check the row matches the year asked."]
    top = again.guidance("What percentage growth?", k=1)
    assert top[0].startswith("[arithmetic/percentage]")


def test_credit_lifts_helpful_lessons_among_equals(tmp_path: Path) -> None:
    tree = TemplateTree(tmp_path / "t.db")
    tree.add("lesson one", ["a"])
    tree.add("lesson two", ["b"])
    tree.credit(["[b] lesson two"], helped=True)
    assert tree.guidance("", k=1) == ["[b] lesson two"]


def test_episode_rates(tmp_path: Path) -> None:
    tree = TemplateTree(tmp_path / "t.db")
    tree.record_episode("r1", initially_correct=False, finally_correct=True)
    tree.record_episode("r2", initially_correct=False, finally_correct=False)
    tree.record_episode("r3", initially_correct=True, finally_correct=False)
    tree.record_episode("r4", initially_correct=True, finally_correct=True)
    tree.record_episode("r5", initially_correct=None, finally_correct=None)
    stats = tree.stats()
    assert stats.episodes == 5
    assert stats.error_correction_rate == 0.5
    assert stats.degradation_rate == 0.5
