"""The default run store: one SQLite file in WAL mode.

WAL lets a reader (``agentflow resume``, a dashboard) read while a run writes, and makes each commit one
append to the log. ``synchronous=NORMAL`` keeps every committed step across a *process* crash (what
``kill -9`` does); pass ``sync="full"`` to also survive a power loss, at the price of an fsync per step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from agentflow.redact import Redactor
from agentflow.store.base import StoreError
from agentflow.store.sealing import Sealer
from agentflow.store.sql import Cursor, SqlRunStore

__all__ = ["SqliteDriver", "open_sqlite"]


class SqliteDriver:
    """A :class:`~agentflow.store.sql.Driver` over one ``sqlite3`` connection (autocommit + explicit BEGIN).

    Args:
        path: the database file (created with its directory when missing); ``:memory:`` works too.
        sync: ``"normal"`` (survives process crashes) or ``"full"`` (also power loss).
        timeout_s: how long to wait for another process's write lock before failing.
    """

    real_type = "REAL"

    def __init__(
        self, path: str | Path, *, sync: Literal["normal", "full"] = "normal", timeout_s: float = 10.0
    ) -> None:
        self.url = str(path)
        if self.url != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.url, timeout=timeout_s, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={sync.upper()}")
            self._conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {self.url}: {exc}") from exc

    def sql(self, text: str) -> str:
        """SQLite takes ``?`` placeholders as written."""
        return text

    def execute_one(self, sql: str, params: Sequence[Any]) -> None:
        """One autocommitted statement (SQLite wraps it in its own transaction)."""
        try:
            self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to SQLite store {self.url}: {exc}") from exc

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Cursor]:
        """One transaction; writers take the lock up front (``BEGIN IMMEDIATE``) so they never deadlock."""
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield cur
        except BaseException:
            if self._conn.in_transaction:
                self._conn.rollback()
            raise
        else:
            try:
                cur.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot commit to SQLite store {self.url}: {exc}") from exc
        finally:
            cur.close()

    def close(self) -> None:
        self._conn.close()


def open_sqlite(
    path: str | Path,
    *,
    redactor: Redactor | None = None,
    sealer: Sealer | None = None,
    sync: Literal["normal", "full"] = "normal",
) -> SqlRunStore:
    """Open (creating if needed) a SQLite run store at ``path``."""
    return SqlRunStore(SqliteDriver(path, sync=sync), redactor, sealer)
