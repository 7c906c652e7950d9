"""Activities: a Task whose Resource is an activity ARN waits until a worker takes it (GetActivityTask)
and answers its token (SendTaskSuccess/SendTaskFailure).

:class:`ActivityQueues` is an integration of the server's interpreters: invoking an activity puts a
pending task on that activity's queue and waits on a worker thread of the driver (a ``Blocking``
effect) for its answer. GetActivityTask long-polls the queue.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

from aslrun.effects import Blocking, TaskReply
from aslrun.errors import StatesError, TaskTokenError

__all__ = ["ActivityQueues", "PendingTask"]

#: how long GetActivityTask waits for a task: under botocore's 60 s read timeout, so no SDK retries the poll
POLL_SECONDS = 55.0


class PendingTask:
    """One scheduled activity task, until a worker answers it."""

    def __init__(self, execution_arn: str, input: Any) -> None:
        self.token = secrets.token_hex(32)
        self.execution_arn = execution_arn
        self.input = json.dumps(input, separators=(",", ":"))
        self.answered = threading.Event()
        self.output: Any = None
        self.error: StatesError | None = None

    def wait(self) -> Any:
        """On a driver worker thread: the worker's output, or raise its failure."""
        self.answered.wait()
        if self.error is not None:
            raise self.error
        return TaskReply(self.output)


class ActivityQueues:
    """The server's activity integration and task queues. ``exists(arn)`` says whether an activity exists."""

    name = "activity"
    remote = False

    def __init__(self, exists: Callable[[str], bool]) -> None:
        self._exists = exists
        self._ready = threading.Condition()
        self._queues: dict[str, deque[PendingTask]] = {}
        self._tokens: dict[str, PendingTask] = {}
        self._used: set[str] = set()
        self._closed = False

    def handles(self, resource: Any) -> bool:
        return bool(resource.kind == "activity")

    def invoke(self, request: Any) -> Generator[Any, Any, Any]:
        arn = request.resource.arn
        if not self._exists(arn):
            raise StatesError("States.Runtime", f"An error occurred while executing the state "
                                                f"'{request.state_name}'. The activity {arn} does not exist.")
        task = PendingTask(request.execution_arn, request.parameters)
        with self._ready:
            self._tokens[task.token] = task
            self._queues.setdefault(arn, deque()).append(task)
            self._ready.notify_all()
        return (yield Blocking(task.wait))

    def poll(self, arn: str, timeout: float = POLL_SECONDS) -> PendingTask | None:
        """The oldest pending task of activity ``arn``, waiting up to ``timeout`` seconds for one."""
        with self._ready:
            self._ready.wait_for(lambda: self._closed or bool(self._queues.get(arn)), timeout)
            queue = self._queues.get(arn)
            return queue.popleft() if queue and not self._closed else None

    def owns(self, token: str) -> bool:
        with self._ready:
            return token in self._tokens or token in self._used

    def answer(self, token: str, output: Any = None, error: StatesError | None = None, heartbeat: bool = False) -> None:
        """Answer (or, with ``heartbeat``, only touch) the task of ``token``."""
        with self._ready:
            task = self._tokens.get(token)
            if task is None:
                raise TaskTokenError("TaskDoesNotExist", "the activity task was already answered")
            if heartbeat:
                return
            del self._tokens[token]
            self._used.add(token)
            for queue in self._queues.values():
                if task in queue:
                    queue.remove(task)
        task.output, task.error = output, error
        task.answered.set()

    def send_task_success(self, token: str, output: Any) -> None:
        self.answer(token, output)

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        self.answer(token, error=StatesError(error, cause))

    def send_task_heartbeat(self, token: str) -> None:
        self.answer(token, heartbeat=True)

    def cancel(self, execution_arn: str | None = None) -> None:
        """Release the tasks of one execution (stopped, ended), or all of them (``None``: the server stops)."""
        with self._ready:
            if execution_arn is None:
                self._closed = True
            doomed = [t for t in self._tokens.values() if execution_arn in (None, t.execution_arn)]
            for task in doomed:
                del self._tokens[task.token]
                self._used.add(task.token)
                for queue in self._queues.values():
                    if task in queue:
                        queue.remove(task)
            self._ready.notify_all()
        for task in doomed:
            task.error = StatesError("States.Runtime", "The execution ended before the activity task was answered.")
            task.answered.set()
