"""Stored executions as the API shows them: the row an ARN names, ListExecutions items, DescribeExecution,
and whether RedriveExecution would take the execution (and why not)."""

from __future__ import annotations

import time
from typing import Any

from aslrun import defaults
from aslrun.redrive import NotRedrivable
from aslrun.server.protocol import ApiError, required_str
from aslrun.server.service import Service
from aslrun.server.store import Store

__all__ = ["REDRIVE_DAYS", "UNSCOPED_HISTORY", "describe", "execution_row", "not_redrivable", "redrive_history",
           "summary"]

#: how long after it closed an execution can be redriven
REDRIVE_DAYS = 14
#: redrive needs fewer events than this
REDRIVE_MAX_EVENTS = 24_999
#: why an execution recorded by an aslrun that kept no event scopes cannot be redriven
UNSCOPED_HISTORY = ("The execution's history was recorded by an older aslrun that did not keep where each event "
                    "happened, which a redrive needs. Start a new execution with the same input instead.")
_CLOSED = ("FAILED", "TIMED_OUT", "ABORTED")


def execution_row(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """The stored execution ``executionArn`` names; InvalidArn or ExecutionDoesNotExist otherwise."""
    arn = required_str(params, "executionArn")
    if not arn.startswith(f"arn:{defaults.PARTITION}:states:"):
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    kind = arn.split(":")[5] if arn.count(":") >= 5 else ""
    if kind != "execution":
        raise ApiError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {kind}'")
    row = service.store.execution(arn)
    if row is None and "/" in arn:
        # a Distributed Map's child: its row may still be in the history writer's queue
        service.flush()
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
    if row.get("map_run_arn"):
        out["mapRunArn"] = row["map_run_arn"]
    if row.get("version_arn"):
        out["stateMachineVersionArn"] = row["version_arn"]
    if row.get("alias_arn"):
        out["stateMachineAliasArn"] = row["alias_arn"]
    if row.get("redrive_count"):
        out["redriveCount"] = row["redrive_count"]
        out["redriveDate"] = row["redrive_date"]
    return out


def not_redrivable(store: Store, row: dict[str, Any]) -> str | None:
    """Why RedriveExecution refuses the execution (AWS's texts where AWS has one), or None."""
    if row["status"] not in _CLOSED:
        return f"Execution is {row['status']} and cannot be redriven"
    if row.get("map_run_arn"):
        return "Execution is a child of a Map Run: redrive the Map Run's parent execution"
    if row["stop"] is not None and time.time() - row["stop"] > REDRIVE_DAYS * 86_400:
        return "Execution redrivable period exceeded"
    count, scoped = store.history_facts(row["arn"])
    if count >= REDRIVE_MAX_EVENTS:
        return "Execution history event limit exceeded"
    if not scoped:
        return UNSCOPED_HISTORY
    return None


def describe(store: Store, row: dict[str, Any]) -> dict[str, Any]:
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
    out["redriveCount"] = row.get("redrive_count") or 0
    if row.get("map_run_arn") and row["status"] in _CLOSED:
        out["redriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
        return out
    reason = not_redrivable(store, row)
    # NOT_REDRIVABLE exactly when RedriveExecution answers ExecutionNotRedrivable, as AWS documents it
    if reason is None:
        out["redriveStatus"] = "REDRIVABLE"
    else:
        out["redriveStatus"] = "NOT_REDRIVABLE"
        out["redriveStatusReason"] = reason
    return out


def redrive_history(store: Store, arn: str) -> list[dict[str, Any]]:
    """What :func:`aslrun.redrive.plan_redrive` reads: the execution's events, then its Map Runs' children's
    (without the ``Execution…`` events the server adds to a child's history), each with its scope."""
    events = store.scoped_events(arn)
    children = store.children_events(arn)
    if events is None or children is None:
        raise NotRedrivable(UNSCOPED_HISTORY)
    return events + [e for e in children if not str(e.get("type", "")).startswith("Execution")]
