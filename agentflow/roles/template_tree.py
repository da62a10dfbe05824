"""The curator's self-evolving template tree, persisted in SQLite.

Table-Critic's curator files each distilled lesson under a path of error categories (``arithmetic /
percentage``). Later runs ask the tree for the lessons most relevant to a new question and hand them
to the critic as guidance; after each run the lessons that were shown get credit when the run fixed an
error, so useful ones rise. The tree also keeps one row per episode (was the first answer right,
was the final one right) so the workflow can report its error-correction and degradation rates.

The database is a plain SQLite file; each call opens and closes its own connection, so one file can
be shared by concurrent runs and survives crashes.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EpisodeStats", "TemplateTree"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lessons (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    text TEXT NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0,
    helped INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    UNIQUE (path, text)
);
CREATE TABLE IF NOT EXISTS episodes (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    initially_correct INTEGER,
    finally_correct INTEGER,
    rounds INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
"""

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2}


@dataclass(frozen=True)
class EpisodeStats:
    """Rates over the recorded episodes that have ground truth.

    ``error_correction_rate``: of the episodes whose first answer was wrong, the share fixed.
    ``degradation_rate``: of the episodes whose first answer was right, the share made wrong.
    """

    episodes: int
    initially_wrong: int
    corrected: int
    initially_right: int
    degraded: int

    @property
    def error_correction_rate(self) -> float:
        return self.corrected / self.initially_wrong if self.initially_wrong else 0.0

    @property
    def degradation_rate(self) -> float:
        return self.degraded / self.initially_right if self.initially_right else 0.0


class TemplateTree:
    """Lessons filed under category paths, ranked for a question, with episode outcomes.

    Args:
        path: the SQLite file (created with its tables when missing); ``:memory:`` is not
            supported because every call opens its own connection.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, text: str, path: list[str] | tuple[str, ...]) -> bool:
        """File a lesson under ``path``; returns False when the same lesson is already there."""
        clean = "/".join(p.strip().lower() for p in path if p.strip()) or "general"
        body = text.strip()
        if not body:
            return False
        with self._db() as db:
            cur = db.execute("INSERT OR IGNORE INTO lessons(path, text, created) VALUES (?, ?, ?)",
                             (clean, body, time.time()))
            return cur.rowcount > 0

    def paths(self) -> list[str]:
        """Every category path in the tree, sorted."""
        with self._db() as db:
            return [r[0] for r in db.execute("SELECT DISTINCT path FROM lessons ORDER BY path")]

    def guidance(self, query: str = "", k: int = 5) -> list[str]:
        """The ``k`` lessons most relevant to ``query`` (word overlap with path and text, then credit).

        Each lesson returned is counted as used.
        """
        with self._db() as db:
            rows = list(db.execute("SELECT id, path, text, uses, helped, created FROM lessons"))
            want = _words(query)

            def rank(row: tuple[int, str, str, int, int, float]) -> tuple[float, ...]:
                overlap = len(want & (_words(row[1].replace("/", " ")) | _words(row[2])))
                success = (row[4] + 1) / (row[3] + 2)  # Laplace-smoothed share of uses that helped
                return (-overlap, -success, -row[5])

            chosen = sorted(rows, key=rank)[: max(k, 0)]
            db.executemany("UPDATE lessons SET uses = uses + 1 WHERE id = ?", [(r[0],) for r in chosen])
        return [f"[{r[1]}] {r[2]}" for r in chosen]

    def credit(self, shown: list[str], helped: bool) -> None:
        """Credit the lessons in ``shown`` (as returned by :meth:`guidance`) when they helped."""
        if not helped:
            return
        with self._db() as db:
            for item in shown:
                path, _, text = item.partition("] ")
                db.execute("UPDATE lessons SET helped = helped + 1 WHERE path = ? AND text = ?",
                           (path.lstrip("["), text))

    def record_episode(self, run_id: str, *, initially_correct: bool | None, finally_correct: bool | None,
                       rounds: int = 0) -> None:
        """Store one run's outcome (``None``: unknown, no ground truth)."""
        with self._db() as db:
            db.execute(
                "INSERT INTO episodes(run_id, initially_correct, finally_correct, rounds, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (run_id, _tri(initially_correct), _tri(finally_correct), rounds, time.time()),
            )

    def stats(self) -> EpisodeStats:
        """Error-correction and degradation counts over episodes with ground truth."""
        with self._db() as db:
            rows = list(db.execute("SELECT initially_correct, finally_correct FROM episodes"
                                   " WHERE initially_correct IS NOT NULL AND finally_correct IS NOT NULL"))
            total = db.execute("SELECT COUNT(*) FROM episodes").fetchone()[0]
        wrong = [r for r in rows if not r[0]]
        right = [r for r in rows if r[0]]
        return EpisodeStats(
            episodes=int(total), initially_wrong=len(wrong), corrected=sum(1 for r in wrong if r[1]),
            initially_right=len(right), degraded=sum(1 for r in right if not r[1]),
        )

    def __len__(self) -> int:
        with self._db() as db:
            return int(db.execute("SELECT COUNT(*) FROM lessons").fetchone()[0])


def _tri(value: bool | None) -> int | None:
    return None if value is None else int(value)
