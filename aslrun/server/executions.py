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
from aslrun.server.mapruns import map_run_children
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
from aslrun.server.views import describe, execution_row, not_redrivable, redrive_history, summary

__all__ = [
    "describe_execution",
    "describe_state_machine_for_execution",
    "get_execution_history",
    "list_executions",
    "redrive_execution",
    "start_execution",
    "start_sync_execution",
    "stop_execution",
]

#: how long a RedriveExecution clientToken answers again
_TOKEN_SECONDS = 15 * 60
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
    interpreter = _mock_interpreter(service, row["name"], test_case) if test_case else service.interpreter
    try:
        machine = service.compiled(row, interpreter if test_case else None)
        execution = interpreter.start(machine, value, name=name)
    except InputError as exc:
        if interpreter is not service.interpreter:
            interpreter.close()
        raise ApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{exc}'") from None
    return chosen, interpreter, execution, text


def start_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    # taken before the execution's clock starts (a virtual one stands still): stopDate >= startDate
    start = math.floor(time.time() * 1000) / 1000
    chosen, interpreter, execution, text = _prepare(service, params)
    row = chosen.run
    if row["type"] == "EXPRESS":
        arn = service.arn("express", row["name"], execution.name, str(uuid.uuid4()))
        execution.max_seconds = defaults.MAX_EXPRESS_SECONDS
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
            "test_case": required_str(params, "stateMachineArn").partition("#")[2] or None,
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
    execution.max_seconds = defaults.MAX_EXPRESS_SECONDS
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


def _mock_interpreter(service: Service, machine_name: str, test_case: str) -> Interpreter:
    """An interpreter that answers Tasks from the server's MockConfigFile test case ``test_case``."""
    if service.mock_config is None:
        raise validation_error("a '#TestCase' state machine ARN needs a mock configuration: start the server "
                               "with --mock-config FILE or SFN_MOCK_CONFIG")
    try:
        mock = service.mock_config.test_case(machine_name, test_case)
    except AslrunError as exc:
        raise validation_error(str(exc)) from None
    return Interpreter(clock=service.clock, region=service.region, account=service.account, mock=mock,
                       integrations=[service.activities])


def redrive_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """RedriveExecution: the execution runs again from the states it had not finished (:mod:`aslrun.redrive`)."""
    from aslrun.redrive import NotRedrivable, plan_redrive

    token = optional_str(params, "clientToken", 64)
    if token is not None and not (1 <= len(token) and token.isascii() and token.isprintable()):
        raise validation_error("Value at 'clientToken' failed to satisfy constraint: Member must have length "
                               "greater than or equal to 1 and satisfy regular expression pattern: [!-~]+")
    arn = execution_row(service, params)["arn"]
    now = round(time.time(), 3)
    with service.lock:
        row = service.store.execution(arn)
        assert row is not None
        # the last 10 client tokens answer again for 15 minutes (AWS's idempotency)
        tokens = [t for t in json.loads(row.get("redrive_tokens") or "[]") if now - t[1] < _TOKEN_SECONDS]
        for used, date in tokens:
            if token is not None and used == token:
                return {"redriveDate": date}
        reason = "Execution is RUNNING and cannot be redriven" if arn in service.live else \
            not_redrivable(service.store, row)
        if reason is not None:
            raise ApiError("ExecutionNotRedrivable", reason)
        machine_name = row["machine_arn"].rsplit(":", 1)[1]
        interpreter = service.interpreter
        if row.get("test_case"):
            interpreter = _mock_interpreter(service, machine_name, row["test_case"])
        try:
            machine = service.compiled({"arn": row["machine_arn"], "revision": row["revision"],
                                        "definition": row["definition"], "name": machine_name},
                                       interpreter if interpreter is not service.interpreter else None)
            plan = plan_redrive(machine, redrive_history(service.store, arn))
            execution = interpreter.start(machine, plan.input, name=row["name"], redrive=plan)
        except (NotRedrivable, AslrunError) as exc:
            if interpreter is not service.interpreter:
                interpreter.close()
            raise ApiError("ExecutionNotRedrivable", getattr(exc, "reason", str(exc))) from None
        if token is not None:
            tokens = [*tokens, [token, now]][-10:]
        service.store.redrive(arn, now, tokens)
        service.launch(execution, interpreter, stored=True)
    return {"redriveDate": now}


def describe_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    return describe(service.store, execution_row(service, params))


def describe_state_machine_for_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    row = execution_row(service, params)
    definition = row["definition"]
    if row.get("map_run_arn"):
        # a Map Run's child runs the Map's ItemProcessor, as the machine ``<machine>/<label>``
        processor = _item_processor(json.loads(definition), row["machine_arn"].rsplit("/", 1)[1])
        definition = json.dumps(processor) if processor is not None else definition
    machine = {"arn": row["machine_arn"], "name": row["machine_arn"].rsplit(":", 1)[1], "type": "STANDARD",
               "definition": definition, "role_arn": row["role_arn"], "created": row["start"],
               "revision": row["revision"]}
    out = describe_row(machine)
    for key in ("status", "type", "creationDate"):
        out.pop(key)
    out["updateDate"] = row["start"]
    if row.get("map_run_arn"):
        out["mapRunArn"] = row["map_run_arn"]
        out["label"] = row["machine_arn"].rsplit("/", 1)[1]
    return out


def _item_processor(definition: Any, label: str) -> dict[str, Any] | None:
    """The ItemProcessor (without its ProcessorConfig) of the Map labelled (or named) ``label``, at any depth."""
    states = definition.get("States") if isinstance(definition, dict) else None
    for name, state in (states or {}).items():
        if not isinstance(state, dict):
            continue
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if state.get("Type") == "Map" and isinstance(processor, dict) and label in (state.get("Label"), name):
            return {k: v for k, v in processor.items() if k != "ProcessorConfig"}
        for inner in [processor, *(state.get("Branches") or [])]:
            found = _item_processor(inner, label)
            if found is not None:
                return found
    return None


def list_executions(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    status = params.get("statusFilter")
    if status is not None and status not in _STATUSES:
        raise validation_error(f"Value '{status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy "
                               "enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]")
    redrive = params.get("redriveFilter")
    if redrive is not None and redrive not in ("REDRIVEN", "NOT_REDRIVEN"):
        raise validation_error(f"Value '{redrive}' at 'redriveFilter' failed to satisfy constraint: Member must "
                               "satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]")
    redriven = None if redrive is None else redrive == "REDRIVEN"
    if params.get("mapRunArn") is not None:
        return map_run_children(service, params, status, redriven)
    if status == "PENDING_REDRIVE":
        raise validation_error("statusFilter PENDING_REDRIVE is only valid with a mapRunArn")
    machine_arn = required_str(params, "stateMachineArn")
    unqualified, qualifier = split_arn(service, machine_arn)
    machine = service.machine_row(unqualified)
    # a version or alias ARN lists the executions started through it
    column = "machine_arn" if qualifier is None else "version_arn" if qualifier.isdigit() else "alias_arn"
    if machine["type"] == "EXPRESS":
        raise ApiError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
    size = page_size(params)
    scope = f"executions {machine_arn} {status} {redrive}"
    offset = decode_token(params, scope)
    rows = service.store.executions(machine_arn, status, offset, size + 1, column=column, redriven=redriven)
    out: dict[str, Any] = {"executions": [summary(r) for r in rows[:size]]}
    if len(rows) > size:
        out["nextToken"] = encode_token(offset + size, scope)
    return out


def stop_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    row = execution_row(service, params)
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
    row = execution_row(service, params)
    size = page_size(params)
    reverse = bool(params.get("reverseOrder"))
    scope = f"history {row['arn']} {reverse}"
    offset = decode_token(params, scope)
    with service.lock:
        live = service.live.get(row["arn"])
    if live is not None and not live.done.is_set() and not row.get("redrive_count"):
        events = [api_event(e) for e in list(live.execution.events)]
        if reverse:
            events.reverse()
        page = events[offset:offset + size + 1]
    else:
        if live is not None or row.get("map_run_arn"):
            # a redriven execution's earlier events are only in the store; a child's come through the writer
            service.flush()
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
