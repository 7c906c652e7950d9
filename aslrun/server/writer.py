"""The history writer of ``aslrun serve``: one thread that commits what executions record, in batches.

It receives the events of the server's executions (with their scopes, which RedriveExecution
needs), the events of their Distributed Maps' children, and the ends of those children, and keeps
the Map Runs' rows up to date:

- ``MapRunStarted`` adds the Map Run (its settings from the engine's :class:`~aslrun.maprun.MapRuns`);
  ``MapRunSucceeded``/``MapRunFailed``/``MapRunAborted`` close it, and abort the children that still run.
- A child execution gets its row with its first event; as on AWS its history starts with
  ``ExecutionStarted`` (so the engine's event ids move up by one) and ends with ``ExecutionSucceeded``,
  ``ExecutionFailed`` (when the Map reports the child's end) or ``ExecutionAborted``.
- When an execution ends (:meth:`HistoryWriter.execution_ended`), its Map Runs still running end ABORTED.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from aslrun.dataflow import compact_json
from aslrun.effects import Event
from aslrun.history import event_to_dict
from aslrun.maprun import MapRunControl, child_execution, labelled_machine_arn
from aslrun.server.store import Store

__all__ = ["HistoryWriter", "api_event"]

_RUN_START = ("MapRunStarted", "MapRunRedriven")
_RUN_END = {"MapRunSucceeded": "SUCCEEDED", "MapRunFailed": "FAILED", "MapRunAborted": "ABORTED"}
_NO_TRUNCATION = {"truncated": False}
_LOG = logging.getLogger("aslrun.server")


def api_event(event: Event) -> dict[str, Any]:
    """An event as GetExecutionHistory sends it on the JSON protocol (timestamp in epoch seconds)."""
    body = event_to_dict(event)
    body["timestamp"] = round(event.timestamp, 3)
    return body


@dataclass
class _Batch:
    """What one transaction writes."""

    events: list[tuple[str, int, dict[str, Any], Any]] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)
    finished: list[tuple[str, str, str | None, str | None, str | None, float]] = field(default_factory=list)
    redriven: list[tuple[str, float]] = field(default_factory=list)
    runs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class HistoryWriter:
    """Commits events to ``store`` from a queue, on its own thread."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        #: a running child's ARN → the id of its last stored event
        self._children: dict[str, int] = {}
        #: a running child's ARN → what its engine event ids are moved up by (1: ExecutionStarted; more when
        #: the child is redriven with its Map Run and its history goes on)
        self._offsets: dict[str, int] = {}
        #: a running Map Run's ARN → its running children's ARNs
        self._run_children: dict[str, set[str]] = {}
        #: (owner execution ARN, scope) → the Map Run running there
        self._open_runs: dict[tuple[str, tuple[Any, ...]], str] = {}
        #: the Map Runs whose children get batches of items
        self._batched: set[str] = set()
        #: an execution's row, while its children are written (their rows copy its definition)
        self._parents: dict[str, dict[str, Any]] = {}
        self._thread = threading.Thread(target=self._loop, name="aslrun-serve-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ the producers' side (any thread)

    def attach(self, execution: Any) -> None:
        """Record ``execution`` (not yet running): its events, its Distributed Maps' children and their ends."""
        execution.listeners.append(self.event)
        children = getattr(execution, "child_listeners", None)
        if children is not None:
            children.append(self.event)
        runs = getattr(execution.engine, "map_runs", None)
        if runs is not None:
            arn, clock = execution.execution_arn, execution.clock

            def child_finished(control: Any, index: int, ok: bool, value: Any, error: Any, cause: Any) -> None:
                self.child_finished(arn, control, index, ok, value, error, cause, clock.time())

            runs.listener = child_finished

    def event(self, execution: Any, event: Event) -> None:
        """An execution listener (also for its children's events)."""
        if event.type == "Progress":
            return  # a note for live views (a Task waiting on its token), not a history event
        control = None
        if event.type in _RUN_START:
            runs = getattr(execution.engine, "map_runs", None)
            arn = event.details.get("mapRunArn") if isinstance(event.details, dict) else None
            control = (runs.get(arn) if arn else runs.latest) if runs is not None else None
        self._queue.put(("event", execution.execution_arn, event, control))

    def child_finished(self, parent_arn: str, control: MapRunControl, index: int, ok: bool, value: Any,
                       error: Any, cause: Any, stamp: float) -> None:
        self._queue.put(("child", parent_arn, control.arn, index, ok, value, error, cause, stamp))

    def execution_ended(self, arn: str, stamp: float) -> None:
        """``arn`` ended: its Map Runs that still run are aborted (a timed-out or stopped parent)."""
        self._queue.put(("ended", arn, stamp))

    def flush(self, timeout: float = 30) -> None:
        """Wait until everything queued so far is in the store."""
        if not self._thread.is_alive():
            return
        written = threading.Event()
        self._queue.put(written)
        written.wait(timeout)

    def close(self, timeout: float = 10) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    # ------------------------------------------------------------ the writer thread

    def _loop(self) -> None:
        while True:
            batch = _Batch()
            signals: list[threading.Event] = []
            item = self._queue.get()
            stop = False
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    signals.append(item)
                else:
                    try:
                        self._take(item, batch)
                    except Exception:  # noqa: BLE001 - logged; the server goes on
                        _LOG.exception("could not record %s", item[0])
                if len(batch.events) >= 500 or batch.runs:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._commit(batch)
            for signal in signals:
                signal.set()
            if stop:
                return

    def _commit(self, batch: _Batch) -> None:
        try:
            if batch.events or batch.executions or batch.finished:
                self.store.write_batch(batch.events, batch.executions, batch.finished, batch.redriven)
            for arn, fields in batch.runs:
                if fields.get("status") == "NEW":
                    self.store.add_map_run({**fields, "status": "RUNNING"})
                else:
                    self.store.update_map_run(arn, **fields)
        except Exception:  # noqa: BLE001 - logged; the server goes on
            _LOG.exception("could not store %d history events", len(batch.events))

    def _take(self, item: tuple[Any, ...], batch: _Batch) -> None:
        kind = item[0]
        if kind == "event":
            _, arn, event, control = item
            if event.child is None:
                batch.events.append((arn, event.id, api_event(event), event.scope))
                self._map_run_event(arn, event, control, batch)
            else:
                self._child_event(arn, event, control, batch)
        elif kind == "child":
            _, parent, run_arn, index, ok, value, error, cause, stamp = item
            child_arn = child_execution(run_arn, index)[0]
            if ok:
                self._end_child(child_arn, run_arn, "SUCCEEDED", stamp, batch, output=value)
            else:
                self._end_child(child_arn, run_arn, "FAILED", stamp, batch, error=error, cause=cause)
        elif kind == "ended":
            _, arn, stamp = item
            for key, run_arn in list(self._open_runs.items()):
                if key[0] == arn:
                    del self._open_runs[key]
                    if run_arn.startswith("arn:"):
                        self._close_run(run_arn, "ABORTED", stamp, batch)
            self._parents.pop(arn, None)

    def _map_run_event(self, owner: str, event: Event, control: MapRunControl | None, batch: _Batch) -> None:
        key = (owner, tuple(event.scope))
        if event.type == "MapStateStarted" and isinstance(event.details, dict):
            self._open_runs[key] = f"length:{event.details.get('length', 0)}"
        elif event.type in _RUN_START:
            details = event.details if isinstance(event.details, dict) else {}
            arn = str(details.get("mapRunArn") or (control.arn if control is not None else ""))
            if not arn:
                return
            length = self._open_runs.get(key, "length:0")
            total = control.total if control is not None else int(length.split(":", 1)[1])
            count, pct = control.tolerated if control is not None else (None, None)
            self._open_runs[key] = arn
            self._run_children.setdefault(arn, set())
            if control is not None and control.batched:
                self._batched.add(arn)
            batch.runs.append((arn, {
                "arn": arn, "execution_arn": owner, "machine_arn": labelled_machine_arn(arn), "status": "NEW",
                "start": round(event.timestamp, 3), "total": total,
                "max_concurrency": control.max_concurrency if control is not None else 0,
                "tolerated_count": count, "tolerated_percentage": pct,
                "writes_results": int(bool(control is not None and control.writes_results))}))
        elif event.type in _RUN_END:
            arn = self._open_runs.pop(key, "")
            if arn.startswith("arn:"):
                self._close_run(arn, _RUN_END[event.type], round(event.timestamp, 3), batch)

    def _close_run(self, arn: str, status: str, stamp: float, batch: _Batch) -> None:
        for child in sorted(self._run_children.get(arn, ())):
            self._end_child(child, arn, "ABORTED", stamp, batch)
        self._run_children.pop(arn, None)
        self._batched.discard(arn)
        batch.runs.append((arn, {"status": status, "stop": stamp}))

    def _child_event(self, parent: str, event: Event, control: MapRunControl | None, batch: _Batch) -> None:
        run_arn, index = event.child
        arn, name = child_execution(run_arn, index)
        if arn not in self._children:
            self._start_child(parent, run_arn, arn, name, event, batch)
        offset = self._offsets.get(arn, 1)
        body = api_event(event)
        body["id"] = event.id + offset
        body["previousEventId"] = body.get("previousEventId", 0) + offset
        self._children[arn] = body["id"]
        batch.events.append((arn, body["id"], body, event.scope))
        self._map_run_event(arn, event, control, batch)

    def _start_child(self, parent_arn: str, run_arn: str, arn: str, name: str, first: Event, batch: _Batch) -> None:
        self._run_children.setdefault(run_arn, set()).add(arn)
        parent = self._parents.get(parent_arn)
        if parent is None:
            parent = self._parents[parent_arn] = self.store.execution(parent_arn) or {}
        # only a redriven parent re-runs children that have a history already
        last = self.store.last_event_id(arn) if parent.get("redrive_count") else 0
        if last > 0:
            # a redrive of the parent runs this child again: its history goes on after ExecutionRedriven
            stamp = round(first.timestamp, 3)
            count = 1 + sum(1 for e in self.store.events(arn) if e.get("type") == "ExecutionRedriven")
            batch.events.append((arn, last + 1, {
                "id": last + 1, "previousEventId": last, "timestamp": stamp, "type": "ExecutionRedriven",
                "executionRedrivenEventDetails": {"redriveCount": count}}, ()))
            batch.redriven.append((arn, stamp))
            self._offsets[arn] = last + 1
            self._children[arn] = last + 1
            return
        details = first.details if isinstance(first.details, dict) else {}
        value = details.get("input", {})
        text = compact_json(value)
        stamp = round(first.timestamp, 3)
        items = value.get("Items") if isinstance(value, dict) else None
        batch.executions.append({
            "arn": arn, "machine_arn": labelled_machine_arn(run_arn), "name": name, "status": "RUNNING",
            "input": text, "start": stamp, "definition": parent.get("definition", "{}"),
            "revision": parent.get("revision", ""), "role_arn": parent.get("role_arn", ""), "map_run_arn": run_arn,
            "item_count": len(items) if isinstance(items, list) and run_arn in self._batched else 1})
        batch.events.append((arn, 1, {
            "id": 1, "previousEventId": 0, "timestamp": stamp, "type": "ExecutionStarted",
            "executionStartedEventDetails": {"input": text, "inputDetails": _NO_TRUNCATION,
                                             "roleArn": parent.get("role_arn", "")}}, ()))
        self._children[arn] = 1

    def _end_child(self, arn: str, run_arn: str, status: str, stamp: float, batch: _Batch, output: Any = None,
                   error: Any = None, cause: Any = None) -> None:
        last = self._children.pop(arn, None)
        self._offsets.pop(arn, None)
        if last is None:
            return
        self._run_children.get(run_arn, set()).discard(arn)
        event: dict[str, Any] = {"id": last + 1, "previousEventId": last, "timestamp": round(stamp, 3)}
        text = None
        if status == "SUCCEEDED":
            text = compact_json(output)
            event.update(type="ExecutionSucceeded",
                         executionSucceededEventDetails={"output": text, "outputDetails": _NO_TRUNCATION})
        elif status == "FAILED":
            details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
            event.update(type="ExecutionFailed", executionFailedEventDetails=details)
        else:
            event.update(type="ExecutionAborted", executionAbortedEventDetails={})
        batch.events.append((arn, last + 1, event, ()))
        batch.finished.append((arn, status, text, error if status == "FAILED" else None,
                               cause if status == "FAILED" else None, round(stamp, 3)))
