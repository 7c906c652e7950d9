"""Server-side printing: ``meta.k8s.io/v1 Table`` responses for ``kubectl get``.

kubectl asks for a Table (``Accept: application/json;as=Table;v=v1;g=meta.k8s.io,…``) and prints
its columns. Without one it falls back to ``NAME AGE``; with these it prints what a real
cluster prints for Jobs (``STATUS COMPLETIONS DURATION``), Pods (``READY STATUS RESTARTS``),
ConfigMaps (``DATA``) and Namespaces (``STATUS``). Rows carry ``PartialObjectMetadata``.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from typing import Any

from aslrun.kube.resources import ResourceType

__all__ = ["human_duration", "to_table", "wants_table"]

Column = tuple[str, str, str, int, Callable[[dict[str, Any], float], Any]]


def wants_table(accept: str) -> bool:
    """Whether an Accept header asks for a ``meta.k8s.io`` Table first."""
    first = accept.split(",")[0] if accept else ""
    return "as=Table" in first and "g=meta.k8s.io" in first


def _ts(text: str | None) -> float | None:
    if not text:
        return None
    return float(calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")))


def human_duration(seconds: float) -> str:
    """kubectl's short durations: ``5s``, ``3m12s``, ``2h``, ``4d``."""
    s = int(max(seconds, 0))
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    return f"{days}d{hours % 24}h" if days < 8 and hours % 24 else f"{days}d"


def _age(obj: dict[str, Any], now: float) -> str:
    created = _ts(obj["metadata"].get("creationTimestamp"))
    return "<unknown>" if created is None else human_duration(now - created)


def _job_status(obj: dict[str, Any], now: float) -> str:
    conds = {c.get("type"): c.get("status") for c in (obj.get("status") or {}).get("conditions") or []}
    if conds.get("Complete") == "True":
        return "Complete"
    if conds.get("Failed") == "True":
        return "Failed"
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    if (obj.get("spec") or {}).get("suspend"):
        return "Suspended"
    if conds.get("FailureTarget") == "True":
        return "FailureTarget"
    return "Running"


def _job_completions(obj: dict[str, Any], now: float) -> str:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}"


def _job_duration(obj: dict[str, Any], now: float) -> str:
    status = obj.get("status") or {}
    start = _ts(status.get("startTime"))
    if start is None:
        return ""
    end = _ts(status.get("completionTime")) or now
    return human_duration(end - start)


def _pod_ready(obj: dict[str, Any], now: float) -> str:
    statuses = (obj.get("status") or {}).get("containerStatuses") or []
    total = len((obj.get("spec") or {}).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _pod_status(obj: dict[str, Any], now: float) -> str:
    status = obj.get("status") or {}
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    reason = status.get("phase", "Pending")
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if "terminated" in state and state["terminated"].get("reason") and reason != "Running":
            reason = state["terminated"]["reason"]
        elif "waiting" in state and state["waiting"].get("reason"):
            reason = state["waiting"]["reason"]
    if reason == "Pending" and (obj.get("spec") or {}).get("nodeName"):
        reason = "ContainerCreating"
    return str(reason)


def _pod_restarts(obj: dict[str, Any], now: float) -> int:
    return sum(int(s.get("restartCount") or 0) for s in (obj.get("status") or {}).get("containerStatuses") or [])


_NAME: Column = ("Name", "string", "name", 0, lambda o, now: o["metadata"]["name"])
_AGE: Column = ("Age", "string", "", 0, _age)
_COLUMNS: dict[str, list[Column]] = {
    "Job": [_NAME, ("Status", "string", "", 0, _job_status), ("Completions", "string", "", 0, _job_completions),
            ("Duration", "string", "", 0, _job_duration), _AGE],
    "Pod": [_NAME, ("Ready", "string", "", 0, _pod_ready), ("Status", "string", "", 0, _pod_status),
            ("Restarts", "integer", "", 0, _pod_restarts), _AGE,
            ("IP", "string", "", 1, lambda o, now: (o.get("status") or {}).get("podIP") or "<none>"),
            ("Node", "string", "", 1, lambda o, now: (o.get("spec") or {}).get("nodeName") or "<none>")],
    "ConfigMap": [_NAME, ("Data", "integer", "", 0,
                          lambda o, now: len(o.get("data") or {}) + len(o.get("binaryData") or {})), _AGE],
    "Namespace": [_NAME, ("Status", "string", "", 0,
                          lambda o, now: (o.get("status") or {}).get("phase", "Active")), _AGE],
}


def to_table(rt: ResourceType, objects: list[dict[str, Any]], resource_version: str, now: float,
             continue_token: str = "") -> dict[str, Any]:
    """A ``Table`` of ``objects`` (already filtered) for ``rt``."""
    columns = _COLUMNS.get(rt.kind if rt.builtin else "", [_NAME, _AGE])
    rows = []
    for obj in objects:
        partial = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
        rows.append({"cells": [col[4](obj, now) for col in columns], "object": partial})
    meta: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        meta["continue"] = continue_token
    return {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
        "columnDefinitions": [{"name": c[0], "type": c[1], "format": c[2], "description": c[0], "priority": c[3]}
                              for c in columns],
        "rows": rows,
    }
