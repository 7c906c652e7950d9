"""Activities: a Task whose Resource is an activity ARN waits until a worker takes it (GetActivityTask)
and answers its token (SendTaskSuccess/SendTaskFailure, SendTaskHeartbeat in between).

:class:`ActivityQueues` is an integration of the server's interpreters: invoking an activity puts a
pending task, with the Task's token, on that activity's queue and waits on a worker thread of the driver
(a ``Blocking`` effect) until a worker takes it; the Task then records ``ActivityStarted`` with the
worker's name and waits for the token's answer like any callback (:mod:`aslrun.callbacks`), so
``SendTaskHeartbeat`` restarts its ``HeartbeatSeconds``. GetActivityTask long-polls the queue.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

from aslrun.effects import Blocking, TaskReply
from aslrun.errors import StatesError

__all__ = ["ActivityQueues", "PendingTask"]

#: how long GetActivityTask waits for a task: under botocore's 60 s read timeout, so no SDK retries the poll
POLL_SECONDS = 55.0


class PendingTask:
    """One scheduled activity task, until a worker answers it."""

    def __init__(self, execution_arn: str, input: Any, token: str | None = None) -> None:
        self.token = token or secrets.token_hex(32)
        self.execution_arn = execution_arn
        self.input = json.dumps(input, separators=(",", ":"))
        self.taken = threading.Event()
        self.worker: str | None = None
        self.error: StatesError | None = None

    def wait(self) -> Any:
        """On a driver worker thread: wait until a worker takes the task; the Task then waits for its token."""
        self.taken.wait()
        if self.error is not None:
            raise self.error
        return TaskReply({"workerName": self.worker} if self.worker else {}, callback=True)


class ActivityQueues:
    """The server's activity integration and task queues. ``exists(arn)`` says whether an activity exists."""

    name = "activity"
    remote = False

    def __init__(self, exists: Callable[[str], bool]) -> None:
        self._exists = exists
        self._ready = threading.Condition()
        self._queues: dict[str, deque[PendingTask]] = {}
        #: tasks not taken by a worker yet, by token
        self._pending: dict[str, PendingTask] = {}
        self._closed = False

    def handles(self, resource: Any) -> bool:
        return bool(resource.kind == "activity")

    def invoke(self, request: Any) -> Generator[Any, Any, Any]:
        arn = request.resource.arn
        if not self._exists(arn):
            raise StatesError("States.Runtime", f"An error occurred while executing the state "
                                                f"'{request.state_name}'. The activity {arn} does not exist.")
        task = PendingTask(request.execution_arn, request.parameters, request.task_token)
        with self._ready:
            self._pending[task.token] = task
            self._queues.setdefault(arn, deque()).append(task)
            self._ready.notify_all()
        return (yield Blocking(task.wait))

    def poll(self, arn: str, worker: str | None = None, timeout: float = POLL_SECONDS) -> PendingTask | None:
        """The oldest pending task of activity ``arn``, taken by ``worker``, waiting up to ``timeout`` seconds."""
        with self._ready:
            self._ready.wait_for(lambda: self._closed or bool(self._queues.get(arn)), timeout)
            queue = self._queues.get(arn)
            if not queue or self._closed:
                return None
            task = queue.popleft()
            del self._pending[task.token]
        task.worker = worker
        task.taken.set()
        return task

    def cancel(self, execution_arn: str | None = None) -> None:
        """Release the tasks of one execution (stopped, ended), or all of them (``None``: the server stops)."""
        with self._ready:
            if execution_arn is None:
                self._closed = True
            doomed = [t for t in self._pending.values() if execution_arn in (None, t.execution_arn)]
            for task in doomed:
                del self._pending[task.token]
                for queue in self._queues.values():
                    if task in queue:
                        queue.remove(task)
            self._ready.notify_all()
        for task in doomed:
            task.error = StatesError("States.Runtime", "The execution ended before a worker took the activity task.")
            task.taken.set()
