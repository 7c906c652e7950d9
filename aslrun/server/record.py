"""``aslrun run --store``: a CLI run recorded in the store of ``aslrun serve``.

The execution's row is written (and fsync'd) before it runs, as RUNNING; its history and final
status when it ends. A run killed before its end stays RUNNING until a server opens the store and
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
from aslrun.server.service import api_event
from aslrun.server.store import Store

__all__ = ["RunRecorder"]


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

    def finish(self, result: Any) -> None:
        """Write the history and the final status, then close the store."""
        try:
            arn = self.execution.execution_arn
            self.store.add_events((arn, event.id, api_event(event)) for event in result.events)
            output = compact_json(result.output) if result.status == "SUCCEEDED" else None
            self.store.finish_execution(arn, result.status, output, result.error, result.cause,
                                        round(result.stop_time, 3))
        finally:
            self.store.close()
