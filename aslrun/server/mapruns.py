"""Map Run operations: DescribeMapRun, ListMapRuns, UpdateMapRun, and ListExecutions of a Map Run's children.

The rows come from the history writer (:mod:`aslrun.server.writer`); UpdateMapRun changes the
running Distributed Map through its engine's :class:`~aslrun.maprun.MapRuns`.
"""

from __future__ import annotations

from typing import Any

from aslrun import defaults
from aslrun.server.protocol import (
    ApiError,
    decode_token,
    encode_token,
    page_size,
    required_str,
    validation_error,
)
from aslrun.server.service import Service
from aslrun.server.views import execution_row, summary

__all__ = ["describe_map_run", "list_map_runs", "map_run_children", "update_map_run"]

_COUNT_KEYS = ("pending", "running", "succeeded", "failed", "timedOut", "aborted", "total", "resultsWritten",
               "failuresNotRedrivable", "pendingRedrive")
_BY_STATUS = {"RUNNING": "running", "SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timedOut",
              "ABORTED": "aborted"}


def _map_run_row(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = required_str(params, "mapRunArn", 2000)
    if not arn.startswith(f"arn:{defaults.PARTITION}:states:") or arn.count(":") < 7:
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    if arn.split(":")[5] != "mapRun":
        raise ApiError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {arn.split(':')[5]}'")
    service.flush()
    row = service.store.map_run(arn)
    if row is None:
        raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'", resourceName=arn)
    return row


def _counts(service: Service, row: dict[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """``itemCounts`` and ``executionCounts``: children by status; pending = not started yet."""
    executions = dict.fromkeys(_COUNT_KEYS, 0)
    items = dict.fromkeys(_COUNT_KEYS, 0)
    for status, (count, item_count) in service.store.child_counts(row["arn"]).items():
        key = _BY_STATUS.get(status)
        if key is not None:
            executions[key] += count
            items[key] += item_count
    started = sum(executions[k] for k in _BY_STATUS.values())
    executions["total"] = max(int(row["total"]), started)
    executions["pending"] = executions["total"] - started
    items["pending"] = executions["pending"]
    items["total"] = sum(items[k] for k in _BY_STATUS.values()) + items["pending"]
    if row["writes_results"] and row["status"] == "SUCCEEDED":
        closed = executions["succeeded"] + executions["failed"] + executions["timedOut"] + executions["aborted"]
        executions["resultsWritten"] = closed
        items["resultsWritten"] = items["total"] - items["pending"] - items["running"]
    return items, executions


def describe_map_run(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    row = _map_run_row(service, params)
    items, executions = _counts(service, row)
    out: dict[str, Any] = {
        "mapRunArn": row["arn"], "executionArn": row["execution_arn"], "status": row["status"],
        "startDate": row["start"], "maxConcurrency": row["max_concurrency"],
        "toleratedFailurePercentage": float(row["tolerated_percentage"] or 0.0),
        "toleratedFailureCount": int(row["tolerated_count"] or 0),
        "itemCounts": items, "executionCounts": executions, "redriveCount": row["redrive_count"],
    }
    if row["redrive_date"] is not None:
        out["redriveDate"] = row["redrive_date"]
    if row["stop"] is not None:
        out["stopDate"] = row["stop"]
    return out


def list_map_runs(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    parent = execution_row(service, params)
    size = page_size(params)
    scope = f"mapRuns {parent['arn']}"
    offset = decode_token(params, scope)
    service.flush()
    rows = service.store.map_runs(parent["arn"], offset, size + 1)
    runs = []
    for row in rows[:size]:
        item = {"executionArn": row["execution_arn"], "mapRunArn": row["arn"], "stateMachineArn": row["machine_arn"],
                "startDate": row["start"]}
        if row["stop"] is not None:
            item["stopDate"] = row["stop"]
        runs.append(item)
    out: dict[str, Any] = {"mapRuns": runs}
    if len(rows) > size:
        out["nextToken"] = encode_token(offset + size, scope)
    return out


def _number(params: dict[str, Any], key: str, low: float, high: float | None, integer: bool) -> Any:
    value = params.get(key)
    if value is None:
        return None
    kind_ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not kind_ok or value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"greater than or equal to {low:g}"
        raise validation_error(f"Value '{value}' at '{key}' failed to satisfy constraint: Member must have value "
                               f"{bound}")
    return value


def update_map_run(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateMapRun: the running Map Run's engine takes the new settings at its next child start or failure."""
    concurrency = _number(params, "maxConcurrency", 0, None, True)
    percentage = _number(params, "toleratedFailurePercentage", 0, 100, False)
    count = _number(params, "toleratedFailureCount", 0, None, True)
    row = _map_run_row(service, params)
    if concurrency is None and percentage is None and count is None:
        raise validation_error("At least one of maxConcurrency, toleratedFailurePercentage or toleratedFailureCount "
                               "must be specified")
    with service.lock:
        engines = [live.execution.engine for live in service.live.values()] if row["status"] == "RUNNING" else []
    # the execution that runs the Map Run: the parent (or, for a Map Run inside a child, the child's parent)
    updated = any(runs.update(row["arn"], concurrency, count, percentage)
                  for runs in (getattr(engine, "map_runs", None) for engine in engines)
                  if runs is not None and runs.get(row["arn"]) is not None)
    if not updated:
        raise validation_error(f"Map Run '{row['arn']}' has completed and cannot be updated",
                               "CANNOT_UPDATE_COMPLETED_MAP_RUN")
    fields: dict[str, Any] = {}
    if concurrency is not None:
        fields["max_concurrency"] = concurrency
    if count is not None:
        fields["tolerated_count"] = count
    if percentage is not None:
        fields["tolerated_percentage"] = float(percentage)
    service.store.update_map_run(row["arn"], **fields)
    return {}


def map_run_children(service: Service, params: dict[str, Any], status: str | None,
                     redriven: bool | None) -> dict[str, Any]:
    """ListExecutions with ``mapRunArn``: the Map Run's children, with ``mapRunArn`` and ``itemCount``."""
    if params.get("stateMachineArn") is not None:
        raise validation_error("Only one of stateMachineArn and mapRunArn may be specified")
    row = _map_run_row(service, params)
    size = page_size(params)
    scope = f"children {row['arn']} {status} {redriven}"
    offset = decode_token(params, scope)
    rows = service.store.executions(row["arn"], status, offset, size + 1, column="map_run_arn", redriven=redriven)
    out: dict[str, Any] = {"executions": [{**summary(r), "itemCount": r["item_count"] or 1} for r in rows[:size]]}
    if len(rows) > size:
        out["nextToken"] = encode_token(offset + size, scope)
    return out
