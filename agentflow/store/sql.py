"""The SQL core shared by the SQLite and PostgreSQL run stores.

Both databases speak the same small SQL here (``INSERT ... ON CONFLICT``, text columns holding JSON),
so one class implements :class:`~agentflow.store.base.RunStore` over a :class:`Driver` that hides the
connection, the placeholder style and how a transaction starts. Every value is redacted and serialised
to JSON before it is bound, and every public method is exactly one transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, cast

from agentflow.errors import Location, UserError
from agentflow.redact import Redactor
from agentflow.safeload import load_json
from agentflow.store.base import JournalEntry, JournalStatus, RunNotFound, RunRecord, RunStatus, StoredCheckpoint
from agentflow.store.driver import Cursor, Driver, schema_statements
from agentflow.store.sealing import Sealer

__all__ = ["Cursor", "Driver", "SqlRunStore", "schema_statements"]  # driver names re-exported


class SqlRunStore:
    """A :class:`~agentflow.store.base.RunStore` over any :class:`Driver`.

    Args:
        driver: the open connection (see :func:`agentflow.store.open_store`).
        redactor: hides secrets in everything written; the default knows secret shapes and fields.
        sealer: when given, checkpoints and tool results that redaction changed are also kept
            encrypted, and read back decrypted (:mod:`agentflow.store.sealing`).
    """

    def __init__(self, driver: Driver, redactor: Redactor | None = None, sealer: Sealer | None = None) -> None:
        self._db = driver
        self._redact = redactor or Redactor()
        self._sealer = sealer
        self.url = driver.url
        with self._db.transaction(write=True) as cur:
            for stmt in schema_statements(driver.real_type):
                cur.execute(stmt)

    # -- helpers -----------------------------------------------------------------------------------

    def _dump(self, value: Any) -> str:
        return self._dump_sealed(value, seal=False)[0]

    def _dump_sealed(self, value: Any, seal: bool = True) -> tuple[str, str | None]:
        """The redacted JSON, and the sealed original when redaction changed it and a sealer is set.

        Most values hold nothing to hide: a substring pre-check on the JSON text skips the walk then.
        """
        text = json.dumps(value, ensure_ascii=False, default=str)
        if not self._redact.may_hide(text):
            return text, None
        redacted = self._redact(value)
        if redacted == value:
            return text, None
        sealed = self._sealer.seal(value) if seal and self._sealer is not None else None
        return json.dumps(redacted, ensure_ascii=False, default=str), sealed

    def _load(self, text: str, sealed: str | None) -> Any:
        if sealed and self._sealer is not None:
            return self._sealer.open(sealed)
        return _stored_json(text, self.url)

    def _tx(self, write: bool = False) -> AbstractContextManager[Cursor]:
        return self._db.transaction(write)

    def _q(self, text: str) -> str:
        return self._db.sql(text)

    # -- runs --------------------------------------------------------------------------------------

    def create_run(self, run_id: str, meta: Mapping[str, Any]) -> RunRecord:
        now = time.time()
        with self._tx(write=True) as cur:
            cur.execute(self._q("SELECT 1 FROM agentflow_runs WHERE run_id = ?"), (run_id,))
            if cur.fetchone() is not None:
                raise UserError(
                    f"run {run_id!r} already exists in store {self.url}",
                    hint=f"pick another --run-id, or continue it with `agentflow resume {run_id} --store ...`",
                )
            text, sealed = self._dump_sealed(dict(meta))
            cur.execute(
                self._q(
                    "INSERT INTO agentflow_runs (run_id, status, meta, step, created, updated, sealed) "
                    "VALUES (?, 'running', ?, 0, ?, ?, ?)"
                ),
                (run_id, text, now, now, sealed),
            )
        return RunRecord(run_id, "running", self._redact(dict(meta)), None, None, 0, now, now)

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._tx() as cur:
            cur.execute(self._q(f"{_RUN_SELECT} WHERE r.run_id = ?"), (run_id,))
            row = cur.fetchone()
        return None if row is None else self._run_record(row)

    def require_run(self, run_id: str) -> RunRecord:
        record = self.get_run(run_id)
        if record is None:
            raise RunNotFound(
                f"no run {run_id!r} in store {self.url}",
                hint="check the run id and --store (the run must have been started with --store and --run-id)",
            )
        return record

    def list_runs(self) -> list[RunRecord]:
        with self._tx() as cur:
            cur.execute(f"{_RUN_SELECT} ORDER BY r.created, r.run_id")
            rows = cur.fetchall()
        return [self._run_record(r) for r in rows]

    def set_status(
        self, run_id: str, status: RunStatus, *, pause: Mapping[str, Any] | None = None, error: str | None = None
    ) -> None:
        with self._tx(write=True) as cur:
            cur.execute(
                self._q(
                    "UPDATE agentflow_runs SET status = ?, pause = ?, error = ?, updated = ?, "
                    "owner = CASE WHEN ? = 'running' THEN owner ELSE NULL END WHERE run_id = ?"
                ),
                (
                    status,
                    None if pause is None else self._dump(dict(pause)),
                    None if error is None else self._redact.text(error),
                    time.time(),
                    status,
                    run_id,
                ),
            )

    def claim_run(self, run_id: str, owner: str) -> str | None:
        with self._tx(write=True) as cur:
            cur.execute(self._q("SELECT owner FROM agentflow_runs WHERE run_id = ?"), (run_id,))
            row = cur.fetchone()
            cur.execute(
                self._q("UPDATE agentflow_runs SET owner = ?, updated = ? WHERE run_id = ?"),
                (owner, time.time(), run_id),
            )
        return None if row is None else row[0]

    # -- steps -------------------------------------------------------------------------------------

    def commit_step(
        self,
        run_id: str,
        step: int,
        state: Mapping[str, Any],
        *,
        messages: Sequence[Mapping[str, Any]] = (),
        events: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        text, sealed = self._dump_sealed(dict(state))
        upsert = self._q(
            "INSERT INTO agentflow_checkpoints (run_id, step, state, event_seq, ts, sealed) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id) DO UPDATE SET step = excluded.step, state = excluded.state, "
            "event_seq = CASE WHEN excluded.event_seq > agentflow_checkpoints.event_seq "
            "THEN excluded.event_seq ELSE agentflow_checkpoints.event_seq END, ts = excluded.ts, "
            "sealed = excluded.sealed"
        )
        if not messages and not events:  # one statement is its own transaction: the common, fast case
            self._db.execute_one(upsert, (run_id, step, text, 0, time.time(), sealed))
            return
        with self._tx(write=True) as cur:
            last_seq = self._append(cur, run_id, messages, events)
            cur.execute(upsert, (run_id, step, text, last_seq, time.time(), sealed))

    def append_log(
        self, run_id: str, *, messages: Sequence[Mapping[str, Any]] = (), events: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        if not messages and not events:
            return
        with self._tx(write=True) as cur:
            self._append(cur, run_id, messages, events)

    def _append(
        self, cur: Cursor, run_id: str, messages: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]]
    ) -> int:
        if messages:
            cur.execute(self._q("SELECT COALESCE(MAX(seq), 0) FROM agentflow_messages WHERE run_id = ?"), (run_id,))
            base = int(cur.fetchone()[0])
            for i, msg in enumerate(messages, start=1):
                cur.execute(
                    self._q("INSERT INTO agentflow_messages (run_id, seq, body) VALUES (?, ?, ?)"),
                    (run_id, base + i, self._dump(dict(msg))),
                )
        last_seq = 0
        for event in events:
            seq = int(event["seq"])
            last_seq = max(last_seq, seq)
            cur.execute(
                self._q(
                    "INSERT INTO agentflow_events (run_id, seq, body) VALUES (?, ?, ?) "
                    "ON CONFLICT (run_id, seq) DO UPDATE SET body = excluded.body"
                ),
                (run_id, seq, self._dump(dict(event))),
            )
        return last_seq

    def load_checkpoint(self, run_id: str) -> StoredCheckpoint | None:
        with self._tx() as cur:
            cur.execute(
                self._q("SELECT step, state, event_seq, ts, sealed FROM agentflow_checkpoints WHERE run_id = ?"),
                (run_id,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        return StoredCheckpoint(run_id, int(row[0]), self._load(row[1], row[4]), int(row[2]), float(row[3] or 0.0))

    def messages(self, run_id: str) -> list[dict[str, Any]]:
        return list(self._bodies("agentflow_messages", run_id))

    def events(self, run_id: str) -> list[dict[str, Any]]:
        return list(self._bodies("agentflow_events", run_id))

    def _bodies(self, table: str, run_id: str) -> Iterator[dict[str, Any]]:
        with self._tx() as cur:
            cur.execute(self._q(f"SELECT body FROM {table} WHERE run_id = ? ORDER BY seq"), (run_id,))
            rows = cur.fetchall()
        for (body,) in rows:
            yield cast(dict[str, Any], _stored_json(body, self.url))

    # -- inbox (user input posted from outside the run) ------------------------------------------

    def post_input(self, run_id: str, text: str) -> int:
        with self._tx(write=True) as cur:
            cur.execute(self._q("SELECT COALESCE(MAX(seq), 0) FROM agentflow_inbox WHERE run_id = ?"), (run_id,))
            seq = int(cur.fetchone()[0]) + 1
            cur.execute(
                self._q("INSERT INTO agentflow_inbox (run_id, seq, body, ts) VALUES (?, ?, ?, ?)"),
                (run_id, seq, self._redact.text(text), time.time()),
            )
        return seq

    def inputs(self, run_id: str) -> list[str]:
        with self._tx() as cur:
            cur.execute(self._q("SELECT body FROM agentflow_inbox WHERE run_id = ? ORDER BY seq"), (run_id,))
            return [str(row[0]) for row in cur.fetchall()]

    # -- journal -----------------------------------------------------------------------------------

    def journal_begin(self, run_id: str, key: str, tool: str, args: Mapping[str, Any]) -> JournalEntry:
        with self._tx(write=True) as cur:
            existing = self._entry(cur, run_id, key)
            if existing is not None:
                return existing
            cur.execute(
                self._q("SELECT COALESCE(MAX(ordinal), 0) FROM agentflow_journal WHERE run_id = ?"), (run_id,)
            )
            ordinal = int(cur.fetchone()[0]) + 1
            now = time.time()
            cur.execute(
                self._q(
                    "INSERT INTO agentflow_journal (run_id, key, ordinal, tool, args, status, started) "
                    "VALUES (?, ?, ?, ?, ?, 'started', ?)"
                ),
                (run_id, key, ordinal, tool, self._dump(dict(args)), now),
            )
        return JournalEntry(run_id, key, tool, self._redact(dict(args)), "started", started=now)

    def journal_update(
        self, run_id: str, key: str, status: JournalStatus, *, result: Any = None, error: str | None = None
    ) -> None:
        text, sealed = (None, None) if result is None else self._dump_sealed(result)
        with self._tx(write=True) as cur:
            cur.execute(
                self._q(
                    "UPDATE agentflow_journal SET status = ?, result = ?, error = ?, finished = ?, sealed = ? "
                    "WHERE run_id = ? AND key = ?"
                ),
                (
                    status,
                    text,
                    None if error is None else self._redact.text(error),
                    time.time() if status in ("done", "error") else None,
                    sealed,
                    run_id,
                    key,
                ),
            )

    def journal_entry(self, run_id: str, key: str) -> JournalEntry | None:
        with self._tx() as cur:
            return self._entry(cur, run_id, key)

    def journal(self, run_id: str) -> list[JournalEntry]:
        with self._tx() as cur:
            cur.execute(
                self._q(f"SELECT {_JOURNAL_COLS} FROM agentflow_journal WHERE run_id = ? ORDER BY ordinal"),
                (run_id,),
            )
            rows = cur.fetchall()
        return [self._journal_entry(run_id, r) for r in rows]

    def _entry(self, cur: Cursor, run_id: str, key: str) -> JournalEntry | None:
        cur.execute(
            self._q(f"SELECT {_JOURNAL_COLS} FROM agentflow_journal WHERE run_id = ? AND key = ?"), (run_id, key)
        )
        row = cur.fetchone()
        return None if row is None else self._journal_entry(run_id, row)

    def _run_record(self, row: Sequence[Any]) -> RunRecord:
        return _run_record(row, self._load(row[2], row[8]), self.url)

    def _journal_entry(self, run_id: str, row: Sequence[Any]) -> JournalEntry:
        return JournalEntry(
            run_id=run_id,
            key=row[0],
            tool=row[1],
            args=_stored_json(row[2], self.url),
            status=row[3],
            result=None if row[4] is None else self._load(row[4], row[8]),
            error=row[5],
            started=float(row[6] or 0.0),
            finished=None if row[7] is None else float(row[7]),
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqlRunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# A run's step and last update come from its checkpoint (a step writes only the checkpoint row).
_RUN_SELECT = (
    "SELECT r.run_id, r.status, r.meta, r.pause, r.error, COALESCE(c.step, 0), r.created, "
    "CASE WHEN c.ts IS NOT NULL AND c.ts > r.updated THEN c.ts ELSE r.updated END, r.sealed, r.owner "
    "FROM agentflow_runs r LEFT JOIN agentflow_checkpoints c ON c.run_id = r.run_id"
)
_JOURNAL_COLS = "key, tool, args, status, result, error, started, finished, sealed"


def _run_record(row: Sequence[Any], meta: Any, url: str) -> RunRecord:
    return RunRecord(
        owner=row[9],
        run_id=row[0],
        status=row[1],
        meta=meta,
        pause=None if row[3] is None else _stored_json(row[3], url),
        error=row[4],
        step=int(row[5]),
        created=float(row[6] or 0.0),
        updated=float(row[7] or 0.0),
    )




def _stored_json(text: str, url: str) -> Any:
    """A JSON column's value; a row changed outside agentflow is one located error, not a traceback."""
    try:
        return load_json(text, url)
    except UserError as exc:
        hint = "it was changed outside agentflow: restore the file or start a new run"
        message = f"the store holds a corrupt record ({exc.message})"
        raise UserError(message, location=Location(url), hint=hint) from None
