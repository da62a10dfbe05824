"""The PostgreSQL run store (``--store postgresql://...``), over psycopg 3.

Same SQL core and behaviour as the SQLite store; install with ``pip install 'agentflow[postgres]'``.
psycopg is imported only when a PostgreSQL store is opened, so ``import agentflow`` stays light.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from agentflow.errors import UserError
from agentflow.redact import Redactor
from agentflow.store.base import StoreError
from agentflow.store.sealing import Sealer
from agentflow.store.sql import Cursor, SqlRunStore

__all__ = ["PostgresDriver", "open_postgres"]


class PostgresDriver:
    """A :class:`~agentflow.store.sql.Driver` over one psycopg connection.

    Args:
        dsn: a libpq connection string or ``postgresql://`` URL.
        connect_timeout_s: how long to wait for the server.
    """

    real_type = "DOUBLE PRECISION"

    def __init__(self, dsn: str, *, connect_timeout_s: float = 10.0) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise UserError(
                "a PostgreSQL store needs psycopg", hint="pip install 'agentflow[postgres]'"
            ) from exc
        self.url = _hide_password(dsn)
        self._errors: type[Exception] = psycopg.Error
        try:
            self._conn: Any = psycopg.connect(dsn, autocommit=True, connect_timeout=max(1, int(connect_timeout_s)))
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL store {self.url}: {exc}") from exc

    def sql(self, text: str) -> str:
        """psycopg takes ``%s`` placeholders."""
        return text.replace("?", "%s")

    def execute_one(self, sql: str, params: Sequence[Any]) -> None:
        """One autocommitted statement (the connection is in autocommit mode)."""
        try:
            self._conn.execute(sql, params)
        except self._errors as exc:
            raise StoreError(f"PostgreSQL store {self.url}: {exc}") from exc

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Cursor]:
        """One transaction (psycopg commits on a clean exit, rolls back on an exception)."""
        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                if write:
                    # Serialise writers of one store the way SQLite's single write lock does, so the
                    # read-then-insert steps (ordinals, message numbering) never race.
                    cur.execute("SELECT pg_advisory_xact_lock(7361)")
                yield cur
        except self._errors as exc:
            raise StoreError(f"PostgreSQL store {self.url}: {exc}") from exc

    def close(self) -> None:
        self._conn.close()


def open_postgres(dsn: str, *, redactor: Redactor | None = None, sealer: Sealer | None = None) -> SqlRunStore:
    """Open a PostgreSQL run store (tables are created when missing)."""
    return SqlRunStore(PostgresDriver(dsn), redactor, sealer)


def _hide_password(dsn: str) -> str:
    """The DSN without its password, for messages (``postgresql://user:***@host/db``)."""
    if "://" in dsn and "@" in dsn:
        scheme, rest = dsn.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            creds = creds.split(":", 1)[0] + ":***"
        return f"{scheme}://{creds}@{host}"
    return " ".join("password=***" if p.startswith("password=") else p for p in dsn.split())
