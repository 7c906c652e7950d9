"""The Job controller: turns batch/v1 Jobs into pods and pod outcomes into Job status.

It is level-triggered like the real one: every Job or pod event re-reads the Job and its pods
and converges. It creates up to ``parallelism`` pods at a time until ``completions`` pods have
succeeded, counts failed pods (and, under ``restartPolicy: OnFailure``, container restarts)
against ``backoffLimit``, enforces ``activeDeadlineSeconds``, deletes a finished Job after
``ttlSecondsAfterFinished``, and writes the status a Kubernetes ≥1.31 controller writes:
``startTime``, ``active``/``ready``/``succeeded``/``failed``/``terminating``, and at the end
``SuccessCriteriaMet`` + ``Complete`` (with ``completionTime``) or ``FailureTarget`` + ``Failed``
(``BackoffLimitExceeded`` or ``DeadlineExceeded``). ``suspend: true`` Jobs get no pods.
"""

from __future__ import annotations

import calendar
import copy
import heapq
import time
from collections.abc import Callable
from typing import Any

from aslrun.kube.admission import admit_create
from aslrun.kube.status import ApiError
from aslrun.kube.store import Event, Store, rfc3339

__all__ = ["JobController", "job_finished"]

_JOBS = ("batch", "jobs")
_PODS = ("", "pods")
_TERMINAL = ("Succeeded", "Failed")
_REASONS = {
    "BackoffLimitExceeded": "Job has reached the specified backoff limit",
    "DeadlineExceeded": "Job was active longer than specified deadline",
    "CompletionsReached": "Reached expected number of succeeded pods",
}


def job_finished(job: dict[str, Any]) -> str | None:
    """``"Complete"`` or ``"Failed"`` when the Job has that condition with status ``"True"``."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return str(cond["type"])
    return None


def _owned_by(uid: str) -> Callable[[dict[str, Any]], bool]:
    def test(pod: dict[str, Any]) -> bool:
        return any(r.get("uid") == uid and r.get("controller") for r in pod["metadata"].get("ownerReferences") or [])

    return test


def _owner_job(obj: dict[str, Any]) -> tuple[str, str] | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("kind") == "Job" and ref.get("controller"):
            return str(ref.get("name")), str(ref.get("uid"))
    return None


def _restarts(pod: dict[str, Any]) -> int:
    return sum(int(s.get("restartCount") or 0) for s in (pod.get("status") or {}).get("containerStatuses") or [])


def _ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


class JobController:
    """Reconciles Jobs; driven by :meth:`handle` (events) and :meth:`tick` (deadlines, TTLs)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._timers: list[tuple[float, str, str, str]] = []  # (when, namespace, name, uid)
        self._started: dict[str, float] = {}  # uid -> precise start (status.startTime has whole seconds)
        # job uid -> {pod uid: terminal phase}: pods are counted once seen finished, even after removal
        # (what the real controller's job-tracking finalizer guarantees).
        self._finished_pods: dict[str, dict[str, str]] = {}

    def handle(self, event: Event) -> None:
        """Re-sync the Job an event is about (a Job, or a pod it owns)."""
        if event.key == _JOBS:
            if event.type == "DELETED":
                self._started.pop(event.obj["metadata"]["uid"], None)
                self._finished_pods.pop(event.obj["metadata"]["uid"], None)
            else:
                meta = event.obj["metadata"]
                self.sync(meta.get("namespace", ""), meta["name"])
        elif event.key == _PODS:
            owner = _owner_job(event.obj)
            if owner:
                phase = (event.obj.get("status") or {}).get("phase")
                if phase in _TERMINAL or event.type == "DELETED":
                    seen = self._finished_pods.setdefault(owner[1], {})
                    seen.setdefault(event.obj["metadata"]["uid"], phase if phase in _TERMINAL else "Failed")
                self.sync(event.obj["metadata"].get("namespace", ""), owner[0])

    def next_timeout(self) -> float | None:
        """Seconds until the next deadline or TTL is due (``None``: nothing scheduled)."""
        if not self._timers:
            return None
        return max(0.0, self._timers[0][0] - self.store.clock())

    def tick(self) -> None:
        """Sync every Job whose deadline or TTL has come."""
        now = self.store.clock()
        while self._timers and self._timers[0][0] <= now:
            _, namespace, name, uid = heapq.heappop(self._timers)
            job = self.store.find(_JOBS, namespace, name)
            if job and job["metadata"]["uid"] == uid:
                self.sync(namespace, name)

    def _schedule(self, when: float, job: dict[str, Any]) -> None:
        meta = job["metadata"]
        entry = (when, meta.get("namespace", ""), meta["name"], meta["uid"])
        if entry not in self._timers:
            heapq.heappush(self._timers, entry)

    def sync(self, namespace: str, name: str) -> None:
        """Bring one Job's pods and status in line with its spec."""
        job = self.store.find(_JOBS, namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return
        uid, spec = job["metadata"]["uid"], job.get("spec") or {}
        status = job.get("status") or {}
        now = self.store.clock()
        pods, _ = self.store.list_objects(_PODS, namespace, _owned_by(uid))
        active = [p for p in pods if p["status"].get("phase") not in _TERMINAL and not p["metadata"].get("deletionTimestamp")]
        terminating = [p for p in pods if p["status"].get("phase") not in _TERMINAL and p["metadata"].get("deletionTimestamp")]
        seen = self._finished_pods.setdefault(uid, {})
        for p in pods:
            if p["status"].get("phase") in _TERMINAL:
                seen.setdefault(p["metadata"]["uid"], p["status"]["phase"])
        succeeded = sum(1 for phase in seen.values() if phase == "Succeeded")
        failed = sum(1 for phase in seen.values() if phase == "Failed")
        finished = job_finished(job)
        if finished:
            self._delete_pods(namespace, active)
            self._ttl(job, now)
            return
        if spec.get("suspend"):
            return
        start = status.get("startTime")
        started_at = self._started.setdefault(uid, _parse_time(start) if start else now)
        restarts = sum(_restarts(p) for p in pods) if spec["template"]["spec"].get("restartPolicy") == "OnFailure" else 0
        reason = None
        deadline = spec.get("activeDeadlineSeconds")
        if deadline is not None:
            if now - started_at >= deadline:
                reason = "DeadlineExceeded"
            else:
                self._schedule(started_at + deadline, job)
        if reason is None and failed + restarts > int(spec.get("backoffLimit", 6)):
            reason = "BackoffLimitExceeded"
        completions = int(spec.get("completions", 1) if spec.get("completions") is not None else 1)
        if reason:
            self._delete_pods(namespace, active)
            terminating, active = terminating + active, []
        elif succeeded < completions:
            want = min(int(spec.get("parallelism", 1)), completions - succeeded) - len(active)
            for _ in range(max(0, want)):
                active.append(self._create_pod(job))
        conditions = list(status.get("conditions") or [])
        stamp = rfc3339(now)
        if reason:
            conditions += [_condition("FailureTarget", reason, stamp), _condition("Failed", reason, stamp)]
        elif succeeded >= completions:
            conditions += [_condition("SuccessCriteriaMet", "CompletionsReached", stamp),
                           _condition("Complete", "CompletionsReached", stamp)]
        new_status: dict[str, Any] = {"startTime": start or rfc3339(now)}
        if conditions:
            new_status["conditions"] = conditions
        if succeeded >= completions and not reason:
            new_status["completionTime"] = stamp
        for field, value in (("active", len(active)), ("succeeded", succeeded), ("failed", failed)):
            if value:
                new_status[field] = value
        new_status["ready"] = sum(1 for p in active if _ready(p))
        new_status["terminating"] = len(terminating)
        new_status["uncountedTerminatedPods"] = {}

        def write(obj: dict[str, Any]) -> None:
            obj["status"] = new_status

        updated = self.store.mutate(_JOBS, namespace, name, write)
        if updated is not None and job_finished(updated):
            self._ttl(updated, now)

    def _ttl(self, job: dict[str, Any], now: float) -> None:
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return
        conds = [c for c in job["status"].get("conditions") or [] if c.get("type") in ("Complete", "Failed")]
        finished_at = _parse_time(conds[-1]["lastTransitionTime"]) if conds else now
        if now >= finished_at + ttl:
            rt = self.store.registry.by_key(_JOBS)
            if rt is not None:
                try:
                    self.store.delete(rt, job["metadata"].get("namespace", ""), job["metadata"]["name"],
                                      propagation="Foreground", uid=job["metadata"]["uid"])
                except ApiError as exc:  # deleted or replaced meanwhile
                    if exc.code not in (404, 409):
                        raise
        else:
            self._schedule(finished_at + ttl, job)

    def _create_pod(self, job: dict[str, Any]) -> dict[str, Any]:
        meta, template = job["metadata"], job["spec"]["template"]
        tmeta = template.get("metadata") or {}
        pod_meta: dict[str, Any] = {
            "generateName": f"{meta['name']}-", "namespace": meta.get("namespace", ""),
            "labels": dict(tmeta.get("labels") or {}),
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "uid": meta["uid"],
                                 "controller": True, "blockOwnerDeletion": True}],
        }
        if tmeta.get("annotations"):
            pod_meta["annotations"] = dict(tmeta["annotations"])
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": copy.deepcopy(template["spec"])}
        rt = self.store.registry.by_key(_PODS)
        assert rt is not None
        return self.store.create(rt, admit_create(rt, pod))

    def _delete_pods(self, namespace: str, pods: list[dict[str, Any]]) -> None:
        rt = self.store.registry.by_key(_PODS)
        assert rt is not None
        for pod in pods:
            try:
                self.store.delete(rt, namespace, pod["metadata"]["name"], graceful=True, uid=pod["metadata"]["uid"])
            except ApiError as exc:  # already gone
                if exc.code not in (404, 409):
                    raise


def _condition(type_: str, reason: str, stamp: str) -> dict[str, Any]:
    return {"type": type_, "status": "True", "lastProbeTime": stamp, "lastTransitionTime": stamp,
            "reason": reason, "message": _REASONS[reason]}


def _parse_time(text: str) -> float:
    return float(calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")))
