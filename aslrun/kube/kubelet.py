"""The emulated node: runs pods through an executor and keeps their logs.

Every pod that appears in the store is "scheduled" here at once (``spec.nodeName``), goes
``Pending`` → ``Running`` → ``Succeeded``/``Failed`` with ``containerStatuses`` as a real kubelet
reports them, and its containers run one after another in a thread of their own. A container
that fails under ``restartPolicy: OnFailure`` is restarted in place (``restartCount``, ``lastState``
and the ``previous`` log), without back-off; ``restartPolicy: Always`` pods run once (a simplification).
Deleting a running pod cancels its executor, records exit code 137, and then removes the pod.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aslrun.kube.executors import ContainerRun, Executor
from aslrun.kube.status import bad_request, not_found
from aslrun.kube.store import Event, Store, rfc3339, rfc3339_nano

__all__ = ["NODE_NAME", "Kubelet", "LogBook", "LogQuery", "read_log"]

_PODS = ("", "pods")
NODE_NAME = "aslrun-node"


@dataclass(slots=True)
class _Run:
    lines: list[tuple[float, str]] = field(default_factory=list)
    partial: str = ""
    done: bool = False


@dataclass(frozen=True, slots=True)
class LogQuery:
    """The ``pods/{name}/log`` query parameters the emulator honours."""

    container: str | None = None
    previous: bool = False
    tail_lines: int | None = None
    limit_bytes: int | None = None
    timestamps: bool = False
    since_seconds: int | None = None
    follow: bool = False


class LogBook:
    """Container output per pod, per container, per run (the last two runs back ``previous``)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._runs: dict[tuple[str, str, str], list[_Run]] = {}
        self._cond = threading.Condition()

    def start(self, namespace: str, pod: str, container: str) -> Callable[[str], None]:
        """Begin a new run of a container; returns its writer."""
        run = _Run()
        with self._cond:
            self._runs.setdefault((namespace, pod, container), []).append(run)

        def write(text: str) -> None:
            now = self._clock()
            with self._cond:
                data = run.partial + text
                *complete, run.partial = data.split("\n")
                run.lines.extend((now, line + "\n") for line in complete)
                self._cond.notify_all()

        return write

    def finish(self, namespace: str, pod: str, container: str) -> None:
        """Mark the current run of a container as ended (flushing a last unterminated line)."""
        with self._cond:
            runs = self._runs.get((namespace, pod, container))
            if runs:
                run = runs[-1]
                if run.partial:
                    run.lines.append((self._clock(), run.partial))
                    run.partial = ""
                run.done = True
            self._cond.notify_all()

    def drop(self, namespace: str, pod: str) -> None:
        """Forget a deleted pod's logs."""
        with self._cond:
            for key in [k for k in self._runs if k[:2] == (namespace, pod)]:
                del self._runs[key]

    def render(self, pod: dict[str, Any], query: LogQuery, follow_timeout: float = 30.0) -> str:
        """The log text for ``pod`` as ``GET pods/{name}/log`` returns it, or a 400 ApiError."""
        meta = pod["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        container = query.container
        if not container:
            if len(containers) != 1:
                raise bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                  f"[{' '.join(containers)}]")
            container = containers[0]
        elif container not in containers:
            raise bad_request(f"container {container} is not valid for pod {name}")
        with self._cond:
            runs = self._runs.get((namespace, name, container), [])
            if query.previous:
                if len(runs) < 2:
                    raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
                run = runs[-2]
            elif not runs:
                raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating')
            else:
                run = runs[-1]
            if query.follow:
                self._cond.wait_for(lambda: run.done, timeout=follow_timeout)
            lines = list(run.lines) + ([(self._clock(), run.partial)] if run.partial else [])
        if query.since_seconds is not None:
            cutoff = self._clock() - query.since_seconds
            lines = [entry for entry in lines if entry[0] >= cutoff]
        if query.tail_lines is not None:
            lines = lines[-query.tail_lines:] if query.tail_lines > 0 else []
        text = "".join((rfc3339_nano(t) + " " if query.timestamps else "") + line for t, line in lines)
        if query.limit_bytes is not None:
            text = text.encode("utf-8")[: query.limit_bytes].decode("utf-8", "ignore")
        return text


def _container_status(container: dict[str, Any], state: dict[str, Any], restarts: int,
                      last: dict[str, Any] | None = None) -> dict[str, Any]:
    image = str(container.get("image", ""))
    running = "running" in state
    status: dict[str, Any] = {
        "name": container["name"], "image": image, "imageID": f"aslrun-simulated://{image}",
        "containerID": f"aslrun://{container['name']}", "ready": running, "started": running,
        "restartCount": restarts, "state": state, "lastState": {"terminated": last} if last else {},
    }
    return status


class Kubelet:
    """Runs pods from the store through an :class:`Executor`."""

    def __init__(self, store: Store, executor: Executor, logs: LogBook, *, start_delay: float = 0.0,
                 restart_delay: float = 0.01) -> None:
        self.store = store
        self.executor = executor
        self.logs = logs
        self.start_delay = start_delay
        self.restart_delay = restart_delay
        self._runs: dict[str, tuple[threading.Thread, threading.Event]] = {}
        self._lock = threading.Lock()

    def handle(self, event: Event) -> None:
        """React to a pod event (called from the controller loop; never blocks)."""
        if event.key != _PODS:
            return
        meta = event.obj["metadata"]
        uid, namespace, name = meta["uid"], meta.get("namespace", ""), meta["name"]
        if event.type == "DELETED":
            self._cancel(uid)
            self.logs.drop(namespace, name)
            return
        with self._lock:
            running = uid in self._runs
        if meta.get("deletionTimestamp"):
            if running:
                self._cancel(uid)
            elif not meta.get("finalizers"):
                self.store.remove(_PODS, namespace, name)
            return
        phase = (event.obj.get("status") or {}).get("phase")
        if event.type == "ADDED" and not running and phase in (None, "Pending"):
            cancel = threading.Event()
            thread = threading.Thread(target=self._run_pod, args=(namespace, name, uid, cancel),
                                      name=f"kubelet-{name}", daemon=True)
            with self._lock:
                self._runs[uid] = (thread, cancel)
            thread.start()

    def _cancel(self, uid: str) -> None:
        with self._lock:
            entry = self._runs.get(uid)
        if entry:
            entry[1].set()

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel every running pod and wait for the threads."""
        with self._lock:
            runs = list(self._runs.values())
        for _, cancel in runs:
            cancel.set()
        for thread, _ in runs:
            thread.join(timeout)

    def _patch(self, namespace: str, name: str, change: Callable[[dict[str, Any]], None]) -> bool:
        return self.store.mutate(_PODS, namespace, name, change) is not None

    def _run_pod(self, namespace: str, name: str, uid: str, cancel: threading.Event) -> None:
        try:
            self._run_pod_inner(namespace, name, uid, cancel)
        finally:
            with self._lock:
                self._runs.pop(uid, None)
            pod = self.store.find(_PODS, namespace, name)
            if pod and pod["metadata"].get("uid") == uid and pod["metadata"].get("deletionTimestamp"):
                if not pod["metadata"].get("finalizers"):
                    self.store.remove(_PODS, namespace, name)

    def _run_pod_inner(self, namespace: str, name: str, uid: str, cancel: threading.Event) -> None:
        clock = self.store.clock

        def scheduled(pod: dict[str, Any]) -> None:
            pod["spec"]["nodeName"] = NODE_NAME
            pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                                            "lastTransitionTime": rfc3339(clock())}]

        if not self._patch(namespace, name, scheduled) or cancel.wait(self.start_delay):
            return
        pod = self.store.find(_PODS, namespace, name)
        if pod is None:
            return
        containers = pod["spec"]["containers"]
        restart_on_failure = pod["spec"].get("restartPolicy") == "OnFailure"
        started = rfc3339(clock())
        statuses = [_container_status(c, {"running": {"startedAt": started}}, 0) for c in containers]
        labels = pod["metadata"].get("labels") or {}

        def running(p: dict[str, Any]) -> None:
            now = rfc3339(clock())
            p["status"].update({"phase": "Running", "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
                                "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}], "startTime": started,
                                "containerStatuses": [dict(s) for s in statuses]})
            p["status"]["conditions"] = [{"type": t, "status": "True", "lastProbeTime": None,
                                          "lastTransitionTime": now}
                                         for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]

        if not self._patch(namespace, name, running):
            return
        failed = False
        for index, container in enumerate(containers):
            restarts = 0
            while True:
                write = self.logs.start(namespace, name, container["name"])
                run = ContainerRun(namespace=namespace, pod_name=name, pod_uid=uid,
                                   job_name=labels.get("batch.kubernetes.io/job-name") or labels.get("job-name"),
                                   job_uid=labels.get("batch.kubernetes.io/controller-uid"),
                                   container=container, pod=pod, restart_count=restarts, cancelled=cancel,
                                   write=write)
                run_started = rfc3339(clock())
                try:
                    code = 137 if cancel.is_set() else int(self.executor.run(run))
                except Exception as exc:  # an executor bug must not kill the node
                    write(f"executor error: {type(exc).__name__}: {exc}\n")
                    code = 128
                self.logs.finish(namespace, name, container["name"])
                terminated = {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                              "startedAt": run_started, "finishedAt": rfc3339(clock()),
                              "containerID": f"aslrun://{container['name']}"}
                if code != 0 and restart_on_failure and not cancel.is_set():
                    restarts += 1
                    statuses[index] = _container_status(container, {"running": {"startedAt": rfc3339(clock())}},
                                                        restarts, terminated)
                    if not self._patch(namespace, name, _set_statuses([dict(s) for s in statuses])) or (
                            cancel.wait(self.restart_delay)):
                        return
                    continue
                statuses[index] = _container_status(container, {"terminated": terminated}, restarts,
                                                    statuses[index]["lastState"].get("terminated"))
                failed = failed or code != 0
                break
            if cancel.is_set():
                failed = True
                break
        self._finish(namespace, name, statuses, containers, failed)

    def _finish(self, namespace: str, name: str, statuses: list[dict[str, Any]],
                containers: list[dict[str, Any]], failed: bool) -> None:
        clock = self.store.clock
        now = rfc3339(clock())
        for index in range(len(statuses)):
            state = statuses[index]["state"]
            if "terminated" not in state:
                terminated = {"exitCode": 137, "reason": "Error", "startedAt": now, "finishedAt": now}
                statuses[index] = _container_status(containers[index], {"terminated": terminated},
                                                    statuses[index]["restartCount"])

        def finish(p: dict[str, Any]) -> None:
            p["status"]["phase"] = "Failed" if failed else "Succeeded"
            p["status"]["containerStatuses"] = statuses
            for cond in p["status"].get("conditions") or []:
                if cond["type"] in ("Ready", "ContainersReady"):
                    cond.update(status="False", reason="PodCompleted", lastTransitionTime=now)

        self._patch(namespace, name, finish)


def _set_statuses(statuses: list[dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def change(pod: dict[str, Any]) -> None:
        pod["status"]["containerStatuses"] = statuses

    return change


def read_log(store: Store, logs: LogBook, namespace: str, name: str, query: LogQuery) -> str:
    """``GET /api/v1/namespaces/{ns}/pods/{name}/log``: 404 for a missing pod, else the text."""
    pod = store.find(_PODS, namespace, name)
    if pod is None:
        raise not_found("pods", "", name)
    return logs.render(pod, query)
