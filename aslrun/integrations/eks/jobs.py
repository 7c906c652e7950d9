"""Kubernetes Job helpers for eks:runJob: paths, the finished test, log retrieval, and what failed."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from aslrun.integrations.eks.backends.base import KubeApi
from aslrun.integrations.eks.errors import kube_failure, translate
from aslrun.integrations.eks.params import LogOptions

__all__ = ["FAILED_CONTAINERS", "collect_logs", "delete_job", "failed_containers", "failure_notice", "finished",
           "job_path", "jobs_path", "parse_log", "summary"]

#: the key a failed Job's cause gets on backends that run Jobs on this machine (AWS's cause has no such key)
FAILED_CONTAINERS = "aslrunFailedContainers"
#: how much of a failed container's log that key carries: the last lines, at most this many bytes
FAILED_LOG_LINES = 20
FAILED_LOG_BYTES = 2048


def jobs_path(namespace: str) -> str:
    return f"/apis/batch/v1/namespaces/{quote(namespace, safe='')}/jobs"


def job_path(namespace: str, name: str) -> str:
    return f"{jobs_path(namespace)}/{quote(name, safe='')}"


def finished(job: Any) -> dict[str, Any] | None:
    """The Job's ``Complete`` or ``Failed`` condition with status ``"True"``, or None while it runs.

    Other conditions (``SuccessCriteriaMet``, ``FailureTarget``, ``Suspended``) do not end the wait.
    """
    if not isinstance(job, dict):
        return None
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return condition  # type: ignore[no-any-return]
    return None


def summary(job: dict[str, Any]) -> str:
    """``active 1, succeeded 0, failed 0`` — a progress line's worth of the Job's status."""
    status = job.get("status") or {}
    counts = ", ".join(f"{k} {status[k]}" for k in ("active", "succeeded", "failed") if status.get(k))
    return f"running ({counts})" if counts else "created, waiting for it to finish"


def pod_selector(job: dict[str, Any]) -> str:
    """The label selector of the Job's pods: its ``spec.selector.matchLabels``, else ``job-name=<name>``."""
    labels = ((job.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if labels:
        return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return f"job-name={job['metadata']['name']}"


def parse_log(text: str) -> Any:
    """A log as JSON when the whole text is a JSON value, else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def collect_logs(kube: KubeApi, namespace: str, job: dict[str, Any], options: LogOptions) -> dict[str, Any]:
    """``{"pods": {pod: {"containers": {container: {"log": ...}}}}}``, best effort (blocking).

    A log that cannot be read gets ``error`` and ``cause`` instead of ``log``.
    """
    ns = quote(namespace, safe="")
    try:
        resp = kube.request("GET", f"/api/v1/namespaces/{ns}/pods", [("labelSelector", pod_selector(job))])
        if not resp.ok:
            failed = kube_failure(resp)
            return {"pods": {}, "error": failed.error, "cause": failed.cause}
    except Exception as exc:
        failed = translate(exc, kube.description)
        return {"pods": {}, "error": failed.error, "cause": failed.cause}
    pods: dict[str, Any] = {}
    body = resp.json()
    items = body.get("items", []) if isinstance(body, dict) else []
    for pod in sorted(items, key=lambda p: p.get("metadata", {}).get("name", "")):
        pod_name = pod.get("metadata", {}).get("name", "")
        containers: dict[str, Any] = {}
        for container in (pod.get("spec") or {}).get("containers") or []:
            cname = container.get("name", "")
            query = [("container", cname), *options.parameters]
            try:
                log = kube.request("GET", f"/api/v1/namespaces/{ns}/pods/{quote(pod_name, safe='')}/log", query,
                                   accept="text/plain, */*")
                if log.ok:
                    containers[cname] = {"log": log.text if options.raw else parse_log(log.text)}
                    continue
                failed = kube_failure(log)
            except Exception as exc:
                failed = translate(exc, kube.description)
            containers[cname] = {"error": failed.error, "cause": failed.cause}
        pods[pod_name] = {"containers": containers}
    return {"pods": pods}


def _terminations(pod: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """``(container, terminated state, whether it was the previous run)`` of each failed container run."""
    found = []
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        state = (status.get("state") or {}).get("terminated")
        last = (status.get("lastState") or {}).get("terminated")
        if state and state.get("exitCode"):
            found.append((str(status.get("name", "")), state, False))
        elif last and last.get("exitCode"):
            found.append((str(status.get("name", "")), last, True))
    return found


def _tail(text: str) -> list[str]:
    lines = text.splitlines()[-FAILED_LOG_LINES:]
    while lines and len("\n".join(lines).encode("utf-8")) > FAILED_LOG_BYTES:
        if len(lines) == 1:
            lines = [lines[0].encode("utf-8")[-FAILED_LOG_BYTES:].decode("utf-8", "ignore")]
            break
        lines = lines[1:]
    return lines


def failed_containers(kube: KubeApi, namespace: str, job: dict[str, Any]) -> list[dict[str, Any]]:
    """The failed containers of the Job's last failed pod, each with its log's tail (blocking; best effort).

    ``[{"pod", "container", "exitCode", "reason", "logTail": [last lines], "hint"?}]``: up to
    :data:`FAILED_LOG_LINES` lines and :data:`FAILED_LOG_BYTES` bytes of log, and ``hint`` when the
    log shows a known failure of a host tool (``--jobs process`` runs the host's, not the image's).
    Nothing (``[]``) when the pods or logs cannot be read.
    """
    from aslrun.kube.executors import host_hint

    ns = quote(namespace, safe="")
    try:
        resp = kube.request("GET", f"/api/v1/namespaces/{ns}/pods", [("labelSelector", pod_selector(job))])
        body = resp.json() if resp.ok else {}
    except Exception:
        return []
    pods = [(pod, found) for pod in (body.get("items") or []) if isinstance(pod, dict)
            for found in [_terminations(pod)] if found]
    if not pods:
        return []
    pod, found = max(pods, key=lambda entry: max(str(t.get("finishedAt") or "") for _, t, _ in entry[1]))
    pod_name = str((pod.get("metadata") or {}).get("name", ""))
    failures: list[dict[str, Any]] = []
    for container, terminated, previous in found:
        query = [("container", container), ("tailLines", str(FAILED_LOG_LINES))]
        if previous:
            query.append(("previous", "true"))
        try:
            log = kube.request("GET", f"/api/v1/namespaces/{ns}/pods/{quote(pod_name, safe='')}/log", query,
                               accept="text/plain, */*")
            text = log.text if log.ok else ""
        except Exception:
            text = ""
        entry: dict[str, Any] = {"pod": pod_name, "container": container, "exitCode": terminated.get("exitCode"),
                                 "reason": terminated.get("reason", ""), "logTail": _tail(text)}
        hint = host_hint(text)
        if hint:
            entry["hint"] = hint
        failures.append(entry)
    return failures


def failure_notice(failures: list[dict[str, Any]]) -> str:
    """``; container pi of pod job-x exited 255: <its last log line> (hint)`` for a progress line."""
    parts = []
    for failure in failures:
        last = next((line for line in reversed(failure["logTail"]) if line.strip()), "")
        text = f"container {failure['container']} of pod {failure['pod']} exited {failure['exitCode']}"
        if last:
            text += f": {last.strip()[:200]}"
        if failure.get("hint"):
            text += f" ({failure['hint']})"
        parts.append(text)
    return "".join(f"; {part}" for part in parts)


def delete_job(kube: KubeApi, namespace: str, name: str) -> str:
    """Delete a Job and its pods (propagationPolicy Foreground); a line saying how it went (blocking)."""
    body = json.dumps({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"}).encode()
    try:
        resp = kube.request("DELETE", job_path(namespace, name), [("propagationPolicy", "Foreground")], body,
                            "application/json")
    except Exception as exc:
        return f"could not delete Job {namespace}/{name}: {translate(exc, kube.description).cause}"
    if resp.ok:
        return f"deleted Job {namespace}/{name} and its pods (propagationPolicy Foreground)"
    if resp.status == 404:
        return f"Job {namespace}/{name} was already gone"
    return f"could not delete Job {namespace}/{name}: HTTP {resp.status} {resp.reason}"
