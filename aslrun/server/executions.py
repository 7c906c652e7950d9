"""Execution operations: Start, StartSync, Describe, List, Stop, GetExecutionHistory,
DescribeStateMachineForExecution."""

from __future__ import annotations

import json
import math
import sqlite3
import time
import uuid
from typing import Any

from aslrun import defaults
from aslrun.dataflow import compact_json
from aslrun.errors import AslrunError, InputError
from aslrun.execution import Execution
from aslrun.interpreter import Interpreter
from aslrun.server.machines import describe_row
from aslrun.server.protocol import (
    ApiError,
    decode_token,
    encode_token,
    optional_str,
    page_size,
    required_str,
    validation_error,
)
from aslrun.server.service import Service, api_event, check_name
from aslrun.server.versions import Target, split_arn, target

__all__ = [
    "REDRIVE_UNSUPPORTED",
    "describe_execution",
    "describe_state_machine_for_execution",
    "get_execution_history",
    "list_executions",
    "redrive_execution",
    "start_execution",
    "start_sync_execution",
    "stop_execution",
]

_REDRIVE_DAYS = 14
_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def _input(params: dict[str, Any]) -> tuple[str, Any]:
    text = optional_str(params, "input", defaults.MAX_PAYLOAD_BYTES)
    if text is None:
        return "{}", {}
    if not text.strip():
        raise ApiError("InvalidExecutionInput", "Invalid State Machine Execution Input: 'Invalid execution input.'")
    try:
        return text, json.loads(text)
    except ValueError as exc:
        raise ApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{exc}'") from None


def _prepare(service: Service, params: dict[str, Any]) -> tuple[Target, Interpreter, Execution, str]:
    """What runs (machine or version), the interpreter, the (not yet running) execution and the input text."""
    machine_arn, _, test_case = required_str(params, "stateMachineArn").partition("#")
    chosen = target(service, machine_arn)
    row = chosen.run
    text, value = _input(params)
    name = check_name(optional_str(params, "name") or service.new_execution_name())
    interpreter = service.interpreter
    if test_case:
        if service.mock_config is None:
            raise validation_error("a '#TestCase' state machine ARN needs a mock configuration: start the server "
                                   "with --mock-config FILE or SFN_MOCK_CONFIG")
        try:
            mock = service.mock_config.test_case(row["name"], test_case)
        except AslrunError as exc:
            raise validation_error(str(exc)) from None
        interpreter = Interpreter(clock=service.clock, region=service.region, account=service.account, mock=mock,
                                  integrations=[service.activities])
    try:
        machine = service.compiled(row, interpreter if test_case else None)
        execution = interpreter.start(machine, value, name=name)
    except InputError as exc:
        if interpreter is not service.interpreter:
            interpreter.close()
        raise ApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{exc}'") from None
    return chosen, interpreter, execution, text


def start_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    chosen, interpreter, execution, text = _prepare(service, params)
    row = chosen.run
    start = round(time.time(), 3)
    if row["type"] == "EXPRESS":
        arn = service.arn("express", row["name"], execution.name, str(uuid.uuid4()))
        service.launch(execution, interpreter, stored=False)
        return {"executionArn": arn, "startDate": start}
    arn = execution.execution_arn
    try:
        # the primary key makes the name unique: no lock is held across the commit's fsync
        # synchronous=FULL: the row is on disk (fsync'd) before this answer acknowledges the execution
        service.store.add_execution({
            "arn": arn, "machine_arn": chosen.machine["arn"], "name": execution.name, "status": "RUNNING",
            "input": text, "start": start, "definition": row["definition"], "revision": row["revision"],
            "role_arn": row["role_arn"], "version_arn": chosen.version_arn, "alias_arn": chosen.alias_arn,
        })
    except sqlite3.IntegrityError:
        if interpreter is not service.interpreter:
            interpreter.close()
        existing = service.store.execution(arn)
        if existing is not None and existing["status"] == "RUNNING" and existing["input"] == text:
            return {"executionArn": arn, "startDate": existing["start"]}
        raise ApiError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'") from None
    service.launch(execution, interpreter, stored=True)
    return {"executionArn": arn, "startDate": start}


def start_sync_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    chosen, interpreter, execution, text = _prepare(service, params)
    row = chosen.machine
    if row["type"] != "EXPRESS":
        if interpreter is not service.interpreter:
            interpreter.close()
        raise ApiError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
    arn = service.arn("express", row["name"], execution.name, str(uuid.uuid4()))
    live = service.launch(execution, interpreter, stored=False)
    live.done.wait()
    result = live.result
    assert result is not None
    out: dict[str, Any] = {
        "executionArn": arn, "stateMachineArn": row["arn"], "name": execution.name,
        "startDate": round(result.start_time, 3), "stopDate": round(result.stop_time, 3), "status": result.status,
        "input": text, "inputDetails": {"included": True},
    }
    if result.status == "SUCCEEDED":
        out["output"] = compact_json(result.output)
    out["outputDetails"] = {"included": True}
    if result.error is not None:
        out["error"] = result.error
    if result.cause is not None:
        out["cause"] = result.cause
    millis = max(100, math.ceil((result.stop_time - result.start_time) * 10) * 100)
    out["billingDetails"] = {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": millis}
    return out


def _execution_row(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = required_str(params, "executionArn")
    if not arn.startswith(f"arn:{defaults.PARTITION}:states:"):
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    kind = arn.split(":")[5] if arn.count(":") >= 5 else ""
    if kind != "execution":
        raise ApiError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {kind}'")
    row = service.store.execution(arn)
    if row is None:
        raise ApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
    return row


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """A ListExecutions item."""
    out = {"executionArn": row["arn"], "stateMachineArn": row["machine_arn"], "name": row["name"],
           "status": row["status"], "startDate": row["start"]}
    if row["stop"] is not None:
        out["stopDate"] = row["stop"]
    if row.get("version_arn"):
        out["stateMachineVersionArn"] = row["version_arn"]
    if row.get("alias_arn"):
        out["stateMachineAliasArn"] = row["alias_arn"]
    return out


def describe(row: dict[str, Any]) -> dict[str, Any]:
    """DescribeExecution's answer for a stored execution."""
    out = summary(row)
    out["input"] = row["input"]
    out["inputDetails"] = {"included": True}
    if row["status"] == "SUCCEEDED":
        out["output"] = row["output"]
        out["outputDetails"] = {"included": True}
    for key in ("error", "cause"):
        if row[key] is not None:
            out[key] = row[key]
    out["redriveCount"] = 0
    # NOT_REDRIVABLE exactly when RedriveExecution answers ExecutionNotRedrivable, as AWS documents it
    out["redriveStatus"] = "NOT_REDRIVABLE"
    out["redriveStatusReason"] = _not_redrivable(row)
    return out


#: why an execution AWS would redrive is refused: aslrun cannot resume one from its failed state yet
REDRIVE_UNSUPPORTED = ("aslrun serve cannot redrive executions yet: it cannot resume one from its failed state. "
                       "Start a new execution with the same input instead.")


def _not_redrivable(row: dict[str, Any]) -> str:
    """AWS's reason an execution cannot be redriven, or :data:`REDRIVE_UNSUPPORTED` for one AWS would redrive."""
    if row["status"] not in ("FAILED", "TIMED_OUT", "ABORTED"):
        return f"Execution is {row['status']} and cannot be redriven"
    if row["stop"] is not None and time.time() - row["stop"] > _REDRIVE_DAYS * 86_400:
        return "Execution redrivable period exceeded"
    return REDRIVE_UNSUPPORTED


def redrive_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """RedriveExecution: ExecutionNotRedrivable for every execution (see :data:`REDRIVE_UNSUPPORTED`)."""
    token = optional_str(params, "clientToken", 64)
    if token is not None and not token:
        raise validation_error("Value at 'clientToken' failed to satisfy constraint: Member must have length "
                               "greater than or equal to 1")
    row = _execution_row(service, params)
    raise ApiError("ExecutionNotRedrivable", _not_redrivable(row))


def describe_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    return describe(_execution_row(service, params))


def describe_state_machine_for_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    row = _execution_row(service, params)
    machine = {"arn": row["machine_arn"], "name": row["machine_arn"].rsplit(":", 1)[1], "type": "STANDARD",
               "definition": row["definition"], "role_arn": row["role_arn"], "created": row["start"],
               "revision": row["revision"]}
    out = describe_row(machine)
    for key in ("status", "type", "creationDate"):
        out.pop(key)
    out["updateDate"] = row["start"]
    return out


def list_executions(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("mapRunArn") is not None:
        raise validation_error("Map Runs are not supported by aslrun serve")
    machine_arn = required_str(params, "stateMachineArn")
    unqualified, qualifier = split_arn(service, machine_arn)
    machine = service.machine_row(unqualified)
    # a version or alias ARN lists the executions started through it
    column = "machine_arn" if qualifier is None else "version_arn" if qualifier.isdigit() else "alias_arn"
    if machine["type"] == "EXPRESS":
        raise ApiError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
    status = params.get("statusFilter")
    if status is not None and status not in _STATUSES:
        raise validation_error(f"Value '{status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy "
                               "enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]")
    size = page_size(params)
    scope = f"executions {machine_arn} {status}"
    offset = decode_token(params, scope)
    rows = service.store.executions(machine_arn, status, offset, size + 1, column=column)
    out: dict[str, Any] = {"executions": [summary(r) for r in rows[:size]]}
    if len(rows) > size:
        out["nextToken"] = encode_token(offset + size, scope)
    return out


def stop_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    row = _execution_row(service, params)
    error = optional_str(params, "error", 256)
    cause = optional_str(params, "cause", 32_768)
    with service.lock:
        live = service.live.get(row["arn"])
    if live is not None:
        live.execution.abort()
        service.activities.cancel(row["arn"])
        live.done.wait(30)
        row = service.store.execution(row["arn"]) or row
        if row["status"] == "ABORTED" and (error is not None or cause is not None):
            # Execution.abort() takes no reason: the stored row and ExecutionAborted event get it here
            service.store.finish_execution(row["arn"], "ABORTED", None, error, cause, row["stop"])
            details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
            service.store.set_event_details(row["arn"], service.store.last_event_id(row["arn"]),
                                            "executionAbortedEventDetails", details)
    return {"stopDate": row["stop"] if row["stop"] is not None else round(time.time(), 3)}


def get_execution_history(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    row = _execution_row(service, params)
    size = page_size(params)
    reverse = bool(params.get("reverseOrder"))
    scope = f"history {row['arn']} {reverse}"
    offset = decode_token(params, scope)
    with service.lock:
        live = service.live.get(row["arn"])
    if live is not None and not live.done.is_set():
        events = [api_event(e) for e in list(live.execution.events)]
        if reverse:
            events.reverse()
        page = events[offset:offset + size + 1]
    else:
        page = service.store.events(row["arn"], offset, size + 1, reverse)
    if params.get("includeExecutionData") is False:
        for event in page:
            for key, details in event.items():
                if key.endswith("EventDetails") and isinstance(details, dict):
                    details.pop("input", None)
                    details.pop("output", None)
    out: dict[str, Any] = {"events": page[:size]}
    if len(page) > size:
        out["nextToken"] = encode_token(offset + size, scope)
    return out
