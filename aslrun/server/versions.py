"""State machine versions and aliases: Publish/List/DeleteStateMachineVersion, the alias operations,
and what StartExecution and DescribeStateMachine need to run or show a qualified ARN.

ARNs as AWS makes them: a version is ``<machine ARN>:<number>`` (numbers start at 1 and are never
reused, even after a delete), an alias ``<machine ARN>:<alias name>`` (a name with at least one
letter, ``_``, ``-`` or ``.``, so it never looks like a version). An alias routes StartExecution
to one of one or two versions by weight: the choice is drawn from the server's seeded random
generator (:attr:`Service.routing`, seed 0 unless the server is given ``routing_seed``), so a
test suite sees the same sequence on every run of a fresh server.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from aslrun import defaults
from aslrun.server.protocol import ApiError, decode_token, encode_token, optional_str, page_size, required_str
from aslrun.server.service import Service

__all__ = [
    "Target",
    "create_state_machine_alias",
    "delete_state_machine_alias",
    "delete_state_machine_version",
    "describe_state_machine_alias",
    "describe_version",
    "list_state_machine_aliases",
    "list_state_machine_versions",
    "publish",
    "publish_state_machine_version",
    "split_arn",
    "target",
    "update_state_machine_alias",
]

MAX_VERSIONS = 1000
MAX_ALIASES = 100
_ALIAS_NAME = re.compile(r"^(?=.*[a-zA-Z_\-.])[a-zA-Z0-9_\-.]{1,80}$")
_NOT_FOUND = "Request references a resource that does not exist."


def split_arn(service: Service, arn: str) -> tuple[str, str | None]:
    """``(machine ARN, qualifier)`` of a state machine, version or alias ARN; else InvalidArn."""
    prefix = service.arn("stateMachine", "")
    if not arn.startswith(f"arn:{defaults.PARTITION}:states:"):
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    if not arn.startswith(prefix):
        kind = arn.split(":")[5] if arn.count(":") >= 5 else arn
        raise ApiError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {kind}'")
    name, _, qualifier = arn[len(prefix):].partition(":")
    if not name or (qualifier == "" and arn.endswith(":")) or ":" in qualifier:
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN: {arn}'")
    return prefix + name, qualifier or None


def _machine(service: Service, machine_arn: str) -> dict[str, Any]:
    return service.machine_row(machine_arn)


def _version_arn(service: Service, arn: str) -> tuple[str, str]:
    """A version ARN: ``(machine ARN, version ARN)``; an unqualified or alias ARN → ValidationException."""
    machine_arn, qualifier = split_arn(service, arn)
    if qualifier is None or not qualifier.isdigit():
        raise ApiError("ValidationException", f"Invalid version ARN: '{arn}'")
    return machine_arn, arn


def _alias_arn(service: Service, arn: str) -> tuple[str, str]:
    machine_arn, qualifier = split_arn(service, arn)
    if qualifier is None or qualifier.isdigit():
        raise ApiError("ValidationException", f"Invalid alias ARN: '{arn}'")
    return machine_arn, arn


# ------------------------------------------------------------ versions


def publish(service: Service, machine: dict[str, Any], description: str | None) -> dict[str, Any]:
    """The version of the machine's current revision: the newest one if it has that revision, else a new one."""
    with service.lock:
        newest = service.store.versions(machine["arn"], 0, 1)
        if newest and newest[0]["revision"] == machine["revision"]:
            return newest[0]
        if len(service.store.versions(machine["arn"])) >= MAX_VERSIONS:
            raise ApiError("ServiceQuotaExceededException",
                           f"A state machine has at most {MAX_VERSIONS} versions: delete one before publishing.")
        return service.store.add_version(machine, description, round(time.time(), 3))


def publish_state_machine_version(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    machine_arn, qualifier = split_arn(service, required_str(params, "stateMachineArn"))
    if qualifier is not None:
        raise ApiError("ValidationException", "Publish a version from an unqualified state machine ARN, "
                       f"not '{machine_arn}:{qualifier}'")
    description = optional_str(params, "description", 256)
    revision = optional_str(params, "revisionId")
    with service.lock:
        machine = _machine(service, machine_arn)
        initial = revision == "INITIAL" and machine["updated"] is None
        if revision is not None and revision != machine["revision"] and not initial:
            raise ApiError("ConflictException", f"Failed to publish the State Machine version for revision "
                           f"{revision}. The current State Machine revision is {machine['revision']}.")
        version = publish(service, machine, description)
    return {"creationDate": version["created"], "stateMachineVersionArn": version["arn"]}


def list_state_machine_versions(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    machine_arn, qualifier = split_arn(service, required_str(params, "stateMachineArn"))
    if qualifier is not None:
        raise ApiError("ValidationException", "List the versions of an unqualified state machine ARN")
    _machine(service, machine_arn)
    size = page_size(params)
    scope = f"versions {machine_arn}"
    offset = decode_token(params, scope)
    rows = service.store.versions(machine_arn, offset, size + 1)
    out: dict[str, Any] = {"stateMachineVersions": [
        {"stateMachineVersionArn": r["arn"], "creationDate": r["created"]} for r in rows[:size]]}
    if len(rows) > size:
        out["nextToken"] = encode_token(offset + size, scope)
    return out


def delete_state_machine_version(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    machine_arn, arn = _version_arn(service, required_str(params, "stateMachineVersionArn"))
    with service.lock:
        using = [a["name"] for a in service.store.aliases(machine_arn)
                 if any(r["stateMachineVersionArn"] == arn for r in a["routing"])]
        if using:
            raise ApiError("ConflictException", "Version to be deleted must not be referenced by an alias. Current "
                           f"list of aliases referencing this version: [{', '.join(using)}]")
        service.store.delete_version(arn)  # running executions of it go on; an unknown version is no error
    return {}


def describe_version(service: Service, arn: str) -> dict[str, Any]:
    """DescribeStateMachine on a version ARN: the version's definition, its number's ARN, its description."""
    machine_arn, _ = _version_arn(service, arn)
    version = service.store.version(arn)
    machine = service.store.machine(machine_arn)
    if version is None or machine is None:
        raise ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
    out = {
        "stateMachineArn": arn, "name": machine["name"], "status": "ACTIVE", "definition": version["definition"],
        "roleArn": version["role_arn"], "type": machine["type"], "creationDate": version["created"],
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False}, "revisionId": version["revision"],
    }
    if version["description"] is not None:
        out["description"] = version["description"]
    return out


# ------------------------------------------------------------ aliases


def _routing(service: Service, machine_arn: str, value: Any) -> list[dict[str, Any]]:
    """A checked ``routingConfiguration``: 1–2 distinct, existing versions of the machine, weights summing to 100."""
    if not isinstance(value, list) or not 1 <= len(value) <= 2 or not all(isinstance(v, dict) for v in value):
        raise ApiError("ValidationException", "1 validation error detected: Value at 'routingConfiguration' failed "
                       "to satisfy constraint: Member must have length between 1 and 2",
                       reason="INVALID_ROUTING_CONFIGURATION")
    arns = [v.get("stateMachineVersionArn") for v in value]
    weights = [v.get("weight") for v in value]
    if not all(isinstance(w, int) and not isinstance(w, bool) and 0 <= w <= 100 for w in weights):
        raise ApiError("ValidationException", "1 validation error detected: Value at 'routingConfiguration.weight' "
                       "failed to satisfy constraint: Member must have value between 0 and 100",
                       reason="INVALID_ROUTING_CONFIGURATION")
    received = f"[{', '.join(str(a) for a in arns)}]"
    qualified = [split_arn(service, a) if isinstance(a, str) else ("", None) for a in arns]
    if not all(q is not None and q.isdigit() and m == machine_arn for m, q in qualified):
        raise ApiError("ValidationException", f"Routing configuration must contain state machine version ARNs. "
                       f"Received: {received}", reason="INVALID_ROUTING_CONFIGURATION")
    if len(set(arns)) != len(arns):
        raise ApiError("ValidationException", f"Routing configuration must contain distinct state machine version "
                       f"ARNs. Received: {received}", reason="INVALID_ROUTING_CONFIGURATION")
    if sum(weights) != 100:
        raise ApiError("ValidationException", f"Sum of routing configuration weights must equal 100. Received: "
                       f"[{', '.join(str(w) for w in weights)}]", reason="INVALID_ROUTING_CONFIGURATION")
    for arn in arns:
        if service.store.version(arn) is None:
            raise ApiError("ResourceNotFound", _NOT_FOUND, resourceName=arn)
    return [{"stateMachineVersionArn": a, "weight": w} for a, w in zip(arns, weights)]


def create_state_machine_alias(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    name = required_str(params, "name")
    if not _ALIAS_NAME.match(name):
        raise ApiError("ValidationException", f"1 validation error detected: Value '{name}' at 'name' failed to "
                       r"satisfy constraint: Member must satisfy regular expression pattern: "
                       r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$")
    description = optional_str(params, "description", 256)
    value = params.get("routingConfiguration")
    first = value[0].get("stateMachineVersionArn") if isinstance(value, list) and value and \
        isinstance(value[0], dict) else None
    if not isinstance(first, str):
        raise ApiError("ValidationException", "1 validation error detected: Value at 'routingConfiguration' failed "
                       "to satisfy constraint: Member must not be null", reason="INVALID_ROUTING_CONFIGURATION")
    machine_arn, _ = split_arn(service, first)
    with service.lock:
        _machine(service, machine_arn)
        routing = _routing(service, machine_arn, value)
        arn = f"{machine_arn}:{name}"
        existing = service.store.alias(arn)
        if existing is not None:
            if (existing["description"], existing["routing"]) != (description, routing):
                raise ApiError("ConflictException", "Failed to create alias because an alias with the same name and "
                               "a different routing configuration already exists.")
            return {"stateMachineAliasArn": arn, "creationDate": existing["created"]}
        if len(service.store.aliases(machine_arn)) >= MAX_ALIASES:
            raise ApiError("ServiceQuotaExceededException", f"A state machine has at most {MAX_ALIASES} aliases.")
        created = round(time.time(), 3)
        service.store.put_alias({"arn": arn, "machine_arn": machine_arn, "name": name, "description": description,
                                 "routing": routing, "created": created, "updated": None})
    return {"stateMachineAliasArn": arn, "creationDate": created}


def _alias(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    _, arn = _alias_arn(service, required_str(params, "stateMachineAliasArn"))
    alias = service.store.alias(arn)
    if alias is None:
        raise ApiError("ResourceNotFound", _NOT_FOUND, resourceName=arn)
    return alias


def describe_state_machine_alias(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    alias = _alias(service, params)
    out = {"stateMachineAliasArn": alias["arn"], "name": alias["name"], "routingConfiguration": alias["routing"],
           "creationDate": alias["created"], "updateDate": alias["updated"] or alias["created"]}
    if alias["description"] is not None:
        out["description"] = alias["description"]
    return out


def update_state_machine_alias(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    description = optional_str(params, "description", 256)
    value = params.get("routingConfiguration")
    if description is None and value is None:
        raise ApiError("ValidationException", "Either the description or the routing configuration must be "
                       "specified", reason="MISSING_REQUIRED_PARAMETER")
    with service.lock:
        alias = _alias(service, params)
        routing = alias["routing"] if value is None else _routing(service, alias["machine_arn"], value)
        updated = round(time.time(), 3)
        service.store.put_alias({**alias, "description": description if description is not None
                                 else alias["description"], "routing": routing, "updated": updated})
    return {"updateDate": updated}


def list_state_machine_aliases(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """The aliases of a machine, oldest first; of a version ARN, those that route to it."""
    arn = required_str(params, "stateMachineArn")
    machine_arn, qualifier = split_arn(service, arn)
    _machine(service, machine_arn)
    if qualifier is not None and not qualifier.isdigit():
        raise ApiError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: alias {arn}'")
    if qualifier is not None and service.store.version(arn) is None:
        raise ApiError("ResourceNotFound", _NOT_FOUND, resourceName=arn)
    rows = [a for a in service.store.aliases(machine_arn)
            if qualifier is None or any(r["stateMachineVersionArn"] == arn for r in a["routing"])]
    size = page_size(params)
    scope = f"aliases {arn}"
    offset = decode_token(params, scope)
    page = rows[offset:offset + size]
    out: dict[str, Any] = {"stateMachineAliases": [
        {"stateMachineAliasArn": a["arn"], "creationDate": a["created"]} for a in page]}
    if len(rows) > offset + size:
        out["nextToken"] = encode_token(offset + size, scope)
    return out


def delete_state_machine_alias(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    _, arn = _alias_arn(service, required_str(params, "stateMachineAliasArn"))
    service.store.delete_alias(arn)  # an unknown alias is no error; its versions stay
    return {}


# ------------------------------------------------------------ what StartExecution runs


@dataclass(frozen=True)
class Target:
    """What a StartExecution ARN names: the machine, the row to run (machine or version), version and alias."""

    machine: dict[str, Any]
    run: dict[str, Any]
    version_arn: str | None = None
    alias_arn: str | None = None


def target(service: Service, arn: str) -> Target:
    """Resolve a machine, version or alias ARN; an alias picks one of its versions by weight."""
    machine_arn, qualifier = split_arn(service, arn)
    machine = service.machine_row(machine_arn)
    if qualifier is None:
        return Target(machine, machine)
    alias_arn = None
    version_arn = arn
    if not qualifier.isdigit():
        alias = service.store.alias(arn)
        if alias is None:
            raise ApiError("ResourceNotFound", _NOT_FOUND, resourceName=arn)
        alias_arn = arn
        routes = alias["routing"]
        with service.lock:
            pick = service.routing.choices([r["stateMachineVersionArn"] for r in routes],
                                           weights=[r["weight"] for r in routes])[0]
        version_arn = pick
    version = service.store.version(version_arn)
    if version is None:
        raise ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{version_arn}'")
    # a row shaped like a machine's, keyed by the version ARN for the compiled-machine cache
    run = {**machine, "arn": version_arn, "definition": version["definition"], "role_arn": version["role_arn"],
           "revision": version["revision"]}
    return Target(machine, run, version_arn, alias_arn)
