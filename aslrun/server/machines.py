"""State machine operations: Create, Describe, List, Update, Delete, ValidateStateMachineDefinition."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from aslrun import defaults
from aslrun.errors import Diagnostic
from aslrun.server.protocol import (
    ApiError,
    decode_token,
    encode_token,
    optional_str,
    page_size,
    required_str,
    validation_error,
)
from aslrun.server.service import Service, check_name, tag_list
from aslrun.server.versions import describe_version, publish, split_arn
from aslrun.validation import MACHINE_TYPES, validate_definition

__all__ = [
    "check_machine_arn",
    "create_state_machine",
    "delete_state_machine",
    "describe_state_machine",
    "list_state_machines",
    "update_state_machine",
    "validate_state_machine_definition",
]

_MAX_DEFINITION = 1_048_576


def check_machine_arn(service: Service, arn: str) -> str:
    """``arn`` must be a state machine ARN (a ``#TestCase`` suffix is the caller's to strip)."""
    prefix = service.arn("stateMachine", "")
    if not arn.startswith(f"arn:{defaults.PARTITION}:states:"):
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    if not arn.startswith(prefix):
        kind = arn.split(":")[5] if arn.count(":") >= 5 else arn
        raise ApiError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {kind}'")
    return arn


def _parse_definition(text: str, machine_type: str) -> Any:
    """The definition as a value, or InvalidDefinition with AWS's wording."""
    if len(text) > _MAX_DEFINITION:
        raise validation_error(f"Value at 'definition' failed to satisfy constraint: Member must have length less "
                               f"than or equal to {_MAX_DEFINITION}")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ApiError("InvalidDefinition", f"Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {exc}'") \
            from None
    errors = [d for d in validate_definition(doc, type=machine_type) if d.severity == "ERROR"]
    if errors:
        described = "\n".join(f"{d.code}: {d.message.rstrip('.')} at {d.location}" for d in errors)
        raise ApiError("InvalidDefinition", f"Invalid State Machine Definition: '{described}'")
    return doc


def _machine_type(params: dict[str, Any]) -> str:
    value = params.get("type") or "STANDARD"
    if value not in MACHINE_TYPES:
        raise validation_error(f"Value '{value}' at 'type' failed to satisfy constraint: Member must satisfy enum "
                               "value set: [STANDARD, EXPRESS]")
    return str(value)


def _check_publish(params: dict[str, Any]) -> None:
    if params.get("versionDescription") is not None and params.get("publish") is not True:
        raise validation_error("Value at 'versionDescription' is only accepted with 'publish' set to true")


def create_state_machine(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    name = check_name(required_str(params, "name"))
    _check_publish(params)
    definition = required_str(params, "definition")
    machine_type = _machine_type(params)
    role_arn = optional_str(params, "roleArn") or defaults.ROLE_ARN
    _parse_definition(definition, machine_type)
    arn = service.arn("stateMachine", name)
    with service.lock:
        existing = service.store.machine(arn)
        if existing is not None:
            # AWS compares the definition text and the type; another roleArn or tags are ignored, not applied
            if (existing["definition"], existing["type"]) != (definition, machine_type):
                raise ApiError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
            return {"stateMachineArn": arn, "creationDate": existing["created"]}
        created = round(time.time(), 3)
        service.store.add_machine({"arn": arn, "name": name, "type": machine_type, "definition": definition,
                                   "role_arn": role_arn, "created": created, "revision": str(uuid.uuid4())})
        out = {"stateMachineArn": arn, "creationDate": created}
        if params.get("publish") is True:
            out["stateMachineVersionArn"] = publish(service, service.machine_row(arn),
                                                    optional_str(params, "versionDescription", 256))["arn"]
    service.store.set_tags(arn, tag_list(params.get("tags") or []))
    return out


def describe_state_machine(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = required_str(params, "stateMachineArn")
    _, qualifier = split_arn(service, arn)
    if qualifier is not None and qualifier.isdigit():
        return describe_version(service, arn)
    return describe_row(service.machine_row(check_machine_arn(service, arn)))


def describe_row(row: dict[str, Any], stored_definition: str | None = None) -> dict[str, Any]:
    """DescribeStateMachine's answer for a stored machine."""
    out = {
        "stateMachineArn": row["arn"], "name": row["name"], "status": "ACTIVE",
        "definition": stored_definition or row["definition"], "roleArn": row["role_arn"], "type": row["type"],
        "creationDate": row["created"], "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False}, "revisionId": row["revision"],
    }
    return out


def list_state_machines(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    size = page_size(params)
    offset = decode_token(params, "machines")
    rows = service.store.machines(offset, size + 1)
    out: dict[str, Any] = {"stateMachines": [
        {"stateMachineArn": r["arn"], "name": r["name"], "type": r["type"], "creationDate": r["created"]}
        for r in rows[:size]]}
    if len(rows) > size:
        out["nextToken"] = encode_token(offset + size, "machines")
    return out


def update_state_machine(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = check_machine_arn(service, required_str(params, "stateMachineArn"))
    definition = optional_str(params, "definition")
    role_arn = optional_str(params, "roleArn")
    _check_publish(params)
    if definition is None and role_arn is None and not params.get("loggingConfiguration") \
            and not params.get("tracingConfiguration"):
        raise ApiError("MissingRequiredParameter", "Either the definition, the role ARN, the LoggingConfiguration, "
                       "or the TracingConfiguration must be specified")
    with service.lock:
        row = service.machine_row(arn)
        if definition is not None:
            _parse_definition(definition, row["type"])
        changes = {k: v for k, v in (("definition", definition), ("role_arn", role_arn)) if v is not None}
        updated = round(time.time(), 3)
        if any(row[k] != v for k, v in changes.items()):
            service.store.update_machine(arn, **changes, updated=updated, revision=str(uuid.uuid4()))
        row = service.machine_row(arn)
        out = {"updateDate": row["updated"] or updated, "revisionId": row["revision"]}
        if params.get("publish") is True:
            out["stateMachineVersionArn"] = publish(service, row,
                                                    optional_str(params, "versionDescription", 256))["arn"]
    return out


def delete_state_machine(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = check_machine_arn(service, required_str(params, "stateMachineArn"))
    service.store.delete_machine(arn)
    return {}


def validate_state_machine_definition(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    text = required_str(params, "definition")
    machine_type = _machine_type(params)
    severity = params.get("severity") or "ERROR"
    if severity not in ("ERROR", "WARNING"):
        raise validation_error(f"Value '{severity}' at 'severity' failed to satisfy constraint: Member must satisfy "
                               "enum value set: [ERROR, WARNING]")
    size = page_size(params, limit=100, default=100)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        found = [Diagnostic("INVALID_JSON_DESCRIPTION", str(exc))]
    else:
        found = validate_definition(doc, type=machine_type)
    if severity == "ERROR":
        found = [d for d in found if d.severity == "ERROR"]
    diagnostics = [{"severity": d.severity, "code": d.code, "message": d.message, "location": d.location}
                   for d in found]
    result = "FAIL" if any(d.severity == "ERROR" for d in found) else "OK"
    return {"result": result, "diagnostics": diagnostics[:size], "truncated": len(diagnostics) > size}
