"""The database driver interface of the SQL run store, and the schema both databases share.

A :class:`Driver` hides the connection, the placeholder style and how a transaction starts, so
:class:`~agentflow.store.sql.SqlRunStore` is written once for SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

__all__ = ["Cursor", "Driver", "schema_statements"]


class Cursor(Protocol):
    """The part of a DB-API cursor the core uses (sqlite3 and psycopg cursors both fit)."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Driver(Protocol):
    """A database connection as the core needs it.

    ``transaction(write)`` yields a cursor inside one transaction that commits on exit and rolls back
    on error; SQL is written with ``?`` placeholders and ``sql()`` rewrites them for the database.
    """

    url: str
    real_type: str

    def sql(self, text: str) -> str: ...

    def execute_one(self, sql: str, params: Sequence[Any]) -> None:
        """Run one statement as its own transaction (atomic on its own; no explicit BEGIN/COMMIT)."""
        ...

    def transaction(self, write: bool) -> AbstractContextManager[Cursor]: ...

    def close(self) -> None: ...


def schema_statements(real_type: str) -> list[str]:
    """The ``CREATE TABLE`` statements (idempotent); ``real_type`` is the float column type."""
    return [
        "CREATE TABLE IF NOT EXISTS agentflow_runs (run_id TEXT PRIMARY KEY, status TEXT NOT NULL, "
        f"meta TEXT NOT NULL, pause TEXT, error TEXT, step INTEGER NOT NULL DEFAULT 0, created {real_type}, "
        f"updated {real_type}, sealed TEXT, owner TEXT)",
        "CREATE TABLE IF NOT EXISTS agentflow_checkpoints (run_id TEXT PRIMARY KEY, step INTEGER NOT NULL, "
        f"state TEXT NOT NULL, event_seq INTEGER NOT NULL DEFAULT 0, ts {real_type}, sealed TEXT)",
        "CREATE TABLE IF NOT EXISTS agentflow_messages (run_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "body TEXT NOT NULL, PRIMARY KEY (run_id, seq))",
        "CREATE TABLE IF NOT EXISTS agentflow_events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "body TEXT NOT NULL, PRIMARY KEY (run_id, seq))",
        "CREATE TABLE IF NOT EXISTS agentflow_journal (run_id TEXT NOT NULL, key TEXT NOT NULL, "
        "ordinal INTEGER NOT NULL, tool TEXT NOT NULL, args TEXT NOT NULL, status TEXT NOT NULL, result TEXT, "
        f"error TEXT, started {real_type}, finished {real_type}, sealed TEXT, PRIMARY KEY (run_id, key))",
        "CREATE TABLE IF NOT EXISTS agentflow_inbox (run_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        f"body TEXT NOT NULL, ts {real_type}, PRIMARY KEY (run_id, seq))",
    ]
