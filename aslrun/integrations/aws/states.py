"""``arn:aws:states:::states:startExecution`` (request-response, ``.sync``, ``.sync:2``), ``aws-integrations.md`` §5.

The child state machine comes from the run's registry of definitions (option ``aws.machines``,
``{name: path or definition}``; the CLI's ``--machine NAME=FILE``), picked by the name in
``StateMachineArn``. It runs as an execution of its own through the same Interpreter, with its own
history. Request-response returns ``{ExecutionArn, StartDate}`` and the SDK metadata once the child
has been run (locally the child runs to its end before the Task goes on: nothing else would run it).
``.sync`` returns the child's DescribeExecution (``Input``/``Output`` as JSON text), ``.sync:2`` the
same with them as JSON; a child that did not succeed fails the Task with ``States.TaskFailed``.

The ``aws-sdk:sfn`` calls that start, describe and answer executions are aslrun's own too
(:func:`local_sfn_call`): ``startExecution`` runs a machine of the same registry to its end,
``describeExecution`` describes an execution it started, and ``sendTaskSuccess``/``sendTaskFailure``/
``sendTaskHeartbeat`` answer the interpreter's task tokens. Under a local Step Functions target (``--aws
local``, the default) that is all there is; under a remote one, other machines, executions and tokens are
the remote service's.
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

__all__ = ["LOCAL_SFN_ACTIONS", "NOT_LOCAL", "ChildMachines", "describe_execution", "local_sfn_call", "start_execution"]

#: what :func:`local_sfn_call` returns for a machine, execution or token that is not aslrun's (remote target)
NOT_LOCAL = object()

#: the ``aws-sdk:sfn`` actions aslrun answers itself under a local Step Functions target
LOCAL_SFN_ACTIONS = frozenset({"startExecution", "describeExecution", "sendTaskSuccess", "sendTaskFailure",
                               "sendTaskHeartbeat"})

_INCLUDED = {"Included": True}


class ChildMachines:
    """The state machines ``states:startExecution`` can start, loaded once from ``aws.machines``."""

    def __init__(self, interpreter: Any) -> None:
        self._interpreter = interpreter
        self._loaded: dict[str, Any] = {}
        #: executions ``aws-sdk:sfn:startExecution`` ran: ARN -> (result, input text)
        self.started: dict[str, tuple[Any, str]] = {}

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


def _sdk_failure(name: str, message: str, attempt_count: bool) -> StatesError:
    """An ``aws-sdk:sfn`` error as Step Functions names it (``Sfn.<Name>Exception``, the SDK v2 cause)."""
    cause = f"{message} (Service: Sfn, Status Code: 400, Request ID: {uuid.uuid4()})"
    return StatesError(f"Sfn.{name}Exception", cause + (" (SDK Attempt Count: 1)" if attempt_count else ""))


def local_sfn_call(machines: ChildMachines, interpreter: Any, action: str, parameters: Any,
                   attempt_count: bool = False, only_local: bool = True) -> Generator[Any, Any, Any]:
    """One of :data:`LOCAL_SFN_ACTIONS` on aslrun's own executions; its PascalCase result, as the SDK call's.

    ``only_local`` False (a remote Step Functions target): :data:`NOT_LOCAL` for what aslrun does not know.
    """
    params = dict(parameters or {}) if isinstance(parameters, Mapping) else {}
    if action == "startExecution":
        if not only_local and machines.find(str(params.get("StateMachineArn") or "")) is None:
            return NOT_LOCAL
        return (yield from _sdk_start(machines, interpreter, params, attempt_count))
    if action == "describeExecution":
        arn = str(params.get("ExecutionArn") or "")
        if arn not in machines.started:
            if not only_local:
                return NOT_LOCAL
            raise _sdk_failure("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'", attempt_count)
        result, input_text = machines.started[arn]
        return describe_execution(result, input_text, parsed=False)
    return (yield from _answer_token(interpreter, action, params, attempt_count, only_local))


def _sdk_start(machines: ChildMachines, interpreter: Any, params: Mapping[str, Any],
               attempt_count: bool) -> Generator[Any, Any, Any]:
    arn = str(params.get("StateMachineArn") or "")
    machine = machines.find(arn)
    if machine is None:
        known = ", ".join(machines.names()) or "none"
        raise _sdk_failure("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}' (aslrun: give it "
                                                       f"with --machine NAME=FILE; known: {known})", attempt_count)
    input_text = _input_text(params)
    try:
        child = interpreter.start(machine, json.loads(input_text), name=params.get("Name"))
    except ValueError:
        raise _sdk_failure("InvalidExecutionInput", "Invalid State Machine Execution Input: 'Unexpected input'",
                           attempt_count) from None
    except AslrunError as exc:
        raise _sdk_failure("Sfn", str(exc), attempt_count) from None
    result = yield Blocking(child.run, ())
    machines.started[result.execution_arn] = (result, input_text)
    return {"ExecutionArn": result.execution_arn, "StartDate": _iso(result.start_time)}


def _answer_token(interpreter: Any, action: str, params: Mapping[str, Any], attempt_count: bool,
                  only_local: bool) -> Generator[Any, Any, Any]:
    """sendTaskSuccess/Failure/Heartbeat on the interpreter's tokens; errors as the Step Functions API gives them."""
    from aslrun.errors import TaskTokenError

    token = str(params.get("TaskToken") or "")
    try:
        if action == "sendTaskSuccess":
            try:
                output = json.loads(str(params.get("Output")))
            except ValueError as exc:
                raise _sdk_failure("InvalidOutput", f"Invalid Output: '{exc}'", attempt_count) from None
            yield Blocking(interpreter.send_task_success, (token, output))
        elif action == "sendTaskFailure":
            yield Blocking(interpreter.send_task_failure, (token, params.get("Error"),
                                               params.get("Cause")))
        else:
            yield Blocking(interpreter.send_task_heartbeat, (token,))
    except TaskTokenError as exc:
        if exc.code == "InvalidToken" and not only_local:
            return NOT_LOCAL  # not a token of this interpreter: the remote service's
        if exc.code == "InvalidToken":
            raise _sdk_failure("InvalidToken", "Invalid Token: 'Invalid token'", attempt_count) from None
        raise _sdk_failure("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'",
                           attempt_count) from None
    return {}
