"""``.waitForTaskToken`` Tasks wait for their token's answer: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat.

The integration makes its call (here a scripted one) and returns what the service answered with
``TaskReply(..., callback=True)``; the Task records ``TaskSubmitted`` and waits until something answers
its token through the Python API (``Interpreter.send_task_*`` or ``Execution.send_task_*``), from any
thread, or its HeartbeatSeconds/TimeoutSeconds run out.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

import aslrun
from aslrun.effects import Event, TaskReply
from aslrun.errors import TaskTokenError

RESOURCE = "arn:aws:states:::queue:send.waitForTaskToken"


class Queue:
    """A service integration whose call returns at once; the Task then waits for its token."""

    name = "queue"
    remote = False

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def handles(self, resource: Any) -> bool:
        return resource.service == "queue"

    def invoke(self, request: Any) -> TaskReply:
        self.tokens.append(request.parameters["TaskToken"])
        return TaskReply({"MessageId": f"m{len(self.tokens)}"}, callback=True)


def machine(catch: str | None = None, **task: Any) -> dict[str, Any]:
    """One callback Task; with ``catch``, a Catch of that error leads to a Pass."""
    state = {"Type": "Task", "Resource": RESOURCE, "Parameters": {"Body.$": "$.body", "TaskToken.$": "$$.Task.Token"},
             **task}
    if catch is None:
        return {"StartAt": "Ask", "States": {"Ask": {**state, "End": True}}}
    state.update(Next="Handled", Catch=[{"ErrorEquals": [catch], "Next": "Handled"}])
    return {"StartAt": "Ask", "States": {"Ask": state, "Handled": {"Type": "Pass", "End": True}}}


def answering(answer: Any) -> Any:
    """A listener that answers the token as soon as the Task says it waits (on the driver's thread)."""

    def listener(execution: aslrun.Execution, event: Event) -> None:
        if event.type == "Progress" and "taskToken" in (event.details or {}):
            answer(execution.interpreter, event.details["taskToken"])

    return listener


def test_send_task_success_completes_the_task_with_its_output() -> None:
    queue = Queue()
    interpreter = aslrun.Interpreter(integrations=[queue], clock="virtual", load_plugins=False)
    result = interpreter.run(machine(), {"body": "hi"},
                             listeners=[answering(lambda i, t: i.send_task_success(t, {"approved": True}))])
    assert result.status == "SUCCEEDED" and result.output == {"approved": True}
    types = [e["type"] for e in result.history]
    assert types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted = result.history_values()[4]["taskSubmittedEventDetails"]
    assert submitted == {"resourceType": "queue", "resource": "send.waitForTaskToken", "output": {"MessageId": "m1"},
                         "outputDetails": {"truncated": False}}
    with pytest.raises(TaskTokenError, match="does not exist") as answered:
        interpreter.send_task_success(queue.tokens[0], {})
    assert answered.value.code == "TaskDoesNotExist"


def test_send_task_failure_is_caught_by_its_error_name() -> None:
    interpreter = aslrun.Interpreter(integrations=[Queue()], clock="virtual", load_plugins=False)
    definition = machine("Rejected")
    result = interpreter.run(definition, {"body": "hi"},
                             listeners=[answering(lambda i, t: i.send_task_failure(t, "Rejected", "too big"))])
    assert result.status == "SUCCEEDED"
    failed = [e for e in result.history if e["type"] == "TaskFailed"]
    assert failed[0]["taskFailedEventDetails"]["error"] == "Rejected"
    assert result.output == {"Error": "Rejected", "Cause": "too big"}


def test_an_answer_from_another_thread_wakes_the_execution() -> None:
    queue = Queue()
    interpreter = aslrun.Interpreter(integrations=[queue], clock="real", load_plugins=False)
    execution = interpreter.start(machine(TimeoutSeconds=30), {"body": "hi"})

    def worker() -> None:
        while not queue.tokens:
            threading.Event().wait(0.01)
        interpreter.send_task_heartbeat(queue.tokens[0])
        interpreter.send_task_success(queue.tokens[0], "done")

    thread = threading.Thread(target=worker)
    thread.start()
    result = execution.run()
    thread.join()
    assert (result.status, result.output) == ("SUCCEEDED", "done")


def test_a_missed_heartbeat_times_the_task_out_as_a_heartbeat_timeout() -> None:
    interpreter = aslrun.Interpreter(integrations=[Queue()], clock="real", load_plugins=False)
    definition = machine("States.HeartbeatTimeout", HeartbeatSeconds=1)
    result = interpreter.run(definition, {"body": "hi"})
    assert result.status == "SUCCEEDED"
    assert [e["type"] for e in result.history][4:6] == ["TaskSubmitted", "TaskTimedOut"]
    assert result.output["Error"] == "States.Timeout"


def test_a_token_nobody_issued_is_an_invalid_token() -> None:
    interpreter = aslrun.Interpreter(load_plugins=False)
    with pytest.raises(TaskTokenError) as unknown:
        interpreter.send_task_success("not-a-token", {})
    assert unknown.value.code == "InvalidToken"


def test_stopping_an_execution_that_waits_forgets_its_token() -> None:
    queue = Queue()
    interpreter = aslrun.Interpreter(integrations=[queue], clock="real", load_plugins=False)
    execution = interpreter.start(machine(), {"body": "hi"})

    def stopper() -> None:
        while not queue.tokens:
            threading.Event().wait(0.01)
        execution.abort()

    thread = threading.Thread(target=stopper)
    thread.start()
    result = execution.run()
    thread.join()
    assert result.status == "ABORTED"
    with pytest.raises(TaskTokenError) as gone:
        interpreter.send_task_success(queue.tokens[0], {})
    assert gone.value.code == "TaskDoesNotExist"


class Eager(Queue):
    """An integration whose consumer answers the token inside the call, before the Task begins to wait."""

    def __init__(self, answer: Any) -> None:
        super().__init__()
        self.answer = answer
        self.interpreter: aslrun.Interpreter | None = None

    def invoke(self, request: Any) -> TaskReply:
        reply = super().invoke(request)
        assert self.interpreter is not None
        self.answer(self.interpreter, request.parameters["TaskToken"])
        return reply


def test_an_answer_that_comes_before_the_task_waits_is_held_for_it() -> None:
    eager = Eager(lambda interp, token: (interp.send_task_heartbeat(token),
                                         interp.send_task_success(token, {"early": True})))
    interpreter = aslrun.Interpreter(integrations=[eager], clock="virtual", load_plugins=False)
    eager.interpreter = interpreter
    result = interpreter.run(machine(HeartbeatSeconds=5), {"body": 1})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output == {"early": True}


def test_a_second_early_answer_is_refused_and_the_first_one_counts() -> None:
    refused: list[str] = []

    def twice(interp: aslrun.Interpreter, token: str) -> None:
        interp.send_task_success(token, 1)
        try:
            interp.send_task_failure(token, "E")
        except TaskTokenError as exc:
            refused.append(exc.code)

    late = Eager(twice)
    interpreter = aslrun.Interpreter(integrations=[late], clock="virtual", load_plugins=False)
    late.interpreter = interpreter
    result = interpreter.run(machine(), {"body": 1})
    assert (result.status, result.output) == ("SUCCEEDED", 1)
    assert refused == ["TaskDoesNotExist"]
