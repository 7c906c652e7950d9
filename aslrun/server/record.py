"""``aslrun run --store``: a CLI run recorded in the store of ``aslrun serve``.

The execution's row is written (and fsync'd) before it runs, as RUNNING; its history (with each
event's scope, which a redrive needs) as it runs, in batches, and its final status when it ends. A run killed before its end stays RUNNING until a server opens the store and
marks it FAILED, as it marks its own executions (see :mod:`aslrun.server.service`). Only the
execution is recorded: the state machine is not created in the store (a server's machine of the
same name keeps its own definition); ``aslrun executions list|show|history`` show the run.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from aslrun import defaults
from aslrun.dataflow import compact_json
from aslrun.errors import AslrunError
from aslrun.server.store import Store
from aslrun.server.writer import HistoryWriter

__all__ = ["RunRecorder", "redrive_recorded"]


class RunRecorder:
    """Record one execution (not yet run) in the store under ``data``; :meth:`finish` with its result."""

    def __init__(self, data: str | Path, execution: Any, machine: Any, input_value: Any) -> None:
        self.execution = execution
        self.store = Store(data)
        machine_arn = execution.execution_arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
        try:
            self.store.add_execution({
                "arn": execution.execution_arn, "machine_arn": machine_arn, "name": execution.name,
                "status": "RUNNING", "input": compact_json(input_value), "start": round(time.time(), 3),
                "definition": json.dumps(machine.definition, separators=(",", ":")), "revision": "aslrun-run",
                "role_arn": defaults.ROLE_ARN,
            })
        except sqlite3.IntegrityError:
            self.store.close()
            raise AslrunError(f"the store in {data} already has an execution {execution.execution_arn}: give "
                              "another --execution-name") from None
        # events (with their scopes, for a redrive), Map Runs and their children are written as they come
        self.writer = HistoryWriter(self.store)
        self.writer.attach(execution)

    def finish(self, result: Any) -> None:
        """Write the history and the final status, then close the store."""
        try:
            arn = self.execution.execution_arn
            self.writer.execution_ended(arn, result.stop_time)
            self.writer.flush()
            self.writer.close()
            output = compact_json(result.output) if result.status == "SUCCEEDED" else None
            self.store.finish_execution(arn, result.status, output, result.error, result.cause,
                                        round(result.stop_time, 3))
        finally:
            self.store.close()


def redrive_recorded(data: str | Path, ref: str, mock_config: str | Path | None = None) -> tuple[str, Any]:
    """``aslrun executions redrive``: redrive a stored execution (ARN, or a name only one has) in this process.

    It runs as RedriveExecution runs it in ``aslrun serve`` (same name, input and definition; its history
    goes on after ``ExecutionRedriven``) and is recorded in the store as it runs. Returns its ARN and
    :class:`~aslrun.result.ExecutionResult`.

    :raises AslrunError: no such execution, or it cannot be redriven (the reason AWS gives).
    """
    from aslrun.interpreter import Interpreter
    from aslrun.redrive import NotRedrivable, plan_redrive
    from aslrun.server.views import not_redrivable, redrive_history

    store = Store(data)
    try:
        row = store.execution(ref)
        if row is None:
            named = [r for r in store.executions() if r["name"] == ref]
            row = named[0] if len(named) == 1 else None
        if row is None:
            raise AslrunError(f"no execution {ref!r} in {data} (give its ARN, or a name that only one execution has)")
        reason = not_redrivable(store, row)
        if reason is not None:
            raise AslrunError(f"{row['arn']} cannot be redriven: {reason}")
        mock = None
        if row.get("test_case"):
            from aslrun.integrations.mock import MockConfig

            if mock_config is None:
                raise AslrunError(f"{row['arn']} ran the mock test case {row['test_case']!r}: give its "
                                  "MockConfigFile with --mock-config")
            mock = MockConfig.load(mock_config).test_case(row["machine_arn"].rsplit(":", 1)[1], row["test_case"])
        _, _, _, region, account, *_ = row["arn"].split(":")
        with Interpreter(region=region, account=account, mock=mock) as interpreter:
            machine = interpreter.load(json.loads(row["definition"]), name=row["machine_arn"].rsplit(":", 1)[1])
            try:
                plan = plan_redrive(machine, redrive_history(store, row["arn"]))
            except NotRedrivable as exc:
                raise AslrunError(f"{row['arn']} cannot be redriven: {exc.reason}") from None
            execution = interpreter.start(machine, plan.input, name=row["name"], redrive=plan)
            tokens = json.loads(row.get("redrive_tokens") or "[]")
            store.redrive(row["arn"], round(time.time(), 3), tokens)
            writer = HistoryWriter(store)
            writer.attach(execution)
            try:
                result = execution.run()
            finally:
                writer.execution_ended(row["arn"], time.time())
                writer.flush()
                writer.close()
            output = compact_json(result.output) if result.status == "SUCCEEDED" else None
            store.finish_execution(row["arn"], result.status, output, result.error, result.cause,
                                   round(result.stop_time, 3))
        return row["arn"], result
    finally:
        store.close()
