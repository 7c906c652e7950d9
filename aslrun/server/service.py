"""What the API's operations share: the store, the interpreter, the executions running now.

Each execution runs on its own thread (``Interpreter.start`` then ``Execution.run``). Its history
events go to a writer thread that commits them to the store in batches as they are recorded; its
final status is written when it ends, before it leaves the set of live executions, so a read
after that finds everything in the store.

What is durable: StartExecution answers only after the execution's row is committed (the store
runs ``synchronous=FULL``, so the commit is fsync'd); a final status is committed after the
execution's last events. The events of a running execution are committed in batches, so a crash
can lose the last few of them (never those of a finished execution): recovery appends its
``ExecutionFailed`` after the last stored event, and writes ``ExecutionStarted`` from the row when
no event of the execution reached the disk.

When the server starts on a store that holds RUNNING executions, the server that ran them died.
They are marked FAILED with ``States.Runtime`` (cause :data:`LOST_CAUSE`) and an
``ExecutionFailed`` event: running them again from the start would repeat Tasks that already had
their effect, and AWS never loses an execution, so there is nothing to imitate. A FAILED
execution is what a caller of AWS already handles, and RedriveExecution resumes it from the states
its stored history had not finished (their Map Runs are marked FAILED).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aslrun import defaults
from aslrun.dataflow import compact_json
from aslrun.execution import Execution, ExecutionResult
from aslrun.integrations.base import Integration
from aslrun.interpreter import Interpreter
from aslrun.nodes import StateMachine
from aslrun.server.activities import ActivityQueues
from aslrun.server.protocol import ApiError
from aslrun.server.store import MEMORY, Store
from aslrun.server.writer import HistoryWriter, api_event

__all__ = ["LOST_CAUSE", "Live", "Service", "api_event", "check_name", "tag_list"]

#: the cause of the failure of an execution that was running when its server stopped
LOST_CAUSE = "The aslrun server stopped while the execution was running; it did not resume."

_BAD_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def check_name(name: str) -> str:
    """A name of a state machine, execution or activity as AWS accepts it; else InvalidName."""
    if not 1 <= len(name) <= defaults.MAX_NAME_LENGTH or _BAD_NAME.search(name):
        raise ApiError("InvalidName", f"Invalid Name: '{name}'")
    return name


def tag_list(tags: Any) -> list[tuple[str, str]]:
    """``[{"key": ..., "value": ...}]`` as pairs; a malformed entry → ValidationException."""
    pairs = []
    for tag in tags if isinstance(tags, list) else [None]:
        key = tag.get("key") if isinstance(tag, dict) else None
        value = tag.get("value", "") if isinstance(tag, dict) else None
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or not isinstance(value, str) or len(value) > 256:
            raise ApiError("ValidationException", "1 validation error detected: Value at 'tags' failed to satisfy "
                           "constraint: a tag needs a key of 1 to 128 characters and a value of at most 256")
        pairs.append((key, value))
    if len(pairs) > 50:
        raise ApiError("TooManyTags", "Too many tags: a resource has at most 50.")
    return pairs


@dataclass
class Live:
    """An execution running in this server."""

    execution: Execution
    thread: threading.Thread
    stored: bool
    done: threading.Event = field(default_factory=threading.Event)
    result: ExecutionResult | None = None


class Service:
    """The server's state: one :class:`Interpreter`, the :class:`Store`, the live executions.

    :param data: the data directory, or ``":memory:"``.
    :param clock: ``"real"`` (default) or ``"virtual"`` (Waits and retries take no time).
    :param mock_config: a MockConfigFile; ``StartExecution`` on ``<machine ARN>#<TestCase>`` uses it.
    :param routing_seed: the seed of :attr:`routing`, which picks the version an alias runs.
    """

    def __init__(self, data: str | Path = MEMORY, *, clock: str = "real", mock_config: str | Path | None = None,
                 region: str = defaults.REGION, account: str = defaults.ACCOUNT_ID,
                 integrations: Iterable[Integration] = (), routing_seed: int = 0) -> None:
        from aslrun.integrations.mock import MockConfig

        self.clock = clock
        self.region = region
        self.account = account
        self.mock_config = MockConfig.load(mock_config) if mock_config is not None else None
        self.store = Store(data)
        #: the activity task queues, an integration of every interpreter of this server
        self.activities = ActivityQueues(lambda arn: self.store.activity(arn) is not None)
        self.interpreter = Interpreter(clock=clock, region=region, account=account,
                                       integrations=[*integrations, self.activities])
        self.live: dict[str, Live] = {}
        #: picks an alias's version by weight (seeded: the same sequence on every fresh server)
        self.routing = random.Random(routing_seed)
        self.lock = threading.RLock()
        self._machines: dict[tuple[str, str], StateMachine] = {}
        self.writer = HistoryWriter(self.store)
        self.recover()

    # ------------------------------------------------------------ ARNs

    def arn(self, kind: str, *parts: str) -> str:
        return ":".join([f"arn:{defaults.PARTITION}:states:{self.region}:{self.account}:{kind}", *parts])

    # ------------------------------------------------------------ lifecycle

    def recover(self) -> None:
        """Fail the executions a previous server left RUNNING (see the module's docstring)."""
        now = round(time.time(), 3)
        for row in self.store.running():
            last = self.store.last_event_id(row["arn"])
            # with their scope (the execution's own: ``[]``), so the execution can be redriven
            events: list[tuple[Any, ...]] = []
            if last == 0:
                # killed before the writer committed its first batch: the row (fsync'd before
                # StartExecution answered) has what ExecutionStarted said
                last = 1
                events.append((row["arn"], 1, {
                    "id": 1, "previousEventId": 0, "timestamp": row["start"], "type": "ExecutionStarted",
                    "executionStartedEventDetails": {
                        "input": compact_json(json.loads(row["input"])), "inputDetails": {"truncated": False},
                        "roleArn": row["role_arn"]}}, ()))
            events.append((row["arn"], last + 1, {
                "id": last + 1, "previousEventId": last, "timestamp": now, "type": "ExecutionFailed",
                "executionFailedEventDetails": {"error": "States.Runtime", "cause": LOST_CAUSE}}, ()))
            self.store.add_events(events)
            self.store.finish_execution(row["arn"], "FAILED", None, "States.Runtime", LOST_CAUSE, now)
        for run in self.store.running_map_runs():
            self.store.update_map_run(run["arn"], status="FAILED", stop=now)

    def close(self, timeout: float = 10.0) -> None:
        """Abort the live executions, wait for their threads, flush the history and close the store."""
        self.activities.cancel()
        with self.lock:
            live = list(self.live.values())
        for item in live:
            item.execution.abort()
        for item in live:
            item.thread.join(timeout)
        self.flush()
        self.writer.close(timeout)
        self.interpreter.close()
        self.store.close()

    # ------------------------------------------------------------ machines

    def machine_row(self, arn: str) -> dict[str, Any]:
        row = self.store.machine(arn)
        if row is None:
            raise ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return row

    def compiled(self, row: dict[str, Any], interpreter: Interpreter | None = None) -> StateMachine:
        """The state machine of a stored revision, compiled once per server."""
        key = (row["arn"], row["revision"])
        with self.lock:
            machine = self._machines.get(key)
        if machine is None or interpreter is not None:
            machine = (interpreter or self.interpreter).load(json.loads(row["definition"]), name=row["name"])
            if interpreter is None:
                with self.lock:
                    self._machines[key] = machine
        return machine

    # ------------------------------------------------------------ executions

    def launch(self, execution: Execution, interpreter: Interpreter, stored: bool) -> Live:
        """Run ``execution`` on its own thread; its events and result go to the store when ``stored``."""
        thread = threading.Thread(target=self._run, args=(execution, interpreter), daemon=True,
                                  name=f"aslrun-execution-{execution.name}"[:60])
        live = Live(execution, thread, stored)
        with self.lock:
            self.live[execution.execution_arn] = live
        if stored:
            self.writer.attach(execution)
        thread.start()
        return live

    def _run(self, execution: Execution, interpreter: Interpreter) -> None:
        arn = execution.execution_arn
        with self.lock:
            live = self.live[arn]
        try:
            result = execution.run()
        except Exception as exc:  # a bug in aslrun: the execution fails instead of staying RUNNING
            import logging

            logging.getLogger("aslrun.server").exception("execution %s crashed", arn)
            result = ExecutionResult("FAILED", error="States.Runtime", cause=f"aslrun internal error: {exc}",
                                     stop_time=time.time())
        finally:
            self.activities.cancel(arn)
            if interpreter is not self.interpreter:
                interpreter.close()
        live.result = result
        if live.stored:
            self.writer.execution_ended(arn, result.stop_time)
            self.flush()
            output = compact_json(result.output) if result.status == "SUCCEEDED" else None
            self.store.finish_execution(arn, result.status, output, result.error, result.cause, result.stop_time)
        with self.lock:
            self.live.pop(arn, None)
        live.done.set()

    def answer_task(self, token: str, answer: Any) -> None:
        """Call ``answer(interpreter)`` on the interpreter that issued ``token`` (mocked executions have their own).

        :raises TaskTokenError: ``InvalidToken`` when no interpreter issued it, else the owner's error.
        """
        from aslrun.errors import TaskTokenError

        with self.lock:
            others = [live.execution.interpreter for live in self.live.values()
                      if live.execution.interpreter is not self.interpreter]
        first: TaskTokenError | None = None
        for interpreter in [self.interpreter, *others]:
            try:
                answer(interpreter)
                return
            except TaskTokenError as exc:
                if exc.code != "InvalidToken":
                    raise
                first = first or exc
        assert first is not None
        raise first

    # ------------------------------------------------------------ the history writer

    def flush(self) -> None:
        """Wait until every event recorded so far is in the store."""
        self.writer.flush()

    def new_execution_name(self) -> str:
        return str(uuid.uuid4())
