"""``arn:aws:states:::states:startExecution`` (request-response, ``.sync``, ``.sync:2``), ``aws-integrations.md`` §5.

The child state machine comes from the run's registry of definitions (option ``aws.machines``,
``{name: path or definition}``; the CLI's ``--machine NAME=FILE``), picked by the name in
``StateMachineArn``. It runs as an execution of its own through the same Interpreter, with its own
history. Request-response returns ``{ExecutionArn, StartDate}`` and the SDK metadata once the child
has been run (locally the child runs to its end before the Task goes on: nothing else would run it).
``.sync`` returns the child's DescribeExecution (``Input``/``Output`` as JSON text), ``.sync:2`` the
same with them as JSON; a child that did not succeed fails the Task with ``States.TaskFailed``.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Generator, Mapping
from typing import Any

from aslrun.effects import Blocking, TaskReply
from aslrun.errors import AslrunError, StatesError
from aslrun.integrations.aws.shapes import json_text, v1_failure

__all__ = ["ChildMachines", "describe_execution", "start_execution"]

_INCLUDED = {"Included": True}


class ChildMachines:
    """The state machines ``states:startExecution`` can start, loaded once from ``aws.machines``."""

    def __init__(self, interpreter: Any) -> None:
        self._interpreter = interpreter
        self._loaded: dict[str, Any] = {}

    def names(self) -> list[str]:
        """Every machine name the run knows."""
        return sorted(self._sources())

    def _sources(self) -> Mapping[str, Any]:
        return dict(self._interpreter.options.get("aws.machines") or {}) if self._interpreter else {}

    def find(self, arn: str) -> Any:
        """The machine a ``StateMachineArn`` names, or None (a version or alias qualifier is ignored)."""
        parts = arn.split(":")
        name = parts[6] if len(parts) > 6 and parts[5] == "stateMachine" else arn
        sources = self._sources()
        if name not in sources:
            return None
        if name not in self._loaded:
            self._loaded[name] = self._interpreter.load(sources[name], name=name)
        return self._loaded[name]


def _iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC).isoformat(timespec="milliseconds")


def _input_text(parameters: Mapping[str, Any]) -> str:
    given = parameters.get("Input")
    if given is None:
        return "{}"
    return given if isinstance(given, str) else json_text(given)


def _metadata(body: Mapping[str, Any], request_id: str, now: float) -> dict[str, Any]:
    """The SDK metadata AWS adds to StartExecution's response (§3.1; header names as recorded)."""
    headers = {"x-amzn-RequestId": request_id, "connection": "keep-alive",
               "Content-Length": str(len(json_text(body))), "Date": _http_date(now),
               "Content-Type": "application/x-amz-json-1.0"}
    return {"SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()}, "HttpHeaders": headers,
                                "HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": request_id}}


def _http_date(seconds: float) -> str:
    from email.utils import formatdate

    return formatdate(seconds, usegmt=True)


def describe_execution(result: Any, input_text: str, parsed: bool) -> dict[str, Any]:
    """The child's DescribeExecution in PascalCase (``parsed``: Input/Output as JSON, for ``.sync:2``)."""
    described: dict[str, Any] = {}
    if result.status != "SUCCEEDED":
        if result.cause is not None:
            described["Cause"] = result.cause
        if result.error is not None:
            described["Error"] = result.error
    described.update({"ExecutionArn": result.execution_arn,
                      "Input": json.loads(input_text) if parsed else input_text,
                      "InputDetails": _INCLUDED, "Name": result.name})
    if result.status == "SUCCEEDED":
        described.update({"Output": result.output if parsed else json_text(result.output),
                          "OutputDetails": _INCLUDED, "RedriveCount": 0, "RedriveStatus": "NOT_REDRIVABLE",
                          "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven"})
    described.update({"StartDate": _iso(result.start_time), "StateMachineArn": result.state_machine_arn,
                      "Status": "FAILED" if result.status == "TIMED_OUT" else result.status,
                      "StopDate": _iso(result.stop_time)})
    return described


def _failure(name: str, code: str, message: str) -> StatesError:
    return v1_failure("StepFunctions", "AWSStepFunctions", name, code, message, 400, str(uuid.uuid4()))


def start_execution(machines: ChildMachines, interpreter: Any, parameters: Any,
                    pattern: str, remote_client: Any = None) -> Generator[Any, Any, Any]:
    """Run the child; the Task's result (a :class:`TaskReply` with ``TaskSubmitted`` for ``.sync``).

    ``remote_client``: a Step Functions client (``--aws states=real|URL``) for machines not given locally.
    """
    parameters = dict(parameters or {})
    arn = str(parameters.get("StateMachineArn") or "")
    machine = machines.find(arn)
    if machine is None and remote_client is not None:
        return (yield from _remote_start(remote_client, arn, parameters, pattern))
    if machine is None:
        known = ", ".join(machines.names()) or "none"
        raise _failure("StateMachineDoesNotExistException", "StateMachineDoesNotExist",
                       f"State Machine Does Not Exist: '{arn}' (aslrun: give it with --machine NAME=FILE; "
                       f"known: {known})")
    input_text = _input_text(parameters)
    try:
        child_input = json.loads(input_text)
    except ValueError:
        raise _failure("InvalidExecutionInputException", "InvalidExecutionInput",
                       "Invalid State Machine Execution Input: 'Unexpected input'") from None
    try:
        child = interpreter.start(machine, child_input, name=parameters.get("Name"))
    except AslrunError as exc:
        raise _failure("AWSStepFunctionsException", "ValidationException", str(exc)) from None
    result = yield Blocking(child.run, ())
    body = {"ExecutionArn": result.execution_arn, "StartDate": _iso(result.start_time)}
    started = {**body, **_metadata(body, str(uuid.uuid4()), result.start_time)}
    if pattern in ("", ".waitForTaskToken"):
        return TaskReply(started, callback=pattern == ".waitForTaskToken")
    described = describe_execution(result, input_text, parsed=pattern == ".sync:2")
    submitted = ("TaskSubmitted", "taskSubmittedEventDetails", {"output": started, "outputDetails": {"truncated": False}})
    if result.status != "SUCCEEDED":
        raise StatesError("States.TaskFailed", json_text(described), extra={"events": [submitted]})
    return TaskReply(described, events=[submitted])


def _pascal(value: Mapping[str, Any]) -> dict[str, Any]:
    from aslrun.integrations.aws.shapes import plain

    return {k[:1].upper() + k[1:]: plain(v) for k, v in value.items() if k != "ResponseMetadata"}


def _remote_start(client: Any, arn: str, parameters: Mapping[str, Any], pattern: str) -> Generator[Any, Any, Any]:
    """StartExecution on a real or emulated Step Functions; ``.sync`` polls DescribeExecution (Sleep between)."""
    from botocore.exceptions import ClientError

    from aslrun.effects import Sleep
    from aslrun.integrations.aws.shapes import sdk_metadata, v1_error

    request = {"stateMachineArn": arn, "input": _input_text(parameters)}
    if parameters.get("Name"):
        request["name"] = parameters["Name"]
    try:
        response = yield Blocking(lambda: client.start_execution(**request), ())
        started = {**_pascal(response), **sdk_metadata(response)}
        if pattern in ("", ".waitForTaskToken"):
            return TaskReply(started, callback=pattern == ".waitForTaskToken")
        interval = 1.0
        while True:
            described = yield Blocking(lambda: client.describe_execution(executionArn=response["executionArn"]), ())
            if described["status"] != "RUNNING":
                break
            yield Sleep(interval, reason="poll")
            interval = min(interval * 1.5, 30.0)
    except ClientError as exc:
        raise v1_error(client, "StepFunctions", "AWSStepFunctions", exc.response) from None
    result = _pascal(described)
    if pattern == ".sync:2":
        result.update({k: json.loads(result[k]) for k in ("Input", "Output") if isinstance(result.get(k), str)})
    submitted = ("TaskSubmitted", "taskSubmittedEventDetails", {"output": started, "outputDetails": {"truncated": False}})
    if result.get("Status") != "SUCCEEDED":
        result.pop("Output", None)
        raise StatesError("States.TaskFailed", json_text(result), extra={"events": [submitted]})
    return TaskReply(result, events=[submitted])
