"""The durable store of ``aslrun serve``: state machines, executions, their histories, activities, tags.

One SQLite database (``aslrun.sqlite3`` under the data directory) in write-ahead mode with
``synchronous=FULL``, so what the API answered survives a crash of the server. One connection,
shared by the server's threads under a lock; history events arrive through :meth:`Store.add_events`
from a writer thread that commits them in batches (one fsync for many events).

Timestamps are epoch seconds (floats), as the JSON protocol carries them. Payloads (``input``,
``output``, ``definition``) are JSON text, as the API carries them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["DB_NAME", "MEMORY", "Store", "default_data_dir"]

#: the database file inside the data directory
DB_NAME = "aslrun.sqlite3"

#: ``--data :memory:``: nothing kept after the server stops
MEMORY = ":memory:"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS machines (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, definition TEXT NOT NULL,
    role_arn TEXT NOT NULL, created REAL NOT NULL, updated REAL, revision TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
    input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT, start REAL NOT NULL, stop REAL,
    definition TEXT NOT NULL, revision TEXT NOT NULL, role_arn TEXT NOT NULL, seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (machine_arn, start);
CREATE TABLE IF NOT EXISTS events (
    execution_arn TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id)
);
CREATE TABLE IF NOT EXISTS activities (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL, seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, number INTEGER NOT NULL, definition TEXT NOT NULL,
    role_arn TEXT NOT NULL, revision TEXT NOT NULL, description TEXT, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS version_numbers (machine_arn TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS aliases (
    arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
    routing TEXT NOT NULL, created REAL NOT NULL, updated REAL, seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS map_runs (
    arn TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, machine_arn TEXT NOT NULL, status TEXT NOT NULL,
    start REAL NOT NULL, stop REAL, max_concurrency INTEGER NOT NULL, tolerated_count INTEGER,
    tolerated_percentage REAL, total INTEGER NOT NULL, writes_results INTEGER NOT NULL, seq INTEGER NOT NULL,
    redrive_count INTEGER NOT NULL DEFAULT 0, redrive_date REAL
);
CREATE INDEX IF NOT EXISTS map_runs_by_execution ON map_runs (execution_arn, seq);
"""

_MACHINE_COLUMNS = ("arn", "name", "type", "definition", "role_arn", "created", "updated", "revision")
_EXECUTION_COLUMNS = ("arn", "machine_arn", "name", "status", "input", "output", "error", "cause", "start", "stop",
                      "definition", "revision", "role_arn", "version_arn", "alias_arn", "map_run_arn", "item_count",
                      "test_case")
#: columns added after the first release, by table, with their types (older stores get them on open).
#: ``events.scope`` is the event's scope as a JSON list (redrive needs it): NULL in an older store's events.
#: A Map Run's child is an execution with ``map_run_arn`` and ``item_count``; ``redrive_tokens`` is a JSON
#: list of ``[clientToken, redriveDate]``; ``test_case`` the MockConfigFile test case it ran.
_ADDED_COLUMNS = {
    "executions": {"version_arn": "TEXT", "alias_arn": "TEXT", "map_run_arn": "TEXT", "item_count": "INTEGER",
                   "redrive_count": "INTEGER NOT NULL DEFAULT 0", "redrive_date": "REAL", "redrive_tokens": "TEXT",
                   "test_case": "TEXT"},
    "events": {"scope": "TEXT"},
}


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/aslrun``, else ``~/.local/share/aslrun``."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "aslrun"


class Store:
    """The server's SQLite database. ``data`` is a directory, or :data:`MEMORY`."""

    def __init__(self, data: str | Path = MEMORY) -> None:
        if str(data) == MEMORY:
            target = MEMORY
        else:
            directory = Path(data)
            directory.mkdir(parents=True, exist_ok=True)
            target = str(directory / DB_NAME)
        self.location = target
        self._lock = threading.RLock()
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if target != MEMORY:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            present = {row["name"] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for column, kind in columns.items():
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._db.execute("CREATE INDEX IF NOT EXISTS executions_by_map_run ON executions (map_run_arn, start)")
        self._seq = self._scalar("SELECT MAX(m) FROM (SELECT MAX(seq) AS m FROM machines UNION ALL "
                                 "SELECT MAX(seq) FROM executions UNION ALL SELECT MAX(seq) FROM activities)") or 0

    # ------------------------------------------------------------ plumbing

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _scalar(self, sql: str, *args: Any) -> Any:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return None if row is None else row[0]

    def _rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(row) for row in self._db.execute(sql, args).fetchall()]

    def _next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    # ------------------------------------------------------------ state machines

    def add_machine(self, machine: dict[str, Any]) -> None:
        values = [machine.get(c) for c in _MACHINE_COLUMNS] + [self._next_seq()]
        with self._transaction() as db:
            db.execute(f"INSERT INTO machines ({', '.join(_MACHINE_COLUMNS)}, seq) "
                       f"VALUES ({', '.join('?' * (len(_MACHINE_COLUMNS) + 1))})", values)

    def machine(self, arn: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM machines WHERE arn = ?", arn)
        return rows[0] if rows else None

    def machines(self, offset: int = 0, limit: int = -1) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM machines ORDER BY seq LIMIT ? OFFSET ?", limit, offset)

    def update_machine(self, arn: str, **fields: Any) -> None:
        names = sorted(fields)
        with self._transaction() as db:
            db.execute(f"UPDATE machines SET {', '.join(f'{n} = ?' for n in names)} WHERE arn = ?",
                       [fields[n] for n in names] + [arn])

    def delete_machine(self, arn: str) -> None:
        """Forget a state machine with its versions and aliases (their executions stay)."""
        with self._transaction() as db:
            db.execute("DELETE FROM machines WHERE arn = ?", (arn,))
            db.execute("DELETE FROM tags WHERE arn = ?", (arn,))
            db.execute("DELETE FROM versions WHERE machine_arn = ?", (arn,))
            db.execute("DELETE FROM version_numbers WHERE machine_arn = ?", (arn,))
            db.execute("DELETE FROM aliases WHERE machine_arn = ?", (arn,))

    # ------------------------------------------------------------ versions and aliases

    def add_version(self, machine: dict[str, Any], description: str | None, created: float) -> dict[str, Any]:
        """Publish the machine's current revision as its next version number (numbers are never reused)."""
        with self._transaction() as db:
            row = db.execute("SELECT last FROM version_numbers WHERE machine_arn = ?", (machine["arn"],)).fetchone()
            number = (row["last"] if row is not None else 0) + 1
            db.execute("INSERT OR REPLACE INTO version_numbers (machine_arn, last) VALUES (?, ?)",
                       (machine["arn"], number))
            version = {"arn": f"{machine['arn']}:{number}", "machine_arn": machine["arn"], "number": number,
                       "definition": machine["definition"], "role_arn": machine["role_arn"],
                       "revision": machine["revision"], "description": description, "created": created}
            db.execute("INSERT INTO versions (arn, machine_arn, number, definition, role_arn, revision, description, "
                       "created) VALUES (:arn, :machine_arn, :number, :definition, :role_arn, :revision, "
                       ":description, :created)", version)
        return version

    def version(self, arn: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM versions WHERE arn = ?", arn)
        return rows[0] if rows else None

    def versions(self, machine_arn: str, offset: int = 0, limit: int = -1) -> list[dict[str, Any]]:
        """Newest first."""
        return self._rows("SELECT * FROM versions WHERE machine_arn = ? ORDER BY number DESC LIMIT ? OFFSET ?",
                          machine_arn, limit, offset)

    def delete_version(self, arn: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM versions WHERE arn = ?", (arn,))

    def put_alias(self, alias: dict[str, Any]) -> None:
        """Create or replace an alias (``routing`` a list, stored as JSON)."""
        values = {**alias, "routing": json.dumps(alias["routing"]), "seq": self._next_seq()}
        with self._transaction() as db:
            old = db.execute("SELECT seq FROM aliases WHERE arn = ?", (alias["arn"],)).fetchone()
            if old is not None:
                values["seq"] = old["seq"]
            db.execute("INSERT OR REPLACE INTO aliases (arn, machine_arn, name, description, routing, created, "
                       "updated, seq) VALUES (:arn, :machine_arn, :name, :description, :routing, :created, "
                       ":updated, :seq)", values)

    def alias(self, arn: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM aliases WHERE arn = ?", arn)
        return {**rows[0], "routing": json.loads(rows[0]["routing"])} if rows else None

    def aliases(self, machine_arn: str) -> list[dict[str, Any]]:
        """Oldest first (as AWS's recorded answers list them)."""
        return [{**row, "routing": json.loads(row["routing"])}
                for row in self._rows("SELECT * FROM aliases WHERE machine_arn = ? ORDER BY seq", machine_arn)]

    def delete_alias(self, arn: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM aliases WHERE arn = ?", (arn,))

    # ------------------------------------------------------------ executions

    def add_execution(self, execution: dict[str, Any]) -> None:
        values = [execution.get(c) for c in _EXECUTION_COLUMNS] + [self._next_seq()]
        with self._transaction() as db:
            db.execute(f"INSERT INTO executions ({', '.join(_EXECUTION_COLUMNS)}, seq) "
                       f"VALUES ({', '.join('?' * (len(_EXECUTION_COLUMNS) + 1))})", values)

    def execution(self, arn: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM executions WHERE arn = ?", arn)
        return rows[0] if rows else None

    def executions(self, machine_arn: str | None = None, status: str | None = None, offset: int = 0,
                   limit: int = -1, column: str = "machine_arn", redriven: bool | None = None) -> list[dict[str, Any]]:
        """Newest first (by start), optionally of one machine (or ``column``: version, alias or Map Run), one
        status, redriven or not. Without ``machine_arn``, Map Runs' children are left out."""
        where, args = [], []
        if machine_arn is not None:
            assert column in ("machine_arn", "version_arn", "alias_arn", "map_run_arn")
            where.append(f"{column} = ?")
            args.append(machine_arn)
        else:
            where.append("map_run_arn IS NULL")
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if redriven is not None:
            where.append("redrive_count > 0" if redriven else "redrive_count = 0")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return self._rows(f"SELECT * FROM executions {clause} ORDER BY start DESC, seq DESC LIMIT ? OFFSET ?",
                          *args, limit, offset)

    def finish_execution(self, arn: str, status: str, output: str | None, error: str | None, cause: str | None,
                         stop: float) -> None:
        with self._transaction() as db:
            db.execute("UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, stop = ? WHERE arn = ?",
                       (status, output, error, cause, stop, arn))

    def delete_execution(self, arn: str) -> None:
        """Forget an execution and its history (tests reuse names; the API has no such operation)."""
        with self._transaction() as db:
            db.execute("DELETE FROM executions WHERE arn = ?", (arn,))
            db.execute("DELETE FROM events WHERE execution_arn = ?", (arn,))

    def add_events(self, events: Iterable[tuple[Any, ...]]) -> None:
        """Append history events ``(execution ARN, event id, AWS-shaped event[, scope])`` in one transaction."""
        self.write_batch(events)

    def write_batch(self, events: Iterable[tuple[Any, ...]], executions: Iterable[dict[str, Any]] = (),
                    finished: Iterable[tuple[str, str, str | None, str | None, str | None, float]] = (),
                    redriven: Iterable[tuple[str, float]] = ()) -> None:
        """One transaction: new execution rows (Map Run children; an existing ARN is kept), executions
        redriven ``(arn, date)``, events ``(execution ARN, id, body[, scope tuple])``, then final statuses
        ``(arn, status, output, error, cause, stop)``."""
        rows = [(item[0], item[1], json.dumps(item[2], separators=(",", ":")),
                 json.dumps(item[3]) if len(item) > 3 and item[3] is not None else None) for item in events]
        values = [[row.get(c) for c in _EXECUTION_COLUMNS] + [self._next_seq()] for row in executions]
        with self._transaction() as db:
            if values:
                db.executemany(f"INSERT OR IGNORE INTO executions ({', '.join(_EXECUTION_COLUMNS)}, seq) "
                               f"VALUES ({', '.join('?' * (len(_EXECUTION_COLUMNS) + 1))})", values)
            db.executemany("UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, "
                           "stop = NULL, redrive_count = redrive_count + 1, redrive_date = ? WHERE arn = ?",
                           [(date, arn) for arn, date in redriven])
            db.executemany("INSERT OR REPLACE INTO events (execution_arn, id, body, scope) VALUES (?, ?, ?, ?)", rows)
            db.executemany("UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, stop = ? "
                           "WHERE arn = ?", [(status, output, error, cause, stop, arn)
                                             for arn, status, output, error, cause, stop in finished])

    def events(self, arn: str, offset: int = 0, limit: int = -1, reverse: bool = False) -> list[dict[str, Any]]:
        order = "DESC" if reverse else "ASC"
        return [json.loads(row["body"]) for row in self._rows(
            f"SELECT body FROM events WHERE execution_arn = ? ORDER BY id {order} LIMIT ? OFFSET ?", arn, limit, offset)]

    def scoped_events(self, arn: str) -> list[dict[str, Any]] | None:
        """The whole history, each event with its ``scope`` (a list); None when an event has none (an older store)."""
        out = []
        for row in self._rows("SELECT body, scope FROM events WHERE execution_arn = ? ORDER BY id", arn):
            if row["scope"] is None:
                return None
            body = json.loads(row["body"])
            body["scope"] = json.loads(row["scope"])
            out.append(body)
        return out

    def history_facts(self, arn: str) -> tuple[int, bool]:
        """How many events the execution has, and whether each has its scope."""
        row = self._rows("SELECT COUNT(*) AS n, COUNT(scope) AS scoped FROM events WHERE execution_arn = ?", arn)[0]
        return int(row["n"]), row["n"] == row["scoped"]

    def set_event_details(self, arn: str, event_id: int, key: str, details: dict[str, Any]) -> None:
        """Replace one stored event's details object (StopExecution's error and cause)."""
        with self._transaction() as db:
            row = db.execute("SELECT body FROM events WHERE execution_arn = ? AND id = ?", (arn, event_id)).fetchone()
            if row is not None:
                body = json.loads(row["body"])
                body[key] = details
                db.execute("UPDATE events SET body = ? WHERE execution_arn = ? AND id = ?",
                           (json.dumps(body, separators=(",", ":")), arn, event_id))

    def last_event_id(self, arn: str) -> int:
        return int(self._scalar("SELECT MAX(id) FROM events WHERE execution_arn = ?", arn) or 0)

    def running(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM executions WHERE status = 'RUNNING' ORDER BY seq")

    def redrive(self, arn: str, date: float, tokens: list[Any]) -> bool:
        """Mark a closed execution RUNNING again, redriven once more; False when it is not closed (a race)."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stop = NULL, "
                "redrive_count = redrive_count + 1, redrive_date = ?, redrive_tokens = ? "
                "WHERE arn = ? AND status IN ('FAILED', 'TIMED_OUT', 'ABORTED')", (date, json.dumps(tokens), arn))
            return cursor.rowcount == 1

    # ------------------------------------------------------------ Map Runs

    def add_map_run(self, run: dict[str, Any]) -> None:
        """A Map Run that starts; one that exists already is being redriven (RUNNING again, counted)."""
        values = {**run, "seq": self._next_seq()}
        with self._transaction() as db:
            db.execute("INSERT INTO map_runs (arn, execution_arn, machine_arn, status, start, stop, "
                       "max_concurrency, tolerated_count, tolerated_percentage, total, writes_results, seq) VALUES "
                       "(:arn, :execution_arn, :machine_arn, :status, :start, NULL, :max_concurrency, "
                       ":tolerated_count, :tolerated_percentage, :total, :writes_results, :seq) "
                       "ON CONFLICT (arn) DO UPDATE SET status = 'RUNNING', stop = NULL, "
                       "redrive_count = redrive_count + 1, redrive_date = excluded.start", values)

    def children_events(self, execution_arn: str) -> list[dict[str, Any]] | None:
        """The events of the children of an execution's Map Runs, each with ``scope`` and ``child``
        (``[Map Run ARN, index]``); None when one has no scope (an older store)."""
        out = []
        for row in self._rows(
                "SELECT e.name AS name, m.arn AS run, v.body AS body, v.scope AS scope FROM map_runs m "
                "JOIN executions e ON e.map_run_arn = m.arn JOIN events v ON v.execution_arn = e.arn "
                "WHERE m.execution_arn = ? ORDER BY e.seq, v.id", execution_arn):
            if row["scope"] is None:
                return None
            body = json.loads(row["body"])
            body["scope"] = json.loads(row["scope"])
            body["child"] = [row["run"], int(row["name"].rsplit("-", 1)[1])]
            out.append(body)
        return out

    def map_run(self, arn: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM map_runs WHERE arn = ?", arn)
        return rows[0] if rows else None

    def map_runs(self, execution_arn: str, offset: int = 0, limit: int = -1) -> list[dict[str, Any]]:
        """An execution's Map Runs, newest first."""
        return self._rows("SELECT * FROM map_runs WHERE execution_arn = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
                          execution_arn, limit, offset)

    def update_map_run(self, arn: str, **fields: Any) -> None:
        names = sorted(fields)
        with self._transaction() as db:
            db.execute(f"UPDATE map_runs SET {', '.join(f'{n} = ?' for n in names)} WHERE arn = ?",
                       [fields[n] for n in names] + [arn])

    def running_map_runs(self, execution_arn: str | None = None) -> list[dict[str, Any]]:
        """The RUNNING Map Runs (of one execution)."""
        if execution_arn is None:
            return self._rows("SELECT * FROM map_runs WHERE status = 'RUNNING' ORDER BY seq")
        return self._rows("SELECT * FROM map_runs WHERE status = 'RUNNING' AND execution_arn = ? ORDER BY seq",
                          execution_arn)

    def child_counts(self, map_run_arn: str) -> dict[str, tuple[int, int]]:
        """A Map Run's children by status: ``(executions, items)``."""
        rows = self._rows("SELECT status, COUNT(*) AS n, SUM(COALESCE(item_count, 1)) AS items FROM executions "
                          "WHERE map_run_arn = ? GROUP BY status", map_run_arn)
        return {row["status"]: (int(row["n"]), int(row["items"] or 0)) for row in rows}

    def running_children(self, map_run_arn: str) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM executions WHERE map_run_arn = ? AND status = 'RUNNING' ORDER BY seq",
                          map_run_arn)

    # ------------------------------------------------------------ activities and tags

    def add_activity(self, arn: str, name: str, created: float) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO activities (arn, name, created, seq) VALUES (?, ?, ?, ?)",
                       (arn, name, created, self._next_seq()))

    def activity(self, arn: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM activities WHERE arn = ?", arn)
        return rows[0] if rows else None

    def activities(self, offset: int = 0, limit: int = -1) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM activities ORDER BY seq LIMIT ? OFFSET ?", limit, offset)

    def delete_activity(self, arn: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM activities WHERE arn = ?", (arn,))
            db.execute("DELETE FROM tags WHERE arn = ?", (arn,))

    def tags(self, arn: str) -> list[dict[str, str]]:
        return [{"key": r["key"], "value": r["value"]}
                for r in self._rows("SELECT key, value FROM tags WHERE arn = ? ORDER BY key", arn)]

    def set_tags(self, arn: str, tags: Iterable[tuple[str, str]]) -> None:
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)",
                           [(arn, k, v) for k, v in tags])

    def remove_tags(self, arn: str, keys: Iterable[str]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM tags WHERE arn = ? AND key = ?", [(arn, k) for k in keys])
