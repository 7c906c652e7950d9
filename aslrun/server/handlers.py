"""The operations table, and the small operations: tags, TestState, activities (create/describe/list/delete)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from aslrun import defaults
from aslrun.errors import DefinitionError, InputError
from aslrun.server import executions, machines, mapruns, versions
from aslrun.server.protocol import (
    ApiError,
    Operation,
    decode_token,
    encode_token,
    optional_str,
    page_size,
    required_str,
    validation_error,
)
from aslrun.server.service import Service, check_name, tag_list

__all__ = ["operations"]


def _resource(service: Service, params: dict[str, Any]) -> str:
    arn = required_str(params, "resourceArn")
    if not arn.startswith(f"arn:{defaults.PARTITION}:states:"):
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    if service.store.machine(arn) is None and service.store.activity(arn) is None:
        raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'", resourceName=arn)
    return arn


def tag_resource(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _resource(service, params)
    pairs = tag_list(params.get("tags"))
    if len({k for k, _ in pairs} | {t["key"] for t in service.store.tags(arn)}) > 50:
        raise ApiError("TooManyTags", "Too many tags: a resource has at most 50.", resourceName=arn)
    service.store.set_tags(arn, pairs)
    return {}


def untag_resource(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _resource(service, params)
    keys = params.get("tagKeys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise validation_error("Value at 'tagKeys' failed to satisfy constraint: Member must not be null",
                               "MISSING_REQUIRED_PARAMETER")
    service.store.remove_tags(arn, keys)
    return {}


def list_tags_for_resource(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    return {"tags": service.store.tags(_resource(service, params))}


def _json_member(params: dict[str, Any], key: str) -> Any:
    text = optional_str(params, key)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise validation_error(f"Value at '{key}' is not valid JSON: {exc}") from None


def test_state(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """TestState through :func:`aslrun.teststate.test_state`; its ``to_json()`` is AWS's answer."""
    from aslrun.teststate import test_state as run_test_state

    definition = required_str(params, "definition")
    config = params.get("stateConfiguration") or {}
    try:
        result = run_test_state(
            definition, _json_member(params, "input"), state_name=optional_str(params, "stateName"),
            mock=params.get("mock"), inspection_level=params.get("inspectionLevel") or "INFO",
            context=_json_member(params, "context"), variables=optional_str(params, "variables"),
            retrier_retry_count=config.get("retrierRetryCount"),
        )
    except DefinitionError as exc:
        described = "\n".join(f"{d.code}: {d.message.rstrip('.')} at {d.location}" for d in exc.diagnostics) or str(exc)
        raise ApiError("InvalidDefinition", f"Invalid State Machine Definition: '{described}'") from None
    except InputError as exc:
        raise ApiError("ValidationException", str(exc)) from None
    return result.to_json()


# ------------------------------------------------------------ activities


def _activity_arn(service: Service, params: dict[str, Any]) -> str:
    arn = required_str(params, "activityArn")
    if not arn.startswith(service.arn("activity", "")):
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    return arn


def create_activity(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    name = check_name(required_str(params, "name"))
    arn = service.arn("activity", name)
    with service.lock:
        row = service.store.activity(arn)
        if row is None:
            created = round(time.time(), 3)
            service.store.add_activity(arn, name, created)
            service.store.set_tags(arn, tag_list(params.get("tags") or []))
            return {"activityArn": arn, "creationDate": created}
    return {"activityArn": arn, "creationDate": row["created"]}


def describe_activity(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _activity_arn(service, params)
    row = service.store.activity(arn)
    if row is None:
        raise ApiError("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
    return {"activityArn": arn, "name": row["name"], "creationDate": row["created"],
            "encryptionConfiguration": {"type": "AWS_OWNED_KEY"}}


def list_activities(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    size = page_size(params)
    offset = decode_token(params, "activities")
    rows = service.store.activities(offset, size + 1)
    out: dict[str, Any] = {"activities": [{"activityArn": r["arn"], "name": r["name"], "creationDate": r["created"]}
                                          for r in rows[:size]]}
    if len(rows) > size:
        out["nextToken"] = encode_token(offset + size, "activities")
    return out


def get_activity_task(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """Long poll (up to 55 s) for a task of the activity; ``{}`` when none came."""
    arn = _activity_arn(service, params)
    worker = optional_str(params, "workerName", 80)
    if service.store.activity(arn) is None:
        raise ApiError("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
    task = service.activities.poll(arn, worker)
    return {} if task is None else {"taskToken": task.token, "input": task.input}


def delete_activity(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    service.store.delete_activity(_activity_arn(service, params))
    return {}


# ------------------------------------------------------------ task tokens (.waitForTaskToken)


def _answer(service: Service, params: dict[str, Any], answer: Callable[[Any, str], None]) -> dict[str, Any]:
    from aslrun.errors import TaskTokenError

    token = required_str(params, "taskToken", 2048)
    try:
        service.answer_task(token, lambda interpreter: answer(interpreter, token))
    except TaskTokenError as exc:
        if exc.code == "InvalidToken":
            raise ApiError("InvalidToken", "Invalid Token: 'Invalid token'") from None
        # the Task was answered, timed out or its execution ended: AWS's answer to a token used again
        raise ApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'") from None
    return {}


def send_task_success(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    text = required_str(params, "output", defaults.MAX_PAYLOAD_BYTES)
    try:
        output = json.loads(text)
    except ValueError as exc:
        raise ApiError("InvalidOutput", f"Invalid Output: '{exc}'") from None
    return _answer(service, params, lambda interpreter, token: interpreter.send_task_success(token, output))


def send_task_failure(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    error = optional_str(params, "error", 256)
    cause = optional_str(params, "cause", 32_768)
    return _answer(service, params, lambda interpreter, token: interpreter.send_task_failure(token, error, cause))


def send_task_heartbeat(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    return _answer(service, params, lambda interpreter, token: interpreter.send_task_heartbeat(token))


_OPERATIONS: dict[str, Callable[[Service, dict[str, Any]], dict[str, Any]]] = {
    "CreateStateMachine": machines.create_state_machine,
    "DescribeStateMachine": machines.describe_state_machine,
    "ListStateMachines": machines.list_state_machines,
    "UpdateStateMachine": machines.update_state_machine,
    "DeleteStateMachine": machines.delete_state_machine,
    "ValidateStateMachineDefinition": machines.validate_state_machine_definition,
    "StartExecution": executions.start_execution,
    "StartSyncExecution": executions.start_sync_execution,
    "DescribeExecution": executions.describe_execution,
    "ListExecutions": executions.list_executions,
    "StopExecution": executions.stop_execution,
    "RedriveExecution": executions.redrive_execution,
    "GetExecutionHistory": executions.get_execution_history,
    "DescribeStateMachineForExecution": executions.describe_state_machine_for_execution,
    "PublishStateMachineVersion": versions.publish_state_machine_version,
    "ListStateMachineVersions": versions.list_state_machine_versions,
    "DeleteStateMachineVersion": versions.delete_state_machine_version,
    "CreateStateMachineAlias": versions.create_state_machine_alias,
    "DescribeStateMachineAlias": versions.describe_state_machine_alias,
    "UpdateStateMachineAlias": versions.update_state_machine_alias,
    "ListStateMachineAliases": versions.list_state_machine_aliases,
    "DeleteStateMachineAlias": versions.delete_state_machine_alias,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "TestState": test_state,
    "CreateActivity": create_activity,
    "DescribeActivity": describe_activity,
    "ListActivities": list_activities,
    "DeleteActivity": delete_activity,
    "GetActivityTask": get_activity_task,
    "SendTaskSuccess": send_task_success,
    "SendTaskFailure": send_task_failure,
    "SendTaskHeartbeat": send_task_heartbeat,
    "DescribeMapRun": mapruns.describe_map_run,
    "ListMapRuns": mapruns.list_map_runs,
    "UpdateMapRun": mapruns.update_map_run,
}


def operations(service: Service) -> dict[str, Operation]:
    """Every supported operation by name, bound to ``service``."""
    return {name: partial(function, service) for name, function in _OPERATIONS.items()}
