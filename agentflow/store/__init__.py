"""Durable runs: the run store (SQLite by default, PostgreSQL optional), the tool-call journal, and the
recorder that checkpoints a session after every step. See ``docs/durable.md``.
"""

from __future__ import annotations

from pathlib import Path

from agentflow.errors import UserError
from agentflow.redact import Redactor
from agentflow.store.base import (
    JournalEntry,
    JournalStatus,
    RunNotFound,
    RunRecord,
    RunStatus,
    RunStore,
    StoredCheckpoint,
    StoreError,
)
from agentflow.store.executor import JournaledExecutor
from agentflow.store.inbox import END_OF_CONVERSATION, InboxUser
from agentflow.store.journal import (
    ApprovalRequired,
    CallOutcome,
    PauseRun,
    ToolCallInterrupted,
    ToolJournal,
    call_key,
)
from agentflow.store.recorder import RunRecorder, rewrite_trace
from agentflow.store.replay import LLM_TOOL, JournaledBackend
from agentflow.store.sealing import KEY_ENV, Sealer
from agentflow.store.sql import SqlRunStore

__all__ = [
    "END_OF_CONVERSATION",
    "KEY_ENV",
    "LLM_TOOL",
    "ApprovalRequired",
    "CallOutcome",
    "InboxUser",
    "JournalEntry",
    "JournalStatus",
    "JournaledBackend",
    "JournaledExecutor",
    "PauseRun",
    "RunNotFound",
    "RunRecord",
    "RunRecorder",
    "RunStatus",
    "RunStore",
    "Sealer",
    "SqlRunStore",
    "StoreError",
    "StoredCheckpoint",
    "ToolCallInterrupted",
    "ToolJournal",
    "call_key",
    "open_store",
    "rewrite_trace",
]


def open_store(spec: str | Path, *, redactor: Redactor | None = None, sealer: Sealer | None = None) -> SqlRunStore:
    """Open the run store named by ``--store``: a ``postgresql://`` / ``postgres://`` URL, else a SQLite path.

    ``sqlite:///PATH`` is accepted too; ``:memory:`` gives a throwaway in-process store. ``redactor``
    hides secrets in everything written; ``sealer`` keeps what it hid, encrypted (see ``sealing``).
    """
    text = str(spec)
    if text.startswith(("postgresql://", "postgres://")):
        from agentflow.store.postgres import open_postgres

        return open_postgres(text, redactor=redactor, sealer=sealer)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")  # sqlite:///rel.db -> rel.db, sqlite:////abs.db -> /abs.db
    elif "://" in text:
        raise UserError(
            f"unknown store {text!r}",
            hint="use a SQLite file path (runs.db) or a postgresql://user@host/db URL",
        )
    from agentflow.store.sqlite import open_sqlite

    return open_sqlite(text, redactor=redactor, sealer=sealer)
